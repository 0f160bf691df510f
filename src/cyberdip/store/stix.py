"""Shared STIX objects and TAXII status resources: the only SQL of the TAXII service."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, text, update

from cyberdip.store.engine import RawStatement
from cyberdip.store.schema import statuses, stix_objects, sync_state

#: PostgreSQL advisory lock class for ingest into one collection (the key is the collection's hash)
_INGEST_LOCK = 0x63796269  # "cybi"


def lock_for_ingest(connection: Connection, collection_id: str) -> None:
    """Serialise writers of one collection until the transaction ends, so that sequence numbers are
    committed in order (a reader paging by ``seq`` never skips a row committed late) and concurrent
    envelopes holding the same new object cannot both insert it. SQLite's write transactions are
    already exclusive."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:collection))"),
                           {"space": _INGEST_LOCK, "collection": collection_id})


def trusted_statement_markings(connection: Connection, collection_id: str, producer: str | None) -> set[str]:
    """Statement marking-definitions a producer's objects may cite: its own and those the hub's
    operators stored (producer None). Another partner's marking-definition never vouches for them."""
    who: Any = stix_objects.c.producer.is_(None)
    if producer is not None:
        who = or_(who, stix_objects.c.producer == producer)
    rows = connection.execute(select(stix_objects.c.object_id, stix_objects.c.body).where(and_(
        stix_objects.c.collection_id == collection_id, stix_objects.c.type == "marking-definition", who)))
    return {r[0] for r in rows if json.loads(r[1]).get("definition_type") == "statement"}


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


_PAGE_NAMES = tuple(c.name for c in _PAGE_COLUMNS)


def _visible(levels: Any, partner: Any) -> Any:
    """Rows a partner may read: a TLP level its grant covers, AMBER+STRICT only its own."""
    return and_(stix_objects.c.tlp.in_(levels),
                or_(stix_objects.c.tlp != "amber+strict", stix_objects.c.producer == partner))


def _newest(table: Any) -> Any:
    """No other version of the same object is newer."""
    other = stix_objects.alias("other")
    return ~select(other.c.seq).where(and_(other.c.collection_id == table.c.collection_id,
                                            other.c.object_id == table.c.object_id,
                                            other.c.modified_key > table.c.modified_key)).exists()


#: the TLP levels a grant can cover (RED never)
_LEVELS = ("clear", "green", "amber", "amber+strict")

#: one object's newest version, if the partner may read it — every GET by id — built once
_LATEST_OF_ONE = RawStatement(
    select(*_PAGE_COLUMNS)
    .where(and_(stix_objects.c.collection_id == bindparam("collection"),
                stix_objects.c.object_id == bindparam("object"),
                stix_objects.c.seq + 0 > bindparam("after"),
                _newest(stix_objects),
                _visible([bindparam(f"level{i}") for i in range(len(_LEVELS))], bindparam("partner"))))
    .order_by(stix_objects.c.seq + 0)
    .limit(bindparam("limit"))
)


