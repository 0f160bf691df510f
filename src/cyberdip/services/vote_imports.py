"""Importing UN General Assembly votes: read a file (format detected), match its roll calls with
those already stored, write them in one transaction with the read models they change."""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from cyberdip.analysis.tagging import MatterRule, tag
from cyberdip.model import Actor, Matter, RollCall
from cyberdip.model.errors import DataError, Problem
from cyberdip.services import read_models
from cyberdip.services.votes import reader_rollcalls
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
        summary = writer.ingest(connection, calls, origin=f"import:{data.format}",
                                description=f"UN votes from {path.name}", at=at)
        vote_store.write(connection, calls, rows)
        read_models.after_load(connection, summary.changed_kinds() | {"rollcall"})
    tagged: dict[str, int] = {}
    for call in calls:
        for matter in call.matters:
            tagged[matter] = tagged.get(matter, 0) + 1
    return ImportSummary(data.format, len(calls), len(rows), dict(sorted(tagged.items())), merged)


#: the UN General Assembly votes cyberdip ships, 1946-2026 (provenance and terms: the README beside it)
SHIPPED_VOTES = Path(__file__).resolve().parents[1] / "data" / "unvotes" / "unga-votes.json.gz"


def shipped_votes_about() -> dict[str, object]:
    """What the shipped vote snapshot holds, where from and on what terms."""
    return unga.snapshot_about(SHIPPED_VOTES)


def import_shipped_votes(workbench: Workbench, *, force: bool = False) -> ImportSummary | None:
    """Import the shipped UN votes when the knowledge base has none yet (or when ``force``)."""
    with workbench.reading() as connection:
        if not force and vote_store.sessions(connection, body=unga.UN):
            return None
    return import_unga(workbench, SHIPPED_VOTES)


def export_snapshot(workbench: Workbench, path: Path, about: dict[str, object]) -> int:
    """Write every stored UN General Assembly roll call and its votes as a snapshot; how many."""
    with workbench.reading() as connection:
        calls = [RollCall.model_validate(stored.data) for stored in reader.listing(connection, kinds=["rollcall"])
                 if stored.data.get("body") == unga.UN]
        states, codes = vote_store.matrix(connection, [call.id for call in calls])
    unga.write_snapshot(path, calls, states, codes, about)
    return len(calls)


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
