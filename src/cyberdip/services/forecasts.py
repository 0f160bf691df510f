"""Forecasts of General Assembly votes from the votes before them: one recorded resolution (as a
backtest would see it the day before), a draft (title, matter, date, sponsors), and the backtest
of every recorded vote on a matter against two baselines. See :mod:`cyberdip.analysis.forecast`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection

from cyberdip.analysis import forecast as rules
from cyberdip.analysis.alignment import alignment
from cyberdip.analysis.votes import YES, VoteMatrix
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import parse_partial_date
from cyberdip.services.catalogue import names as record_names
from cyberdip.services.catalogue import resolve
from cyberdip.services.votes import Selection, matter_family, select_rollcalls, sessions_with_votes, vote_matrix
from cyberdip.store import reader
from cyberdip.store import votes as vote_store
from cyberdip.store.votes import RollCallRow

#: the matter a backtest covers by default: every cyber and digital matter
CYBER = "matter:cyber"
WORDS = {1: "yes", 2: "abstain", 3: "no"}


@dataclass(frozen=True)
class Draft:
    """A text not yet voted on: what it is called, its matter, the day of the vote, its sponsors."""

    title: str
    matter: str
    date: str
    sponsors: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateOutlook:
    state: str
    name: str
    forecast: str
    yes: float
    abstain: float
    no: float
    basis: str  # series (its own votes on the text's earlier versions), sponsors or habit
    actual: str | None = None
    series: list[tuple[str, str]] = field(default_factory=list)  # its votes on the earlier versions read


@dataclass(frozen=True)
class VoteForecast:
    title: str
    date: str
    matter: str
    symbol: str | None
    series_votes: list[str]  # the earlier votes on the same text it read, latest first
    tally: dict[str, int]
    actual: dict[str, int] | None
    states: list[StateOutlook] = field(default_factory=list)


@dataclass(frozen=True)
class _Run:
    """A forecast with the codes behind it: what was forecast, what happened, and each state's
    earlier votes on the matter (latest first), which the backtest's baseline reads."""

    forecast: VoteForecast
    predicted: np.ndarray
    actual: np.ndarray | None
    matter_votes: np.ndarray


def forecast_resolution(connection: Connection, resolution: str, *, sponsors: Sequence[str] = ()) -> VoteForecast:
    """How a recorded resolution would have been forecast the day before its vote (only earlier
    votes are read), beside what happened; ``sponsors`` (names or ids) guide states with no vote on
    an earlier version of the text."""
    return _recorded(connection, resolution, sponsors).forecast


def _recorded(connection: Connection, resolution: str, sponsors: Sequence[str] = ()) -> _Run:
    rows = [r for r in select_rollcalls(connection, Selection(symbols=(resolution,)))
            if not (r.amendment or r.paragraph)]
    if not rows:
        raise DataError([Problem(resolution, "no recorded final vote with this symbol")])
    target = rows[-1]
    stored = reader.get(connection, target.id)
    data = stored.data if stored else {}
    matters = list(data.get("matters") or [])
    if not matters:
        raise DataError([Problem(resolution, "the vote is tagged with no matter, so nothing earlier is comparable")])
    states, codes = vote_store.matrix(connection, [target.id])
    voted = [s for s, c in zip(states, codes[:, 0], strict=True) if c in rules.ORDER]  # yes, abstain or no
    actual = codes[[states.index(s) for s in voted], 0]
    return _forecast(connection, title=data.get("title", target.id), key=rules.series_key(data.get("title", ""),
                     data.get("description")), matter=matters[0], date=target.date, symbol=target.symbol,
                     states=voted, sponsors=tuple(resolve(connection, s).id for s in sponsors), actual=actual)


def forecast_draft(connection: Connection, draft: Draft) -> VoteForecast:
    """A forecast for a text not yet voted on, from the votes before its date."""
    matter = resolve(connection, draft.matter).id
    day = parse_partial_date(draft.date)
    sponsors = tuple(resolve(connection, s).id for s in draft.sponsors)
    last = sessions_with_votes(connection, end=day)[-1:]
    if not last:
        raise DataError([Problem(draft.date, "no recorded votes before this date")])
    members, _ = vote_matrix(connection, Selection(sessions=tuple(last), end=day))
    return _forecast(connection, title=draft.title, key=rules.series_key(draft.title), matter=matter, date=day,
                     symbol=None, states=list(members.voting_states().states), sponsors=sponsors,
                     actual=None).forecast


