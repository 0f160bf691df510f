"""Read queries over the knowledge base. Every query here is served by an index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from cyberdip.model.values import kind_of
from cyberdip.store.schema import changes, citations, links, loads, names, records, sources


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: its validated data plus bookkeeping."""

    id: str
    kind: str
    subkind: str | None
    name: str
    start: str | None
    end: str | None
    origin: str
    data: dict[str, Any]


def _stored(row: Any) -> StoredRecord:
    return StoredRecord(
        row.id, row.kind, row.subkind, row.name, row.start_date, row.end_date, row.origin, row.data
    )


_COLUMNS = (
    records.c.id,
    records.c.kind,
    records.c.subkind,
    records.c.name,
    records.c.start_date,
    records.c.end_date,
    records.c.origin,
    records.c.data,
)


def get(connection: Connection, record_id: str) -> StoredRecord | None:
    row = connection.execute(select(*_COLUMNS).where(records.c.id == record_id)).first()
    return _stored(row) if row else None


def get_many(connection: Connection, ids: Sequence[str]) -> dict[str, StoredRecord]:
    found: dict[str, StoredRecord] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for row in connection.execute(select(*_COLUMNS).where(records.c.id.in_(chunk))):
            found[row.id] = _stored(row)
    return found


def names_of(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The name of each stored record among ``ids`` (nothing else is read)."""
    return _column_of(connection, ids, records.c.name)


def origins_of(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Where each stored record among ``ids`` came from (curated, user, import:<format>)."""
    return _column_of(connection, ids, records.c.origin)


def _column_of(connection: Connection, ids: Sequence[str], column: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        query = select(records.c.id, column.label("value")).where(records.c.id.in_(unique[start:start + 500]))
        found.update({row.id: row.value for row in connection.execute(query)})
    return found


def referrers(
    connection: Connection, target_id: str, *, kind: str | None = None, field: str | None = None,
    except_kinds: Sequence[str] = (), kinds: Sequence[str] = (),
) -> list[StoredRecord]:
    """Records that refer to ``target_id`` (through any field, or the one given; of one kind, of
    the ``kinds`` given, or of any kind but ``except_kinds``)."""
    query = select(*_COLUMNS).join(links, links.c.record_id == records.c.id).where(links.c.target_id == target_id)
    if field:
        query = query.where(links.c.field == field)
    if kind:
        query = query.where(records.c.kind == kind)
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    if except_kinds:
        query = query.where(records.c.kind.not_in(list(except_kinds)))
    query = query.distinct().order_by(records.c.start_date, records.c.id)
    return [_stored(row) for row in connection.execute(query)]


def referring_ids(connection: Connection, target_ids: Sequence[str], kind: str,
                  field: str | None = None) -> list[tuple[str, str]]:
    """(target, referring record id) through ``field`` (any when ``None``), from the links index
    alone; the kind is the id's prefix, so no other table is read (and the planner cannot start
    from the wrong one)."""
    found: list[tuple[str, str]] = []
    unique = sorted(set(target_ids))
    for start in range(0, len(unique), 500):
        query = select(links.c.target_id, links.c.record_id).where(links.c.target_id.in_(unique[start:start + 500]))
        if field:
            query = query.where(links.c.field == field)
        found += [(row.target_id, row.record_id) for row in connection.execute(query)
                  if kind_of(row.record_id) == kind]
    return found


def referrers_of_many(connection: Connection, target_ids: Sequence[str], *, kind: str,
                      field: str) -> list[tuple[str, StoredRecord]]:
    """(target, record) for every record of ``kind`` referring through ``field`` to one of the targets."""
    pairs = referring_ids(connection, target_ids, kind, field)
    stored = get_many(connection, [record_id for _, record_id in pairs])
    return [(target, stored[record_id]) for target, record_id in pairs if record_id in stored]


def link_targets(connection: Connection, record_ids: Sequence[str], field: str) -> list[tuple[str, str]]:
    """(record id, target) of every link of the given records through ``field``, from the links index."""
    found: list[tuple[str, str]] = []
    unique = sorted(set(record_ids))
    for start in range(0, len(unique), 500):
        query = select(links.c.record_id, links.c.target_id).where(
            links.c.record_id.in_(unique[start:start + 500]), links.c.field == field)
        found += [(row.record_id, row.target_id) for row in connection.execute(query)]
    return found


def claim_targets(connection: Connection, subject_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(subject, attributed_to) of every claim about one of the subjects, from the links alone."""
    pairs = referring_ids(connection, subject_ids, "claim", "subject")
    claim_ids = sorted({claim for _, claim in pairs})
    targets: dict[str, list[str]] = {}
    for start in range(0, len(claim_ids), 500):
        query = select(links.c.record_id, links.c.target_id).where(
            links.c.record_id.in_(claim_ids[start:start + 500]), links.c.field == "attributed_to")
        for row in connection.execute(query):
            targets.setdefault(row.record_id, []).append(row.target_id)
    return [(subject, target) for subject, claim in pairs for target in targets.get(claim, [])]


def names_exact(connection: Connection, norm: str) -> list[tuple[str, str]]:
    """(record id, name) pairs whose normalised name equals ``norm``."""
    rows = connection.execute(select(names.c.record_id, names.c.name).where(names.c.norm == norm))
    return [(row.record_id, row.name) for row in rows]


def names_with_prefix(connection: Connection, norm: str, limit: int,
                      skip_prefixes: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(record id, name) pairs whose normalised name starts with ``norm`` (a range scan),
    leaving out records whose id starts with one of ``skip_prefixes`` (``rollcall:``)."""
    upper = norm + "\U0010ffff"
    query = select(names.c.record_id, names.c.name).where(and_(names.c.norm >= norm, names.c.norm < upper))
    for prefix in skip_prefixes:
        query = query.where(names.c.record_id.not_like(prefix + "%"))
    rows = connection.execute(query.order_by(names.c.norm).limit(limit))
    return [(row.record_id, row.name) for row in rows]


def all_names(connection: Connection) -> list[tuple[str, str, str]]:
    """Every (record id, name, normalised name): the candidate list for fuzzy matching."""
    rows = connection.execute(select(names.c.record_id, names.c.name, names.c.norm))
    return [(row.record_id, row.name, row.norm) for row in rows]


def listing(
    connection: Connection,
    *,
    kinds: Sequence[str] = (),
    subkinds: Sequence[str] = (),
    start_from: str | None = None,
    start_to: str | None = None,
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[StoredRecord]:
    """Records filtered by kind, subkind and start date, in date order."""
    query = _filtered(select(*_COLUMNS), kinds, subkinds, start_from, start_to, ids, newest_first)
    order = records.c.start_date.desc() if newest_first else records.c.start_date
    query = query.order_by(order, records.c.id)
    if limit:
        query = query.limit(limit)
    return [_stored(row) for row in connection.execute(query)]


@dataclass(frozen=True)
class RecordKey:
    """What sorting and counting a listing needs: no data is decoded."""

    id: str
    name: str
    start: str | None


def listing_keys(connection: Connection, *, kinds: Sequence[str] = (), start_from: str | None = None,
                 start_to: str | None = None, ids: Sequence[str] | None = None) -> list[RecordKey]:
    """The ids, names and start dates of what :func:`listing` would return, in date order."""
    query = _filtered(select(records.c.id, records.c.name, records.c.start_date), kinds, (), start_from, start_to,
                      ids, False).order_by(records.c.start_date, records.c.id)
    return [RecordKey(row.id, row.name, row.start_date) for row in connection.execute(query)]


def counts_by_year(connection: Connection, *, kinds: Sequence[str] = (), start_from: str | None = None,
                   start_to: str | None = None, ids: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
    """How many dated records of each kind start in each year: (year, kind) → count, in the index."""
    year = func.substr(records.c.start_date, 1, 4)
    query = _filtered(select(year.label("year"), records.c.kind, func.count()), kinds, (), start_from, start_to,
                      ids, True).group_by(year, records.c.kind)
    return {(row[0], row[1]): int(row[2]) for row in connection.execute(query)}


def _filtered(query: Any, kinds: Sequence[str], subkinds: Sequence[str], start_from: str | None,
              start_to: str | None, ids: Sequence[str] | None, dated_only: bool) -> Any:
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    if subkinds:
        query = query.where(records.c.subkind.in_(list(subkinds)))
    if start_from:
        query = query.where(records.c.start_date >= start_from)
    if start_to:
        # a partial date like "2015" covers "2015-12-31": compare against the padded upper bound
        query = query.where(records.c.start_date <= start_to + "\uffff")
    if ids is not None:
        query = query.where(records.c.id.in_(list(ids)))
    if start_from or start_to or dated_only:
        query = query.where(records.c.start_date.is_not(None))
    return query


def iterate(connection: Connection, kinds: Sequence[str] = (), origin: str | None = None) -> Iterator[StoredRecord]:
    """Every record (optionally of some kinds, or from one origin) in id order, streamed."""
    query = select(*_COLUMNS).order_by(records.c.id)
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    if origin:
        query = query.where(records.c.origin == origin)
    # the option on the statement, not the connection (which would keep it for every later statement)
    for row in connection.execute(query.execution_options(stream_results=True)):
        yield _stored(row)


def counts(connection: Connection) -> dict[str, dict[str, int]]:
    """Number of records per kind and subkind."""
    rows = connection.execute(
        select(records.c.kind, records.c.subkind, func.count()).group_by(records.c.kind, records.c.subkind)
    )
    result: dict[str, dict[str, int]] = {}
    for kind, subkind, count in rows:
        result.setdefault(kind, {})[subkind or ""] = count
    return result


def referrer_counts(connection: Connection, target_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """target id → {kind of the records referring to it: how many}, one grouped index scan."""
    found: dict[str, dict[str, int]] = {}
    unique = sorted(set(target_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = connection.execute(
            select(links.c.target_id, records.c.kind, func.count(func.distinct(links.c.record_id)))
            .join(records, records.c.id == links.c.record_id)
            .where(links.c.target_id.in_(chunk))
            .group_by(links.c.target_id, records.c.kind)
        )
        for target, kind, count in rows:
            found.setdefault(target, {})[kind] = int(count)
    return found


def count_sources(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(sources)).scalar_one())


def cited_sources(connection: Connection, record_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """record id → the sources it cites (with locators, quotes and check dates), in citation order."""
    result: dict[str, list[dict[str, Any]]] = {}
    unique = sorted(set(record_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = connection.execute(
            select(citations.c.record_id, citations.c.locator, citations.c.quote, citations.c.checked, sources)
            .join(sources, sources.c.id == citations.c.source_id)
            .where(citations.c.record_id.in_(chunk))
            .order_by(citations.c.record_id, citations.c.position)
        ).mappings()
        for row in rows:
            entry = {k: row[k] for k in ("id", "url", "title", "publisher", "published", "locator", "quote", "checked")}
            result.setdefault(row["record_id"], []).append(entry)
    return result


def changes_since(connection: Connection, record_ids: Sequence[str], after: dt.datetime) -> list[dict[str, Any]]:
    """Changes to the given records made after ``after``, newest first."""
    found: list[dict[str, Any]] = []
    unique = sorted(set(record_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = connection.execute(
            select(changes).where(and_(changes.c.record_id.in_(chunk), changes.c.at > after))
        ).mappings()
        found.extend(dict(row) for row in rows)
    found.sort(key=lambda change: change["id"], reverse=True)
    return found


def history(connection: Connection, record_id: str) -> list[dict[str, Any]]:
    """Every change to one record, oldest first, with the load that made it."""
    rows = connection.execute(
        select(changes, loads.c.origin, loads.c.description)
        .join(loads, loads.c.id == changes.c.load_id)
        .where(changes.c.record_id == record_id)
        .order_by(changes.c.id)
    ).mappings()
    return [dict(row) for row in rows]


def removed_after(connection: Connection, after: dt.datetime) -> list[tuple[str, dict[str, Any]]]:
    """(record id, data before removal) of records removed after ``after``."""
    rows = connection.execute(
        select(changes.c.record_id, changes.c.old).where(
            and_(changes.c.field == "*", changes.c.new.is_(None), changes.c.at > after)
        )
    )
    return [(row.record_id, row.old) for row in rows if row.old]


def ever_known(connection: Connection, record_id: str) -> bool:
    """Whether the change log mentions this id (the record may have been removed since)."""
    row = connection.execute(select(changes.c.id).where(changes.c.record_id == record_id).limit(1)).first()
    return row is not None


def last_load(connection: Connection) -> dict[str, Any] | None:
    row = connection.execute(select(loads).order_by(loads.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def load_ids(connection: Connection, limit: int) -> list[int]:
    """The ids of the newest loads, newest first."""
    return [int(i) for i in connection.execute(select(loads.c.id).order_by(loads.c.id.desc()).limit(limit)).scalars()]
