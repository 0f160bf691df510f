"""Shared STIX objects and TAXII status resources: the only SQL of the TAXII service."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from cyberdip.store.schema import statuses, stix_objects, sync_state


def statement_marking_ids(connection: Connection, collection_id: str) -> set[str]:
    return set(connection.execute(select(stix_objects.c.object_id).where(
        and_(stix_objects.c.collection_id == collection_id, stix_objects.c.type == "marking-definition"))).scalars())


def insert_status(connection: Connection, status_id: str, partner: str, collection_id: str, timestamp: str,
                  body: dict[str, Any]) -> None:
    connection.execute(insert(statuses).values(id=status_id, partner_id=partner, collection_id=collection_id,
                                               request_timestamp=timestamp, body=body))


def get_status(connection: Connection, status_id: str, partner: str) -> dict[str, Any] | None:
    row = connection.execute(select(statuses.c.body).where(and_(statuses.c.id == status_id,
                                                                statuses.c.partner_id == partner))).first()
    return dict(row[0]) if row else None


#: what a page reads of each row: the body stays JSON text, served as stored without re-encoding
_PAGE_COLUMNS = (stix_objects.c.seq, stix_objects.c.object_id, stix_objects.c.type, stix_objects.c.modified,
                 stix_objects.c.date_added, stix_objects.c.tlp, stix_objects.c.producer,
                 stix_objects.c.body)


_other = stix_objects.alias("other")
#: one object's newest version(s) — every GET by id — built once
_LATEST_OF_ONE = (
    select(*_PAGE_COLUMNS)
    .where(and_(stix_objects.c.collection_id == bindparam("collection"),
                stix_objects.c.object_id == bindparam("object"),
                stix_objects.c.seq + 0 > bindparam("after"),
                ~select(_other.c.seq).where(and_(_other.c.collection_id == stix_objects.c.collection_id,
                                                 _other.c.object_id == stix_objects.c.object_id,
                                                 _other.c.modified > stix_objects.c.modified)).exists()))
    .order_by(stix_objects.c.seq + 0)
    .limit(bindparam("limit"))
)


def page(connection: Connection, collection_id: str, *, after_seq: int, added_after: str | None,
         ids: Sequence[str], types: Sequence[str], spec_versions: Sequence[str], limit: int,
         versions: Sequence[str] = ("last",)) -> list[dict[str, Any]]:
    """Up to ``limit`` rows after ``after_seq`` in arrival order, each with its body as JSON text.

    Index use: ``added_after`` becomes a starting ``seq`` through (collection, date_added), since
    ``date_added`` grows with ``seq``; the rows then come from (collection, seq), from
    (collection, type, seq) for ``match[type]``, or from (collection, object id, modified) for
    ``match[id]``. ``versions`` holds ``last`` (TAXII's default), ``first``, ``all`` or exact
    ``modified`` timestamps (TAXII §3.4.2); last and first are index probes on the object's id."""
    if len(ids) == 1 and not (added_after or types or spec_versions) and tuple(versions) == ("last",):
        return [dict(r) for r in connection.execute(_LATEST_OF_ONE, {
            "collection": collection_id, "object": ids[0], "after": after_seq, "limit": limit}).mappings()]
    start = after_seq
    if added_after:
        first = connection.execute(select(stix_objects.c.seq).where(and_(
            stix_objects.c.collection_id == collection_id, stix_objects.c.date_added > added_after))
            .order_by(stix_objects.c.date_added).limit(1)).scalar()
        if first is None:
            return []
        start = max(start, first - 1)
    # with match[id] the rows are few and found by id: comparing and ordering on an expression of seq
    # keeps a planner from walking the whole collection in seq order to spare itself a tiny sort
    order: Any = stix_objects.c.seq + 0 if ids else stix_objects.c.seq
    query = select(*_PAGE_COLUMNS).where(and_(stix_objects.c.collection_id == collection_id, order > start))
    if "all" not in versions:
        other = stix_objects.alias("other")
        same = and_(other.c.collection_id == stix_objects.c.collection_id,
                    other.c.object_id == stix_objects.c.object_id)
        wanted = []
        if "last" in versions:
            wanted.append(~select(other.c.seq).where(and_(same, other.c.modified > stix_objects.c.modified)).exists())
        if "first" in versions:
            wanted.append(~select(other.c.seq).where(and_(same, other.c.modified < stix_objects.c.modified)).exists())
        stamps = [v for v in versions if v not in ("last", "first")]
        if stamps:
            wanted.append(stix_objects.c.modified.in_(stamps))
        query = query.where(or_(*wanted))
    if ids:
        query = query.where(stix_objects.c.object_id.in_(list(ids)))
    if types:
        query = query.where(stix_objects.c.type.in_(list(types)))
    if spec_versions:
        query = query.where(stix_objects.c.spec_version.in_(list(spec_versions)))
    return [dict(r) for r in connection.execute(query.order_by(order).limit(limit)).mappings()]


def delete_versions(connection: Connection, collection_id: str, object_id: str, versions: Sequence[str]) -> int:
    """Remove an object (every version, or the given ``modified`` versions); returns how many rows."""
    condition = and_(stix_objects.c.collection_id == collection_id, stix_objects.c.object_id == object_id)
    stamps = [v for v in versions if v not in ("all", "last", "first")]
    if stamps:
        condition = and_(condition, stix_objects.c.modified.in_(stamps))
    return int(connection.execute(delete(stix_objects).where(condition)).rowcount or 0)


def sync_position(connection: Connection, remote: str) -> dict[str, Any] | None:
    row = connection.execute(select(sync_state).where(sync_state.c.remote == remote)).mappings().first()
    return dict(row) if row else None


def save_sync_position(connection: Connection, remote: str, local_collection: str, partner: str,
                       added_after: str | None, pulled: int, at: Any) -> None:
    connection.execute(delete(sync_state).where(sync_state.c.remote == remote))
    connection.execute(insert(sync_state).values(remote=remote, local_collection=local_collection, partner_id=partner,
                                                 added_after=added_after, pulled=pulled, updated_at=at))


def last_added(connection: Connection, collection_id: str) -> str | None:
    row = connection.execute(select(stix_objects.c.date_added).where(stix_objects.c.collection_id == collection_id)
                             .order_by(stix_objects.c.seq.desc()).limit(1)).first()
    return row[0] if row else None


def counts_by_collection(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(stix_objects.c.collection_id, func.count()).group_by(stix_objects.c.collection_id))
    return {r[0]: int(r[1]) for r in rows}


def count(connection: Connection, collection_id: str) -> int:
    return int(connection.execute(select(func.count()).select_from(stix_objects)
                                  .where(stix_objects.c.collection_id == collection_id)).scalar_one())


def existing_versions(connection: Connection, collection_id: str, object_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(object id, modified) pairs already held, for a batch of ids (chunked IN queries)."""
    found: set[tuple[str, str]] = set()
    unique = sorted(set(object_ids))
    for start in range(0, len(unique), 500):
        rows = connection.execute(select(stix_objects.c.object_id, stix_objects.c.modified).where(and_(
            stix_objects.c.collection_id == collection_id, stix_objects.c.object_id.in_(unique[start:start + 500]))))
        found.update((r[0], r[1]) for r in rows)
    return found


def insert_objects(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(stix_objects), list(rows))


def unknown_marking_rows(connection: Connection, collection_id: str) -> list[tuple[int, dict[str, Any]]]:
    rows = connection.execute(select(stix_objects.c.seq, stix_objects.c.body).where(and_(
        stix_objects.c.collection_id == collection_id, stix_objects.c.tlp == "unknown")))
    return [(r[0], json.loads(r[1])) for r in rows]


def set_tlp(connection: Connection, seq: int, tlp: str) -> None:
    connection.execute(update(stix_objects).where(stix_objects.c.seq == seq).values(tlp=tlp))