def _forecast(connection: Connection, *, title: str, key: str, matter: str, date: str, symbol: str | None,
              states: Sequence[str], sponsors: Sequence[str], actual: np.ndarray | None) -> _Run:
    before = (dt.date.fromisoformat(date[:10]) - dt.timedelta(days=1)).isoformat()
    family = matter_family(connection, matter)
    past, calls = _past_votes(connection, family, before)
    records = reader.get_many(connection, [c.id for c in calls])
    keys = [rules.series_key(records[c.id].data.get("title", ""), records[c.id].data.get("description"))
            if c.id in records else "" for c in calls]
    latest_first = list(range(len(calls)))[::-1]
    series = [k for k in latest_first if rules.same_series(keys[k], key)][:rules.SERIES_DEPTH]
    position = {state: i for i, state in enumerate(past.states)}
    matter_votes = np.array([past.codes[position[s], ::-1] if s in position else np.zeros(len(calls), np.int8)
                             for s in states], dtype=np.int8).reshape(len(states), len(calls))  # latest first
    series_votes = matter_votes[:, [len(calls) - 1 - k for k in series]]
    kappa = _sponsor_kappa(connection, states, sponsors, before) if sponsors else None
    outlook = rules.forecast(series_votes, sponsor_kappa=kappa)
    predicted = outlook.choices()
    names = record_names(connection, list(states))
    tally = {WORDS[c]: int((predicted == c).sum()) for c in rules.ORDER}
    actual_tally = ({WORDS[c]: int((actual == c).sum()) for c in rules.ORDER} if actual is not None else None)
    return _Run(VoteForecast(
        title=title, date=date, matter=matter, symbol=symbol,
        series_votes=[calls[k].symbol or calls[k].id for k in series], tally=tally, actual=actual_tally,
        states=[_outlook(s, names.get(s, s), int(predicted[i]), outlook.probabilities[i], outlook.basis[i],
                         int(actual[i]) if actual is not None else None,
                         [(calls[k].symbol or calls[k].id, WORDS[int(code)])
                          for k, code in zip(series, series_votes[i], strict=True) if int(code) in WORDS])
                for i, s in enumerate(states)]), predicted, actual, matter_votes)


def _outlook(state: str, name: str, predicted: int, p: np.ndarray, basis: str, actual: int | None,
             series: list[tuple[str, str]]) -> StateOutlook:
    yes, abstain, no = (round(float(x), 3) for x in p)
    return StateOutlook(state, name, WORDS[predicted], yes, abstain, no, basis,
                        WORDS.get(actual) if actual is not None else None, series)


def _past_votes(connection: Connection, family: list[str], before: str) -> tuple[VoteMatrix, list[RollCallRow]]:
    """The final votes on the matter up to ``before``, in date order."""
    try:
        return vote_matrix(connection, Selection(matter=family[0], end=before, final_passage_only=True))
    except DataError:  # nothing voted on the matter before
        return VoteMatrix((), (), np.zeros((0, 0), dtype=np.int8)), []


def _sponsor_kappa(connection: Connection, states: Sequence[str], sponsors: Sequence[str],
                   before: str) -> list[float | None]:
    """Each state's mean κ with the sponsors over the three sessions before the vote."""
    sessions = sessions_with_votes(connection, end=before)[-3:]
    matrix, _ = vote_matrix(connection, Selection(sessions=tuple(sessions), end=before))
    measured = alignment(matrix)
    columns = [matrix.states.index(s) for s in sponsors if s in matrix.states]
    found: list[float | None] = []
    for state in states:
        if state not in matrix.states or not columns:
            found.append(None)
            continue
        values = measured.kappa[matrix.states.index(state), columns]
        values = values[~np.isnan(values)]
        found.append(1.0 if state in sponsors else float(values.mean()) if len(values) else None)
    return found


# ---------------------------------------------------------------------------------------------
# Backtest


@dataclass(frozen=True)
class BacktestRow:
    symbol: str
    date: str
    voted: int
    model: float
    last_vote: float
    majority: float
    model_tally_error: int
    last_vote_tally_error: int
    majority_tally_error: int
    basis: str  # how most states were forecast


@dataclass(frozen=True)
class Backtest:
    matter: str
    start: str
    rows: list[BacktestRow]
    accuracy: dict[str, float]  # over every state vote of every roll call
    mean_tally_error: dict[str, float]


def backtest(connection: Connection, *, matter: str = CYBER, start: str = "2018-01-01") -> Backtest:
    """Forecast every recorded final vote on the matter since ``start`` from the votes before it,
    beside the two baselines (each state repeats its last vote on the matter; everyone votes yes)."""
    family = matter_family(connection, matter)
    targets = [r for r in select_rollcalls(connection, Selection(matter=family[0], start=start))
               if not (r.amendment or r.paragraph)]
    if not targets:
        raise DataError([Problem(matter, f"no recorded vote on this matter since {start}")])
    rows = []
    totals = {"model": [0, 0], "last_vote": [0, 0], "majority": [0, 0]}
    errors: dict[str, list[int]] = {"model": [], "last_vote": [], "majority": []}
    for target in targets:
        run = _recorded(connection, target.symbol or target.id)
        result, model, actual = run.forecast, run.predicted, run.actual
        assert actual is not None  # a recorded vote
        scores = {"model": rules.score(model, actual),
                  "last_vote": rules.score(rules.last_vote(run.matter_votes), actual),
                  "majority": rules.score(np.full(len(actual), YES, dtype=np.int8), actual)}
        for name, found in scores.items():
            totals[name][0] += found.right
            totals[name][1] += found.voted
            errors[name].append(found.tally_error)
        bases = [s.basis for s in result.states]
        rows.append(BacktestRow(target.symbol or target.id, target.date, scores["model"].voted,
                                round(scores["model"].accuracy, 3), round(scores["last_vote"].accuracy, 3),
                                round(scores["majority"].accuracy, 3), scores["model"].tally_error,
                                scores["last_vote"].tally_error, scores["majority"].tally_error,
                                max(set(bases), key=bases.count)))
    return Backtest(family[0], start, rows,
                    {name: round(right / voted, 3) if voted else 0.0 for name, (right, voted) in totals.items()},
                    {name: round(sum(found) / len(found), 1) for name, found in errors.items()})
