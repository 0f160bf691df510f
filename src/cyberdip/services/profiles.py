"""What the state, organisation and instrument pages need beside the shared services: the data of
the records a profile lists, and the General Assembly sessions with votes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from cyberdip.services.votes import sessions_with_votes
from cyberdip.store import reader


def details(connection: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored data of each record (agency roles, commitment norms...), by id; unknown ids are left out."""
    return {record_id: stored.data for record_id, stored in reader.get_many(connection, list(set(ids))).items()}


def recent_sessions(connection: Connection, count: int = 10) -> tuple[int, ...]:
    """The last ``count`` General Assembly sessions with recorded votes (none before votes are imported)."""
    return tuple(sessions_with_votes(connection)[-count:])
