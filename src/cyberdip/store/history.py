"""What was known when: rewind stored records through the change log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from cyberdip.store import reader

#: a record id → its data as known at the time asked, or None if it was not known then
Snapshot = dict[str, dict[str, Any] | None]


def as_known_at(connection: Connection, ids: Sequence[str], when: dt.datetime) -> Snapshot:
    """The data of each record as it stood at ``when``, undoing every later change.

    A record added after ``when`` maps to None; one removed after ``when`` comes back.
    """
    current = reader.get_many(connection, ids)
    snapshot: Snapshot = {record_id: dict(current[record_id].data) if record_id in current else None
                          for record_id in ids}
    for change in reader.changes_since(connection, ids, when):  # newest first
        record_id = change["record_id"]
        if change["field"] == "*":
            snapshot[record_id] = dict(change["old"]) if change["old"] is not None else None
        elif snapshot.get(record_id) is not None:
            snapshot[record_id][change["field"]] = change["old"]  # type: ignore[index]
    return snapshot