def page(connection: Connection, collection_id: str, *, partner: str | None, levels: Sequence[str] | None,
         after_seq: int,
         added_after: str | None, ids: Sequence[str], types: Sequence[str], spec_versions: Sequence[str],
         limit: int, versions: Sequence[str] = ("last",)) -> list[dict[str, Any]]:
    """Up to ``limit`` rows the partner may read (``levels``: the TLP levels its grant covers), after
    ``after_seq`` in arrival order, each with its body as JSON text. Rows it may not read are skipped
    by the query itself, so a page is full whenever enough readable rows exist. ``levels=None``
    (the hub's operators) reads every row.

    Index use: ``added_after`` becomes a starting ``seq`` through (collection, date_added), since
    ``date_added`` grows with ``seq``; the rows then come from (collection, seq), from
    (collection, type, seq) for ``match[type]``, or from (collection, object id, version) for
    ``match[id]``. ``versions`` holds ``last`` (TAXII's default), ``first``, ``all`` or version keys
    (TAXII §3.4.2); last and first are index probes on the object's id."""
    if levels is not None and not levels:
        return []
    if levels and len(ids) == 1 and not (added_after or types or spec_versions) and tuple(versions) == ("last",):
        # the statement takes as many levels as there are; fewer are repeated (no per-call IN expansion)
        padded = {f"level{i}": levels[min(i, len(levels) - 1)] for i in range(len(_LEVELS))}
        return [dict(zip(_PAGE_NAMES, row, strict=True)) for row in _LATEST_OF_ONE.rows(connection, {
            "collection": collection_id, "object": ids[0], "after": after_seq, "limit": limit,
            "partner": partner, **padded})]
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
    if levels is not None:
        query = query.where(_visible(list(levels), partner))
    if "all" not in versions:
        other = stix_objects.alias("other")
        same = and_(other.c.collection_id == stix_objects.c.collection_id,
                    other.c.object_id == stix_objects.c.object_id)
        wanted = []
        if "last" in versions:
            wanted.append(_newest(stix_objects))
        if "first" in versions:
            wanted.append(~select(other.c.seq).where(and_(same, other.c.modified_key < stix_objects.c.modified_key))
                          .exists())
        keys = [v for v in versions if v not in ("last", "first")]
        if keys:
            wanted.append(stix_objects.c.modified_key.in_(keys))
        query = query.where(or_(*wanted))
    if ids:
        query = query.where(stix_objects.c.object_id.in_(list(ids)))
    if types:
        query = query.where(stix_objects.c.type.in_(list(types)))
    if spec_versions:
        query = query.where(stix_objects.c.spec_version.in_(list(spec_versions)))
    # a page is up to a thousand rows: read as tuples on the driver's cursor, not through SQLAlchemy's rows
    rows = RawStatement(query.order_by(order).limit(limit)).rows(connection, {})
    return [dict(zip(_PAGE_NAMES, row, strict=True)) for row in rows]


def delete_versions(connection: Connection, collection_id: str, object_id: str, seqs: Sequence[int]) -> int:
    """Remove the given rows (versions) of one object; returns how many were removed."""
    return int(connection.execute(delete(stix_objects).where(and_(
        stix_objects.c.collection_id == collection_id, stix_objects.c.object_id == object_id,
        stix_objects.c.seq.in_(list(seqs))))).rowcount or 0)


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


def holdings(connection: Connection, collection_id: str,
             object_ids: Sequence[str]) -> tuple[set[tuple[str, str]], dict[str, str | None]]:
    """For a batch of ids: the (object id, version key) pairs already held, and who produced each
    object already held (chunked IN queries)."""
    held: set[tuple[str, str]] = set()
    producers: dict[str, str | None] = {}
    unique = sorted(set(object_ids))
    for start in range(0, len(unique), 500):
        rows = connection.execute(select(stix_objects.c.object_id, stix_objects.c.modified_key,
                                         stix_objects.c.producer).where(and_(
            stix_objects.c.collection_id == collection_id, stix_objects.c.object_id.in_(unique[start:start + 500]))))
        for object_id, key, producer in rows:
            held.add((object_id, key))
            producers.setdefault(object_id, producer)
    return held, producers


_INSERT_OBJECT = RawStatement(insert(stix_objects).values({c: bindparam(c) for c in (
    "collection_id", "object_id", "type", "spec_version", "modified", "modified_key", "date_added", "tlp", "producer",
    "body")}))


def insert_objects(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store object versions (every column is text: nothing to convert, so the driver takes them as they are)."""
    if rows:
        _INSERT_OBJECT.run_many(connection, list(rows))


def unknown_marking_rows(connection: Connection, collection_id: str,
                         producer: str | None) -> list[tuple[int, str | None, dict[str, Any]]]:
    """Rows withheld for an unknown marking: a producer's own, or every row when producer is None
    (the hub's operators vouch for all)."""
    query = select(stix_objects.c.seq, stix_objects.c.producer, stix_objects.c.body).where(and_(
        stix_objects.c.collection_id == collection_id, stix_objects.c.tlp == "unknown"))
    if producer is not None:
        query = query.where(stix_objects.c.producer == producer)
    rows = connection.execute(query)
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


def set_tlp(connection: Connection, seq: int, tlp: str) -> None:
    connection.execute(update(stix_objects).where(stix_objects.c.seq == seq).values(tlp=tlp))
