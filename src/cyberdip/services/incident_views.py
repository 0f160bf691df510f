"""Queries the incident and norm pages need beyond the norms service: every incident's findings at
once (computed once per state of the database), the incident list in a few queries, the norm
catalogue with its instruments, an incident's responses, and readable titles for timeline entries.

Assessing one incident costs a few milliseconds of queries; assessing all of them for the norm
catalogue or for a norm filter costs more than a page may take. The findings depend only on stored
records, and every write to them goes through a load (``store.writer``), so they are computed once
per database and last load and reused until the next load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from cyberdip.model import Response
from cyberdip.services import memo, norms
from cyberdip.store import reader


@dataclass(frozen=True)
class Engagement:
    """One finding other than ``not_engaged``: an incident, a norm, the state it judges, and how."""

    incident: str
    name: str
    date: str | None
    norm: str
    addressee: str
    status: str


@dataclass(frozen=True)
class Findings:
    """Every incident's findings other than ``not_engaged``, in incident date order."""

    load: int | None
    engagements: tuple[Engagement, ...]

    def engaged_norms(self) -> dict[str, list[str]]:
        """incident id → the norms it engages (a violation alleged or contested), sorted."""
        found: dict[str, set[str]] = {}
        for e in self.engagements:
            if e.status in norms.ENGAGED:
                found.setdefault(e.incident, set()).add(e.norm)
        return {incident: sorted(ids) for incident, ids in found.items()}

    def by_norm(self) -> dict[str, list[Engagement]]:
        result: dict[str, list[Engagement]] = {}
        for e in self.engagements:
            result.setdefault(e.norm, []).append(e)
        return result


def all_findings(connection: Connection) -> Findings:
    """The findings of every stored incident (from the assessments read model)."""
    def compute() -> Findings:
        last = reader.last_load(connection)
        rows = reader.listing(connection, kinds=["incident"])
        assessed = norms.outlines(connection, rows)
        found = [Engagement(row.id, row.name, row.start, f.norm, f.addressee, f.status)
                 for row in rows for f in assessed[row.id].engaged]
        return Findings(int(last["id"]) if last else None, tuple(found))

    return memo.memoised(connection, "all-findings", compute)


@dataclass(frozen=True)
class NormEntry:
    id: str
    code: str
    title: str
    text: str
    category: str
    addressee: str
    instrument: str | None
    instrument_name: str | None
    instrument_symbol: str | None
    year: str | None
    paragraph: str | None
    elaboration: str | None


def norm_catalogue(connection: Connection) -> list[NormEntry]:
    """Every norm with its source instrument and the instrument's year, in catalogue order (the
    GGE 2015 norms first, as the curated file lists them)."""
    rows = reader.listing(connection, kinds=["norm"])
    instruments = reader.get_many(connection, [str(r.data["instrument"]) for r in rows if r.data.get("instrument")])
    result = []
    for row in rows:
        data = row.data
        instrument = instruments.get(str(data.get("instrument") or ""))
        result.append(NormEntry(row.id, str(data.get("code", "")), str(data.get("title", row.name)),
                                str(data.get("text", "")), str(data.get("category", "norm")),
                                str(data.get("addressee", "")), data.get("instrument"),
                                instrument.name if instrument else None,
                                instrument.data.get("symbol") if instrument else None,
                                instrument.start[:4] if instrument and instrument.start else None,
                                data.get("paragraph"), data.get("elaboration")))
    order = {"norm": 0, "international_law": 1, "commitment": 2}
    result.sort(key=lambda n: (order.get(n.category, 3), n.id if n.category == "norm" else n.code.casefold()))
    return result


def responses(connection: Connection, incident_id: str) -> list[dict[str, Any]]:
    """What actors did about one incident, by date."""
    rows = reader.referrers(connection, incident_id, kind="response", field="incident")
    found = [Response.model_validate(r.data).model_dump(mode="json") for r in rows]
    return sorted(found, key=lambda r: (r["date"], r["id"]))


