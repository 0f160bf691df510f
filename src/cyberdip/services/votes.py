"""UN General Assembly votes: importing them, and selecting roll calls and vote matrices."""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Connection

from cyberdip.analysis.tagging import MatterRule, tag
from cyberdip.analysis.votes import NONE, VoteMatrix
from cyberdip.model import Actor, Matter, RollCall
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import parse_partial_date
from cyberdip.services.catalogue import resolve
from cyberdip.services.workbench import Workbench
from cyberdip.sources import unga
from cyberdip.store import reader, writer
from cyberdip.store import votes as vote_store

#: the UN Digital Library's voting-data export; the file name changes with each update
UNDL_URL = "https://digitallibrary.un.org/record/4060887/files/2025_12_15_ga_voting.csv"
#: strongest evidence of a state's position first: a cast vote beats absence beats non-membership
_PRECEDENCE = {unga.YES: 0, unga.NO: 0, unga.ABSTAIN: 0, unga.ABSENT: 1, unga.NON_MEMBER: 2}


@dataclass
class ImportSummary:
    format: str
    rollcalls: int
    votes: int
    tagged: dict[str, int] = field(default_factory=dict)
    merged_with_existing: int = 0


def import_unga(workbench: Workbench, path: Path, *, at: dt.datetime | None = None) -> ImportSummary:
    """Import a UN vote file or folder (format detected) in one transaction."""
    workbench.require_schema()
    with workbench.writing() as connection:
        data = unga.read_votes(path, state_lookup(connection), matter_tagger(connection))
        calls, rows, merged = _merge_with_existing(connection, data)
        writer.ingest(connection, calls, origin=f"import:{data.format}",
                      description=f"UN votes from {path.name}", at=at)
        vote_store.write(connection, calls, rows)
    tagged: dict[str, int] = {}
    for call in calls:
        for matter in call.matters:
            tagged[matter] = tagged.get(matter, 0) + 1
    return ImportSummary(data.format, len(calls), len(rows), dict(sorted(tagged.items())), merged)


