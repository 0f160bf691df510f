"""The one ingest path: write a batch of records in a single transaction, logging every change.

A load either writes everything or nothing. Before any row is touched the batch is checked as a
whole: no duplicate ids, every reference resolving (in the batch or the database), nothing still
referenced being removed. Records belong to the origin that wrote them last; a reload of the
curated dataset updates curated records, removes curated records no longer shipped, and leaves
records a user added or edited alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from cyberdip.model import Record
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import kind_of, normalise_name
from cyberdip.store.schema import changes, citations, links, loads, names, records, sources

USER_ORIGIN = "user"
_CHUNK = 500
_NORM_LENGTH = 300  # names.norm is String(300): long titles are matched on their opening words


@dataclass
class LoadSummary:
    """What one load did."""

    load_id: int
    origin: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept_user_version: list[str] = field(default_factory=list)

    def changed_kinds(self) -> set[str]:
        """The kinds of the records this load added, changed or removed."""
        return {kind_of(record_id) for record_id in (*self.added, *self.changed, *self.removed)}

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
            "kept_user_version": len(self.kept_user_version),
        }


def ingest(
    connection: Connection,
    batch: Sequence[Record],
    *,
    origin: str,
    description: str = "",
    replace: bool = False,
    at: dt.datetime | None = None,
) -> LoadSummary:
    """Write ``batch`` as one load. With ``replace``, records of ``origin`` absent from the batch
    are removed. Call inside a transaction (``engine.begin()``); raise :class:`DataError` on bad
    input before anything is written."""
    at = at or dt.datetime.now(dt.UTC)
    incoming = _unique(batch)
    existing = _existing(connection, list(incoming))
    removed = _removals(connection, origin, incoming) if replace else []
    _check_references(connection, incoming, removed)

    load_id = connection.execute(
        insert(loads).values(origin=origin, description=description, started_at=at).returning(loads.c.id)
    ).scalar_one()
    summary = LoadSummary(load_id, origin)
    _write_sources(connection, incoming.values())

    to_insert: list[Record] = []
    to_update: list[tuple[Record, dict[str, Any]]] = []
    for record_id, record in incoming.items():
        before = existing.get(record_id)
        if before is None:
            to_insert.append(record)
        elif before["origin"] == USER_ORIGIN and origin != USER_ORIGIN:
            summary.kept_user_version.append(record_id)
        elif before["data"] != _dump(record) or before["origin"] != origin:
            to_update.append((record, before["data"]))
        else:
            summary.unchanged += 1

    log: list[dict[str, Any]] = []
    _remove(connection, removed, load_id, at, log)
    summary.removed = [record_id for record_id, _ in removed]
    if to_insert:
        connection.execute(insert(records), [_row(r, origin, load_id, created=True) for r in to_insert])
        for record in to_insert:
            log.append(_change(load_id, record.id, "*", None, _dump(record), at))
        summary.added = [r.id for r in to_insert]
    for record, old in to_update:
        connection.execute(
            update(records).where(records.c.id == record.id).values(_row(record, origin, load_id, created=False))
        )
        new = _dump(record)
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                log.append(_change(load_id, record.id, name, old.get(name), new.get(name), at))
        summary.changed.append(record.id)
    _replace_index(connection, [*to_insert, *(r for r, _ in to_update)])
    if log:
        connection.execute(insert(changes), log)
    connection.execute(
        update(loads)
        .where(loads.c.id == load_id)
        .values(finished_at=dt.datetime.now(dt.UTC), summary=summary.counts())
    )
    return summary


def _unique(batch: Iterable[Record]) -> dict[str, Record]:
    seen: dict[str, Record] = {}
    problems = []
    for record in batch:
        if record.id in seen:
            problems.append(Problem("batch", "the same id appears twice in one load", record.id))
        seen[record.id] = record
    if problems:
        raise DataError(problems)
    return seen


def _dump(record: Record) -> dict[str, Any]:
    return record.model_dump(mode="json")


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing(connection: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        rows = connection.execute(
            select(records.c.id, records.c.origin, records.c.data).where(records.c.id.in_(chunk))
        )
        for row in rows:
            found[row.id] = {"origin": row.origin, "data": row.data}
    return found


def _removals(connection: Connection, origin: str, incoming: dict[str, Record]) -> list[tuple[str, Any]]:
    rows = connection.execute(select(records.c.id, records.c.data).where(records.c.origin == origin))
    return [(row.id, row.data) for row in rows if row.id not in incoming]


def _check_references(
    connection: Connection, incoming: dict[str, Record], removed: list[tuple[str, Any]]
) -> None:
    removed_ids = {record_id for record_id, _ in removed}
    wanted = {ref for r in incoming.values() for _, ref in r.references() if ref not in incoming}
    present: set[str] = set()
    ordered = sorted(wanted)
    for chunk in _chunks(ordered):
        present.update(connection.execute(select(records.c.id).where(records.c.id.in_(chunk))).scalars())
    problems = []
    for record in incoming.values():
        for name, ref in record.references():
            if ref in incoming:
                continue
            if ref not in present:
                problems.append(Problem("batch", f"refers to unknown record {ref!r}", record.id, name))
            elif ref in removed_ids:
                problems.append(Problem("batch", f"refers to {ref!r}, which this load removes", record.id, name))
    for chunk in _chunks(sorted(removed_ids)):
        rows = connection.execute(
            select(links.c.record_id, links.c.field, links.c.target_id).where(links.c.target_id.in_(chunk))
        )
        for row in rows:
            if row.record_id not in removed_ids and row.record_id not in incoming:
                problems.append(
                    Problem("database", f"still refers to {row.target_id!r}, which this load would remove",
                            row.record_id, row.field)
                )
    if problems:
        raise DataError(problems)


def _write_sources(connection: Connection, batch: Iterable[Record]) -> None:
    wanted: dict[str, dict[str, Any]] = {}
    for record in batch:
        for citation in record.sources:
            source = citation.source()
            wanted.setdefault(source.id, {"id": source.id, **source.model_dump(mode="json")})
    known: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(wanted)):
        for mapping in connection.execute(select(sources).where(sources.c.id.in_(chunk))).mappings():
            known[mapping["id"]] = dict(mapping)
    fresh = [row for source_id, row in wanted.items() if source_id not in known]
    if fresh:
        connection.execute(insert(sources), fresh)
    for source_id, row in wanted.items():
        if source_id in known and known[source_id] != row:
            connection.execute(update(sources).where(sources.c.id == source_id).values(row))


def _row(record: Record, origin: str, load_id: int, *, created: bool) -> dict[str, Any]:
    start, end = record.period()
    row: dict[str, Any] = {
        "kind": record.KIND,
        "subkind": record.subkind(),
        "name": record.label(),
        "start_date": start,
        "end_date": end,
        "origin": origin,
        "data": _dump(record),
        "updated_load": load_id,
    }
    if created:
        row.update(id=record.id, created_load=load_id)
    return row


def _replace_index(connection: Connection, written: list[Record]) -> None:
    """Rebuild the links, names and citations rows of the records just written."""
    ids = [r.id for r in written]
    for table in (links, names, citations):
        for chunk in _chunks(ids):
            connection.execute(delete(table).where(table.c.record_id.in_(chunk)))
    link_rows = [
        {"record_id": r.id, "field": name, "target_id": ref} for r in written for name, ref in set(r.references())
    ]
    name_rows: dict[tuple[str, str], dict[str, str]] = {}
    for r in written:
        for label in r.names():
            norm = normalise_name(label)[:_NORM_LENGTH]
            if norm:
                name_rows.setdefault((r.id, norm), {"record_id": r.id, "norm": norm, "name": label})
    citation_rows = [
        {"record_id": r.id, "position": i, "source_id": c.source().id, "locator": c.locator, "quote": c.quote,
         "checked": c.checked}
        for r in written
        for i, c in enumerate(r.sources)
    ]
    for table, rows in ((links, link_rows), (names, list(name_rows.values())), (citations, citation_rows)):
        if rows:
            connection.execute(insert(table), rows)


def _remove(
    connection: Connection, removed: list[tuple[str, Any]], load_id: int, at: dt.datetime, log: list[dict[str, Any]]
) -> None:
    ids = [record_id for record_id, _ in removed]
    for table in (links, names, citations):
        for chunk in _chunks(ids):
            connection.execute(delete(table).where(table.c.record_id.in_(chunk)))
    for chunk in _chunks(ids):
        connection.execute(delete(records).where(records.c.id.in_(chunk)))
    for record_id, data in removed:
        log.append(_change(load_id, record_id, "*", data, None, at))


def _change(load_id: int, record_id: str, name: str, old: Any, new: Any, at: dt.datetime) -> dict[str, Any]:
    return {"load_id": load_id, "record_id": record_id, "field": name, "old": old, "new": new, "at": at}
