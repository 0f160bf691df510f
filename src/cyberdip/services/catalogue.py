"""Finding records and profiling them: search, resolve a name, show a profile, count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from cyberdip.analysis.matching import NameIndex
from cyberdip.model import Record, record_type_for
from cyberdip.model.errors import NotFound
from cyberdip.model.values import ID_PREFIXES, date_ceil, date_floor, normalise_name
from cyberdip.services import memo
from cyberdip.sources.publishers import shipped_registry
from cyberdip.store import history, reader
from cyberdip.store.reader import StoredRecord

#: (kind of the referring record, field it refers through) → section title in a profile
SECTION_TITLES: dict[tuple[str, str], str] = {
    ("actor", "parent"): "Agencies and bodies",
    ("actor", "replaces"): "Succeeded by",
    ("membership", "member"): "Memberships",
    ("membership", "organization"): "Members",
    ("party", "actor"): "Instruments it is party to",
    ("party", "instrument"): "Parties",
    ("instrument", "owner"): "Own strategies and instruments",
    ("instrument", "forum"): "Instruments adopted here",
    ("instrument", "parent"): "Protocols and follow-ups",
    ("instrument", "topics"): "Instruments on this matter",
    ("commitment", "instrument"): "Commitments",
    ("commitment", "norms"): "Commitments restating this norm",
    ("norm", "instrument"): "Norms",
    ("event", "participants"): "Events",
    ("event", "outcomes"): "Produced at",
    ("event", "topics"): "Events on this matter",
    ("matter", "parent"): "Sub-matters",
    ("incident", "victims"): "Incidents affecting it",
    ("incident", "groups"): "Incidents linked to this group",
    ("incident", "nexus"): "Incidents it is alleged to stand behind",
    ("incident", "launched_from"): "Incidents that used its territory",
    ("incident", "vulnerability_withheld_by"): "Incidents exploiting a vulnerability it withheld",
    ("claim", "claimant_state"): "Attribution claims by its government",
    ("grouplink", "a"): "Linked group records",
    ("grouplink", "b"): "Linked group records",
    ("claim", "subject"): "Attribution claims",
    ("claim", "attributed_to"): "Attribution claims naming it",
    ("claim", "claimant"): "Attribution claims it made",
    ("response", "incident"): "Responses",
    ("response", "actor"): "Responses it made",
    ("response", "targets"): "Responses aimed at it",
    ("position", "actor"): "Positions",
    ("position", "matter"): "Positions on this matter",
    ("rollcall", "instrument"): "Roll-call votes",
}

#: for link records, the field naming the other side when seen from one side
COUNTERPART: dict[tuple[str, str], str] = {
    ("membership", "member"): "organization",
    ("membership", "organization"): "member",
    ("party", "actor"): "instrument",
    ("party", "instrument"): "actor",
}

_KIND_ORDER = {"actor": 0, "instrument": 1, "event": 2, "incident": 3, "norm": 4, "matter": 5}
#: points a match loses for being a record people rarely mean by a name: thousands of roll calls
#: share words with states and treaties ("China", "Science"), so they come after them
_KIND_PENALTY = {"rollcall": 25.0, "grouplink": 25.0, "membership": 10.0, "party": 10.0}
#: points a record loses for coming from an imported dataset rather than the curated one
_IMPORTED_PENALTY = 3.0


@dataclass(frozen=True)
class SearchHit:
    id: str
    name: str
    kind: str
    subkind: str | None
    matched: str
    score: float


def search(connection: Connection, text: str, *, limit: int = 20, kinds: Sequence[str] = ()) -> list[SearchHit]:
    """Records whose id, name or alias matches ``text``: exact first, then prefix, then fuzzy;
    among equal matches states, bodies, instruments and incidents before roll calls, curated
    records before imported ones. ``kinds`` keeps only those record kinds."""
    query = text.strip()
    norm = normalise_name(query)
    if not norm:
        return []
    scored: dict[str, tuple[float, str]] = {}

    def offer(record_id: str, matched: str, score: float) -> None:
        if record_id not in scored or scored[record_id][0] < score:
            scored[record_id] = (score, matched)

    if ":" in query and reader.get(connection, query):
        offer(query, query, 101.0)
    for record_id, name in reader.names_exact(connection, norm):
        offer(record_id, name, 100.0)
    rarely_meant = tuple(f"{prefix}:" for prefix, kind in ID_PREFIXES.items() if kind in _KIND_PENALTY)
    for record_id, name in reader.names_with_prefix(connection, norm, limit * 5, skip_prefixes=rarely_meant):
        offer(record_id, name, 90.0)
    for record_id, name in reader.names_with_prefix(connection, norm, limit * 5):
        offer(record_id, name, 90.0)
    if sum(1 for record_id in scored if ID_PREFIXES.get(record_id.split(":", 1)[0]) not in _KIND_PENALTY) < limit:
        index = name_index(connection)
        for match in index.word_matches(norm):
            offer(match.record_id, match.name, match.score)
        for match in index.fuzzy_matches(norm, limit=limit):
            offer(match.record_id, match.name, min(match.score, 80.0))
    found = reader.get_many(connection, list(scored))
    hits = [
        SearchHit(rid, found[rid].name, found[rid].kind, found[rid].subkind, matched,
                  score - _KIND_PENALTY.get(found[rid].kind, 0.0)
                  - (_IMPORTED_PENALTY if found[rid].origin != "curated" else 0.0))
        for rid, (score, matched) in scored.items()
        if rid in found and (not kinds or found[rid].kind in kinds or found[rid].subkind in kinds)
    ]
    hits.sort(key=lambda h: (-h.score, _KIND_ORDER.get(h.kind, 9), h.name))
    return hits[:limit]


def name_index(connection: Connection) -> NameIndex:
    """Every record's names, indexed by word (built once per load)."""
    return memo.memoised(connection, "name-index", lambda: NameIndex(reader.all_names(connection)))