def fetch_unga(workbench: Workbench, url: str, folder: Path) -> tuple[Path, ImportSummary]:
    """Download the UN Digital Library voting file and import it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (url.rstrip("/").rsplit("/", 1)[-1] or "ga_voting.csv")
    try:
        with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as handle:
            while chunk := response.read(1 << 20):
                handle.write(chunk)
    except OSError as exc:
        raise DataError([Problem(url, f"download failed: {exc}")]) from None
    return target, import_unga(workbench, target)


def state_lookup(connection: Connection) -> unga.StateLookup:
    by_iso2: dict[str, str] = {}
    by_iso3: dict[str, str] = {}
    by_cow: dict[int, str] = {}
    by_name: dict[str, str] = {}
    for stored in reader.listing(connection, kinds=["actor"], subkinds=["state"]):
        state = Actor.model_validate(stored.data)
        if state.iso2:
            by_iso2[state.iso2] = state.id
        if state.iso3:
            by_iso3[state.iso3] = state.id
        if state.cow is not None:
            by_cow.setdefault(state.cow, state.id)
        for name in state.names():
            by_name.setdefault(name.strip().casefold(), state.id)
    return unga.StateLookup(by_iso2, by_iso3, by_cow, by_name)


def matter_rules(connection: Connection) -> list[MatterRule]:
    rules = []
    for stored in reader.listing(connection, kinds=["matter"]):
        matter = Matter.model_validate(stored.data)
        if matter.keywords:
            rules.append(MatterRule.of(matter.id, matter.keywords))
    return rules


def matter_tagger(connection: Connection) -> unga.Tagger:
    rules = matter_rules(connection)
    return lambda symbol, text: tag(symbol, text, rules)


def _merge_with_existing(
    connection: Connection, data: unga.VoteData
) -> tuple[list[RollCall], list[tuple[str, str, int]], int]:
    """Deduplicate votes, and file a re-imported vote (same symbol and date, e.g. the UN Digital
    Library's copy of a vote already imported from unvotes) under the roll call already stored."""
    renamed: dict[str, str] = {}
    if data.format == "undl":
        existing = vote_store.same_vote(connection, [(c.symbol or "", c.date) for c in data.rollcalls if c.symbol])
        for call in data.rollcalls:
            match = existing.get((call.symbol or "", call.date))
            if match and match != call.id:
                renamed[call.id] = match
    calls = [call for call in data.rollcalls if call.id not in renamed]
    if renamed:
        kept = {c.id: c for c in reader_rollcalls(connection, list(set(renamed.values())))}
        calls.extend(kept.values())
    best: dict[tuple[str, str], int] = {}
    for rollcall_id, state, code in data.votes:
        key = (renamed.get(rollcall_id, rollcall_id), state)
        if key not in best or _PRECEDENCE[code] < _PRECEDENCE[best[key]]:
            best[key] = code
    return calls, [(rc, state, code) for (rc, state), code in best.items()], len(renamed)


def reader_rollcalls(connection: Connection, ids: list[str]) -> list[RollCall]:
    return [RollCall.model_validate(r.data) for r in reader.get_many(connection, ids).values()]


# ---------------------------------------------------------------------------------------------
# Selecting roll calls and building vote matrices


@dataclass(frozen=True)
class Selection:
    """Which roll calls an analysis covers: a matter, sessions, a period, or explicit symbols."""

    matter: str | None = None
    sessions: tuple[int, ...] = ()
    start: str | None = None
    end: str | None = None
    symbols: tuple[str, ...] = ()
    final_passage_only: bool = False

    def describe(self) -> str:
        parts = []
        if self.matter:
            parts.append(f"matter {self.matter}")
        if self.sessions:
            parts.append("session " + ", ".join(map(str, self.sessions)))
        if self.start or self.end:
            parts.append(f"{self.start or '…'} to {self.end or '…'}")
        if self.symbols:
            parts.append(", ".join(self.symbols))
        return "; ".join(parts) or "all roll calls"


def matter_family(connection: Connection, matter_ref: str) -> list[str]:
    """A matter and all its sub-matters."""
    root = resolve(connection, matter_ref)
    if root.kind != "matter":
        raise DataError([Problem("--matter", f"{root.id} is not a matter")])
    family, frontier = [root.id], [root.id]
    while frontier:
        children = [r.id for parent in frontier for r in reader.referrers(connection, parent, kind="matter",
                                                                           field="parent")]
        family.extend(children)
        frontier = children
    return family


def select_rollcalls(connection: Connection, selection: Selection) -> list[vote_store.RollCallRow]:
    matters = matter_family(connection, selection.matter) if selection.matter else []
    start = parse_partial_date(selection.start) if selection.start else None
    end = parse_partial_date(selection.end) if selection.end else None
    symbols = tuple(unga.normalise_symbol(s) for s in selection.symbols)
    rows = vote_store.find_rollcalls(connection, sessions=selection.sessions, start=start, end=end,
                                     matters=matters, symbols=symbols, body="org:un")
    if selection.final_passage_only:
        rows = [r for r in rows if not (r.amendment or r.paragraph)]
    return rows


def vote_matrix(connection: Connection, selection: Selection) -> tuple[VoteMatrix, list[vote_store.RollCallRow]]:
    """The votes of the selected roll calls as a matrix over every state that voted in them."""
    calls = select_rollcalls(connection, selection)
    if not calls:
        raise DataError([Problem("selection", f"no UN roll calls for {selection.describe()}; import votes with "
                                 "`cyberdip import unga PATH`")])
    states, codes = vote_store.matrix(connection, [c.id for c in calls])
    cast = np.where(np.isin(codes, (unga.YES, unga.ABSTAIN, unga.NO)), codes, NONE).astype(np.int8)
    voted = cast.any(axis=1)  # absent and non-member rows become NONE: never abstentions
    matrix = VoteMatrix(tuple(states[i] for i in np.flatnonzero(voted)),
                        tuple(c.id for c in calls), cast[voted])
    return matrix, calls

