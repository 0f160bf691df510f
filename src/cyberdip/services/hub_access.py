"""Who is asking and what they may do, answered from memory.

A hub has tens of partners, keys and grants; a busy one answers thousands of requests a second.
Each server process keeps the access tables (key digests, certificate fingerprints, collections,
grants) in memory and checks, with one primary-key read per request, the generation number that
every change to them increases in the same transaction (store.sharing). A key revoked or a grant
withdrawn by an operator — from the CLI, the workbench or another server process — is therefore
in force from the first request that starts after the change is committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from cyberdip.model.sharing import TLP
from cyberdip.services import sharing
from cyberdip.store import sharing as store
from cyberdip.store.sharing import AccessTables


@dataclass(frozen=True)
class Access:
    collection: dict[str, Any]
    can_read: bool
    can_write: bool
    max_tlp: TLP | None


class AccessCache:
    """The access tables of one server process, reloaded when their generation moves."""

    def __init__(self) -> None:
        self._tables: AccessTables | None = None

    def tables(self, connection: Connection) -> AccessTables:
        current = store.generation(connection)
        tables = self._tables
        if tables is None or tables.generation != current:
            tables = self._tables = store.access_tables(connection)
        return tables


def partner_for_key(tables: AccessTables, key: str) -> str | None:
    """The partner an API key belongs to, or None (unknown or revoked)."""
    return tables.partner_for_key.get(sharing.digest(key)) if key.startswith(sharing.KEY_PREFIX + "_") else None


def partner_for_certificate(tables: AccessTables, forwarded: str) -> str | None:
    """The partner a forwarded client certificate belongs to, or None; DataError when it is not one."""
    return tables.partner_for_certificate.get(sharing.certificate_fingerprint(forwarded))


def find_collection(tables: AccessTables, ref: str) -> dict[str, Any] | None:
    """A collection by id or alias."""
    return next((c for c in tables.collections if ref in (c["id"], c["alias"])), None)


def access(tables: AccessTables, partner: str, collection: dict[str, Any], on: dt.date | None = None) -> Access:
    """The partner's access to a collection, from its grants valid on the day (today by default)."""
    day = (on or dt.date.today()).isoformat()
    rows = [g for g in tables.grants.get((partner, collection["id"]), [])
            if (not g.valid_from or g.valid_from <= day) and (not g.valid_to or g.valid_to >= day[: len(g.valid_to)])]
    reading = [TLP(g.max_tlp) for g in rows if g.can_read]
    return Access(collection, bool(reading), any(g.can_write for g in rows),
                  max(reading, key=lambda t: t.rank) if reading else None)