def resolve(connection: Connection, ref: str) -> StoredRecord:
    """The record a user means by ``ref``: an id, or a name or alias that picks out one record.

    Raises :class:`NotFound` with suggestions when nothing (or more than one thing) matches.
    """
    ref = ref.strip()
    if ":" in ref and ref.split(":", 1)[0] in ID_PREFIXES:
        record = reader.get(connection, ref)
        if record:
            return record
    exact = {record_id for record_id, _ in reader.names_exact(connection, normalise_name(ref))}
    if len(exact) == 1:
        found = reader.get(connection, exact.pop())
        if found:
            return found
    if len(exact) > 1:
        raise NotFound(ref, sorted(exact)[:8])
    hits = search(connection, ref, limit=5)
    strong = [hit for hit in hits if hit.score >= 85.0]
    if len(strong) == 1:
        found = reader.get(connection, strong[0].id)
        if found:
            return found
    raise NotFound(ref, [hit.id for hit in hits])


@dataclass
class ProfileItem:
    id: str
    name: str
    kind: str
    subkind: str | None
    start: str | None
    end: str | None
    current: bool
    other: dict[str, str] | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Profile:
    record: dict[str, Any]
    kind: str
    name: str
    references: dict[str, list[dict[str, str]]]
    sections: dict[str, list[ProfileItem]]
    sources: list[dict[str, Any]]
    as_of: str | None = None
    at: str | None = None
    lists: list[dict[str, Any]] = field(default_factory=list)
    #: records that refer to it but are not listed, by kind (roll calls held in a body: thousands)
    not_listed: dict[str, int] = field(default_factory=dict)


#: kinds of referring records a profile counts instead of listing
COUNTED_ONLY = ("rollcall",)


