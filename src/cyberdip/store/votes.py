"""Roll-call votes: bulk writes and index-backed reads of the narrow vote tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, and_, delete, insert, select

from cyberdip.model import RollCall
from cyberdip.store.schema import links, rollcalls, vote_states

_CHUNK = 500


def write(connection: Connection, calls: Sequence[RollCall], rows: Sequence[tuple[str, str, int]]) -> None:
    """Replace the votes of ``calls`` with ``rows`` (rollcall id, state id, code). The roll calls must
    already be stored as records (see :func:`cyberdip.store.writer.ingest`)."""
    ids = [call.id for call in calls]
    for start in range(0, len(ids), _CHUNK):
        connection.execute(delete(rollcalls).where(rollcalls.c.id.in_(ids[start : start + _CHUNK])))
    position = _positions(connection, sorted({state for _, state, _ in rows}))
    width = max(position.values(), default=-1) + 1
    vectors = {call.id: np.zeros(width, dtype=np.int8) for call in calls}
    for rollcall_id, state, code in rows:
        vectors[rollcall_id][position[state]] = code
    connection.execute(insert(rollcalls), [
        {"id": c.id, "body": c.body, "session": c.session, "date": c.date, "symbol": c.symbol,
         "important": c.important, "amendment": c.amendment, "paragraph": c.paragraph,
         "codes": vectors[c.id].tobytes()}
        for c in calls
    ])
    if connection.dialect.name == "postgresql":
        _copy_postgres(connection, rows)
    else:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.executemany("INSERT INTO votes (rollcall_id, state_id, vote) VALUES (?, ?, ?)", rows)


def _positions(connection: Connection, states: Sequence[str]) -> dict[str, int]:
    """Each state's column in the vote vectors, assigning new columns at the end."""
    known = {row.state_id: row.position for row in connection.execute(select(vote_states))}
    fresh = [s for s in states if s not in known]
    if fresh:
        next_position = max(known.values(), default=-1) + 1
        new_rows = [{"position": next_position + i, "state_id": s} for i, s in enumerate(fresh)]
        connection.execute(insert(vote_states), new_rows)
        known.update({row["state_id"]: row["position"] for row in new_rows})
    return known


def matrix(connection: Connection, rollcall_ids: Sequence[str]) -> tuple[list[str], npt.NDArray[np.int8]]:
    """(state ids, codes) with codes shaped (states, roll calls) in the order of ``rollcall_ids``,
    read from the per-roll-call vectors: one row per roll call instead of one per vote."""
    states = [row.state_id for row in connection.execute(select(vote_states).order_by(vote_states.c.position))]
    codes = np.zeros((len(states), len(rollcall_ids)), dtype=np.int8)
    column = {rollcall_id: i for i, rollcall_id in enumerate(rollcall_ids)}
    wanted = set(rollcall_ids)
    query = select(rollcalls.c.id, rollcalls.c.codes)
    if len(wanted) <= 2000:
        query = query.where(rollcalls.c.id.in_(sorted(wanted)))
    for rollcall_id, blob in connection.execute(query):
        if rollcall_id in wanted:
            vector = np.frombuffer(blob, dtype=np.int8)
            codes[: len(vector), column[rollcall_id]] = vector
    return states, codes


def _copy_postgres(connection: Connection, rows: Iterable[tuple[str, str, int]]) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy("COPY votes (rollcall_id, state_id, vote) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class RollCallRow:
    id: str
    session: int | None
    date: str
    symbol: str | None
    important: bool | None
    amendment: bool
    paragraph: bool


def find_rollcalls(
    connection: Connection,
    *,
    sessions: Sequence[int] = (),
    start: str | None = None,
    end: str | None = None,
    matters: Sequence[str] = (),
    symbols: Sequence[str] = (),
    ids: Sequence[str] = (),
    body: str | None = None,
) -> list[RollCallRow]:
    """Roll calls matching every filter given, in date order (their metadata, not their votes)."""
    query = select(rollcalls.c.id, rollcalls.c.session, rollcalls.c.date, rollcalls.c.symbol, rollcalls.c.important,
                   rollcalls.c.amendment, rollcalls.c.paragraph)
    if sessions:
        query = query.where(rollcalls.c.session.in_(list(sessions)))
    if start:
        query = query.where(rollcalls.c.date >= start)
    if end:
        query = query.where(rollcalls.c.date <= end + "\uffff")
    if symbols:
        query = query.where(rollcalls.c.symbol.in_(list(symbols)))
    if ids:
        query = query.where(rollcalls.c.id.in_(list(ids)))
    if body:
        query = query.where(rollcalls.c.body == body)
    if matters:
        tagged = select(links.c.record_id).where(and_(links.c.field == "matters", links.c.target_id.in_(list(matters))))
        query = query.where(rollcalls.c.id.in_(tagged))
    query = query.order_by(rollcalls.c.date, rollcalls.c.id)
    return [RollCallRow(r.id, r.session, r.date, r.symbol, r.important, r.amendment, r.paragraph)
            for r in connection.execute(query)]


def sessions(connection: Connection, *, body: str, end: str | None = None) -> list[int]:
    """The sessions with a final-passage roll call (up to ``end``), in order."""
    query = select(rollcalls.c.session).distinct().where(
        rollcalls.c.body == body, rollcalls.c.session.is_not(None), rollcalls.c.amendment.is_(False),
        rollcalls.c.paragraph.is_(False))
    if end:
        query = query.where(rollcalls.c.date <= end + "\uffff")
    return sorted(int(session) for session in connection.execute(query).scalars())


def same_vote(connection: Connection, symbol_dates: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Existing final-passage roll calls with the same (symbol, date), to merge re-imports of one vote."""
    symbols = sorted({s for s, _ in symbol_dates})
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(symbols), _CHUNK):
        rows = connection.execute(
            select(rollcalls.c.id, rollcalls.c.symbol, rollcalls.c.date).where(
                and_(rollcalls.c.symbol.in_(symbols[start : start + _CHUNK]), rollcalls.c.amendment.is_(False),
                     rollcalls.c.paragraph.is_(False))
            )
        )
        for row in rows:
            found.setdefault((row.symbol, row.date), row.id)
    return found
