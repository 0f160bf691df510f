"""UN General Assembly votes: selecting roll calls and vote matrices (importing them: ``vote_imports``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from cyberdip.analysis.votes import NONE, VoteMatrix
from cyberdip.model import RollCall
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import parse_partial_date
from cyberdip.services.catalogue import resolve
from cyberdip.sources import unga
from cyberdip.store import reader
from cyberdip.store import votes as vote_store


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
    """A matter and all its sub-matters; for several matters separated by commas, each one's
    family in turn (the first matter first)."""
    if "," in matter_ref:
        found = [m for part in matter_ref.split(",") if part.strip() for m in matter_family(connection, part.strip())]
        return list(dict.fromkeys(found))
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


def sessions_with_votes(connection: Connection, end: str | None = None) -> list[int]:
    """The General Assembly sessions with final-passage roll calls (up to ``end``), in order."""
    return vote_store.sessions(connection, body="org:un", end=parse_partial_date(end) if end else None)


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



# ---------------------------------------------------------------------------------------------
# One roll call, state by state

#: how a vote code reads
VOTE_WORDS = {unga.YES: "yes", unga.NO: "no", unga.ABSTAIN: "abstain", unga.ABSENT: "not voting",
              unga.NON_MEMBER: "not a member"}


@dataclass(frozen=True)
class StateVote:
    state: str
    name: str
    vote: str


@dataclass(frozen=True)
class RollCallVotes:
    """How every state voted on one roll call, and the tally."""

    id: str
    symbol: str | None
    date: str
    session: int | None
    title: str
    amendment: bool
    paragraph: bool
    tally: dict[str, int]
    votes: list[StateVote]


def rollcall_votes(connection: Connection, ref: str) -> list[RollCallVotes]:
    """Each state's vote on the roll calls of a resolution symbol (A/RES/75/240, 75/240) or on one
    roll call id; a symbol voted on several times (paragraphs, amendments) gives each vote."""
    ref = ref.strip()
    symbol = unga.normalise_symbol(f"A/RES/{ref}" if re.match(r"^\d+/\S+$", ref) else ref)
    rows = vote_store.find_rollcalls(connection, symbols=[symbol]) if symbol else []
    if not rows:
        rows = vote_store.find_rollcalls(connection, ids=[resolve(connection, ref).id])
    if not rows:
        raise DataError([Problem(ref, "not a roll call or a resolution symbol with recorded votes")])
    states, codes = vote_store.matrix(connection, [row.id for row in rows])
    names = reader.names_of(connection, states)
    calls = {call.id: call for call in reader_rollcalls(connection, [row.id for row in rows])}
    found = []
    for j, row in enumerate(rows):
        votes = sorted((StateVote(state, names.get(state, state), VOTE_WORDS[int(code)])
                        for state, code in zip(states, codes[:, j], strict=True) if code),
                       key=lambda v: v.name)
        tally = {word: sum(1 for v in votes if v.vote == word) for word in ("yes", "no", "abstain", "not voting")}
        call = calls[row.id]
        found.append(RollCallVotes(row.id, row.symbol, row.date, row.session, call.title, row.amendment,
                                   row.paragraph, tally, votes))
    return found