def coverage_notes(record: dict[str, Any], listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How complete each member or party list of a record is, in words: ``listed`` are the
    membership or party records that point at it."""
    notes = []
    for coverage in record.get("coverage") or []:
        role = coverage["role"]
        recorded = sum(1 for data in listed if data.get("role") == role and not data.get("valid_to"))
        count = coverage.get("count")
        official = f"{count} on the official list" if count is not None else "the official list"
        if coverage["status"] == "complete":
            text = f"Complete: {recorded} current {role} records, as {official} gives them on {coverage['as_of']}."
        else:
            text = (f"Partial list: {recorded} current {role} records, against {official} on {coverage['as_of']}. "
                    f"Missing: {coverage['missing']}")
        notes.append({**coverage, "recorded": recorded, "text": text})
    return notes


def _with_classes(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each cited source with its publisher's class from the registry (government, news ...)."""
    registry = shipped_registry()
    found = []
    for source in sources:
        publisher_class = registry.classify(str(source["url"])).class_
        found.append({**source, "class": publisher_class.value if publisher_class else None})
    return found


def profile(
    connection: Connection,
    ref: str,
    *,
    as_of: dt.date | None = None,
    at: dt.date | None = None,
    referring_kinds: Sequence[str] = (),
) -> Profile:
    """Everything the knowledge base says about one record (or, with ``referring_kinds``, only
    what records of those kinds say of it).

    ``as_of`` answers what was known on that day (the change log is rewound); ``at`` keeps only
    the memberships, parties and other dated links valid on that day.
    """
    main_id = _resolve_id(connection, ref, as_of)
    incoming = reader.referrers(connection, main_id, except_kinds=COUNTED_ONLY, kinds=referring_kinds)
    counted = reader.referrer_counts(connection, [main_id]).get(main_id, {})
    current = reader.get(connection, main_id)
    data_by_id: dict[str, dict[str, Any] | None] = {main_id: current.data if current else None}
    data_by_id.update({r.id: r.data for r in incoming})
    if as_of is not None:
        cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
        removed = [rid for rid, old in reader.removed_after(connection, cutoff) if _mentions(old, main_id)]
        data_by_id = history.as_known_at(connection, [*data_by_id, *removed], cutoff)
    record_data = data_by_id.get(main_id)
    if record_data is None:
        when = f" as of {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"{main_id}{when}", [])

    kinds = {r.id: r.kind for r in incoming}
    sections: dict[str, list[ProfileItem]] = {}
    counterpart_ids: list[str] = []
    pending: list[tuple[str, str, str, dict[str, Any]]] = []
    for record_id, data in data_by_id.items():
        if record_id == main_id or data is None:
            continue
        kind = kinds.get(record_id) or _kind_of(record_id)
        for field_name in _fields_pointing_at(data, main_id):
            pending.append((record_id, kind, field_name, data))
            other_field = COUNTERPART.get((kind, field_name))
            if other_field and data.get(other_field):
                counterpart_ids.append(data[other_field])
    names = {rid: r.name for rid, r in reader.get_many(connection, counterpart_ids).items()}
    cited = reader.cited_sources(connection, [main_id, *(rid for rid, *_ in pending)])
    for record_id, kind, field_name, data in pending:
        item = _item(record_id, kind, data, names, COUNTERPART.get((kind, field_name)), at)
        if item is None:
            continue
        item.sources = cited.get(record_id, [])
        title = SECTION_TITLES.get((kind, field_name), f"{kind} ({field_name})")
        sections.setdefault(title, []).append(item)
    for items in sections.values():
        items.sort(key=lambda i: (i.start or "9999", i.name))

    outgoing = _outgoing(connection, record_data)
    listed = [data for _, kind, field_name, data in pending
              if (kind, field_name) in (("membership", "organization"), ("party", "instrument"))]
    return Profile(
        record=record_data,
        kind=_kind_of(main_id),
        name=_as_record(main_id, record_data).label(),
        references=outgoing,
        sections=sections,
        sources=_with_classes(cited.get(main_id, []) or record_data.get("sources", [])),
        as_of=as_of.isoformat() if as_of else None,
        at=at.isoformat() if at else None,
        lists=coverage_notes(record_data, listed),
        not_listed={kind: n for kind, n in counted.items() if kind in COUNTED_ONLY},
    )


def _resolve_id(connection: Connection, ref: str, as_of: dt.date | None) -> str:
    """The id ``ref`` stands for; with ``as_of``, ids of records since removed count too."""
    try:
        return resolve(connection, ref).id
    except NotFound:
        if as_of is not None and reader.ever_known(connection, ref.strip()):
            return ref.strip()
        raise


def _kind_of(record_id: str) -> str:
    return ID_PREFIXES[record_id.split(":", 1)[0]]


def _mentions(data: dict[str, Any], target: str) -> bool:
    return bool(_fields_pointing_at(data, target))


def _fields_pointing_at(data: dict[str, Any], target: str) -> list[str]:
    fields = []
    for name, value in data.items():
        if name in ("id", "sources"):
            continue
        nested = isinstance(value, list) and any(isinstance(v, dict) and target in v.values() for v in value)
        if value == target or (isinstance(value, list) and target in value) or nested:
            fields.append(name)
    return fields


def _item(
    record_id: str,
    kind: str,
    data: dict[str, Any],
    names: dict[str, str],
    other_field: str | None,
    at: dt.date | None,
) -> ProfileItem | None:
    record = _as_record(record_id, data)
    start, end = record.period()
    lasting = kind in ("actor", "membership", "instrument")  # for events an end date is not an ending
    if at is not None and start and date_floor(start) > at:
        return None
    if at is not None and lasting and end and date_ceil(end) < at:
        return None
    current = not (lasting and end) or date_ceil(end) >= (at or dt.date.today())
    other = None
    name = record.label()
    if other_field:
        other_id = data.get(other_field, "")
        role = data.get("role", "")
        other = {"id": other_id, "name": names.get(other_id, other_id), "role": role}
        name = f"{other['name']} ({role})" if role else other["name"]
    return ProfileItem(record_id, name, kind, record.subkind(), start, end, current, other)


def _as_record(record_id: str, data: dict[str, Any]) -> Record:
    return record_type_for(record_id).model_validate(data)


def _outgoing(connection: Connection, data: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The records this one points at, by field, with their names."""
    targets: dict[str, list[str]] = {}
    for name, value in data.items():
        if name in ("id", "sources"):
            continue
        values = value if isinstance(value, list) else [value]
        refs = [v for v in values if isinstance(v, str) and v.split(":", 1)[0] in ID_PREFIXES and ":" in v]
        if refs:
            targets[name] = refs
    found = reader.get_many(connection, [ref for refs in targets.values() for ref in refs])
    return {
        name: [{"id": ref, "name": found[ref].name if ref in found else ref} for ref in refs]
        for name, refs in targets.items()
    }


def names(connection: Connection, ids: Iterable[str]) -> dict[str, str]:
    """The display name of each record id (ids not in the knowledge base name themselves)."""
    wanted = sorted({i for i in ids if i})
    found = reader.names_of(connection, wanted)
    return {i: found.get(i, i) for i in wanted}


def statistics(connection: Connection) -> dict[str, Any]:
    """What the knowledge base holds: records per kind and subkind, sources, last load."""
    counts = reader.counts(connection)
    last = reader.last_load(connection)
    return {
        "records": {kind: sum(sub.values()) for kind, sub in sorted(counts.items())},
        "by_subkind": {kind: dict(sorted(sub.items())) for kind, sub in sorted(counts.items())},
        "sources": reader.count_sources(connection),
        "last_load": None
        if last is None
        else {
            "id": last["id"],
            "origin": last["origin"],
            "finished_at": last["finished_at"].isoformat() if last["finished_at"] else None,
            "summary": last["summary"],
        },
    }


def record_history(connection: Connection, ref: str) -> list[dict[str, Any]]:
    """Every change to one record: when, which load, which field, old → new."""
    record = resolve(connection, ref)
    return [
        {
            "at": change["at"].isoformat(),
            "load": change["load_id"],
            "origin": change["origin"],
            "field": change["field"],
            "old": change["old"],
            "new": change["new"],
        }
        for change in reader.history(connection, record.id)
    ]


@dataclass(frozen=True)
class MatterRow:
    id: str
    name: str
    parent: str | None
    summary: str | None
    referred: dict[str, int]  # record kind → how many records are on this matter


def matters(connection: Connection) -> list[MatterRow]:
    """The policy matters cyberdip files records under, with how many instruments, events and
    UN roll calls each has, parents before their sub-matters."""
    rows = reader.listing(connection, kinds=["matter"])
    counts = reader.referrer_counts(connection, [r.id for r in rows])
    found = [MatterRow(r.id, r.name, r.data.get("parent"), r.data.get("summary"),
                       {k: n for k, n in counts.get(r.id, {}).items() if k != "matter"}) for r in rows]
    children: dict[str | None, list[MatterRow]] = {}
    known = {m.id for m in found}
    for row in sorted(found, key=lambda m: m.name.casefold()):
        children.setdefault(row.parent if row.parent in known else None, []).append(row)
    ordered: list[MatterRow] = []

    def visit(parent: str | None) -> None:
        for row in children.get(parent, []):
            ordered.append(row)
            visit(row.id)

    visit(None)
    return ordered


def list_records(
    connection: Connection,
    kind: str,
    *,
    subkinds: list[str] | None = None,
    role: str | None = None,
    parent: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Records of one kind (actors, instruments...) filtered by subkind, agency role or parent."""
    if kind not in ID_PREFIXES.values():
        raise ValueError(f"unknown kind {kind!r}")
    rows = reader.listing(connection, kinds=[kind], subkinds=subkinds or ())
    if parent:
        parent_id = resolve(connection, parent).id
        rows = [r for r in rows if r.data.get("parent") == parent_id or r.data.get("owner") == parent_id]
    if role:
        rows = [r for r in rows if role in r.data.get("roles", [])]
    rows.sort(key=lambda r: r.name.casefold())
    return [
        {"id": r.id, "name": r.name, "kind": r.kind, "subkind": r.subkind, "start": r.start, "end": r.end}
        for r in rows[:limit]
    ]
