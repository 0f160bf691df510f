"""What happened when: a dated list of events, instruments, memberships, incidents and claims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from cyberdip.model.values import parse_partial_date
from cyberdip.services.catalogue import resolve
from cyberdip.store import reader
from cyberdip.store.reader import StoredRecord

#: kinds shown when no actor is given (memberships and parties would drown the rest)
DEFAULT_KINDS = ("event", "instrument", "incident", "claim", "response")
ALL_KINDS = ("actor", "membership", "party", *DEFAULT_KINDS, "rollcall", "position")


@dataclass(frozen=True)
class Entry:
    date: str
    end: str | None
    kind: str
    subkind: str | None
    id: str
    title: str


def timeline(
    connection: Connection,
    *,
    actor: str | None = None,
    start: str | None = None,
    end: str | None = None,
    kinds: Sequence[str] = (),
    limit: int = 200,
    latest: bool = False,
) -> list[Entry]:
    """Dated records in order, optionally about one actor (itself, its agencies, and everything
    that refers to either) and within ``start``–``end`` (partial dates); the first ``limit``, or
    with ``latest`` the last ``limit`` (still in date order)."""
    chosen, ids, start, end = _selection(connection, actor, start, end, kinds)
    rows = reader.listing(connection, kinds=chosen, start_from=start, start_to=end, ids=ids, limit=limit,
                          newest_first=latest)
    if latest:
        rows.reverse()
    names = _names_for_links(connection, rows)
    return [
        Entry(row.start or "", row.end, row.kind, row.subkind, row.id, _title(row, names))
        for row in rows
        if row.start
    ]


def year_counts(connection: Connection, *, actor: str | None = None, start: str | None = None,
                end: str | None = None, kinds: Sequence[str] = ()) -> dict[tuple[str, str], int]:
    """How many of the records :func:`timeline` selects start in each year, by kind (all of them,
    whatever the limit): (year, kind) → count."""
    chosen, ids, start, end = _selection(connection, actor, start, end, kinds)
    return reader.counts_by_year(connection, kinds=chosen, start_from=start, start_to=end, ids=ids)


def _selection(connection: Connection, actor: str | None, start: str | None, end: str | None,
               kinds: Sequence[str]) -> tuple[Sequence[str], list[str] | None, str | None, str | None]:
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(ALL_KINDS)}")
    start = parse_partial_date(start) if start else None
    end = parse_partial_date(end) if end else None
    ids: list[str] | None = None
    if actor:
        subject = resolve(connection, actor)
        family = [subject.id, *(r.id for r in reader.referrers(connection, subject.id, kind="actor", field="parent"))]
        ids = list(family)
        for member in family:
            for related in reader.referrers(connection, member):
                ids.append(related.id)
                if related.kind == "party":  # the instrument itself belongs on its parties' timelines
                    ids.append(related.data["instrument"])
    chosen = tuple(kinds) or (ALL_KINDS if actor else DEFAULT_KINDS)
    return chosen, ids, start, end


def _names_for_links(connection: Connection, rows: list[StoredRecord]) -> dict[str, str]:
    ids = []
    for row in rows:
        for key in ("member", "organization", "actor", "instrument", "claimant", "attributed_to", "subject",
                    "incident"):
            value = row.data.get(key)
            if isinstance(value, str):
                ids.append(value)
    return reader.names_of(connection, ids)


def _title(row: StoredRecord, names: dict[str, str]) -> str:
    data = row.data

    def name(key: str) -> str:
        value = str(data.get(key, ""))
        return names.get(value, value)

    if row.kind == "membership":
        verb = "joins" if data.get("role") == "member" else f"becomes {data.get('role')} of"
        return f"{name('member')} {verb} {name('organization')}"
    if row.kind == "party":
        return f"{name('actor')}: {data.get('role')} of {name('instrument')}"
    if row.kind == "claim":
        claimant = name("claimant") if data.get("claimant") else data.get("claimant_name") or "an unnamed claimant"
        return f"{claimant} attributes {name('subject')} to {name('attributed_to')}"
    if row.kind == "response":
        kind = str(data.get("kind") or "response").replace("_", " ")
        return f"{name('actor')}: {kind} on {name('incident')}"
    if row.kind == "actor":
        return f"{row.name} founded"
    return row.name


def latest(connection: Connection, *, kinds: Sequence[str] = DEFAULT_KINDS, limit: int = 10) -> list[Entry]:
    """The most recent dated records of the given kinds, newest first."""
    rows = reader.listing(connection, kinds=kinds, newest_first=True, limit=limit)
    names = _names_for_links(connection, rows)
    return [Entry(row.start or "", row.end, row.kind, row.subkind, row.id, _title(row, names)) for row in rows]
