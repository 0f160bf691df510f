"""Like-minded analytics: who votes with whom, which blocs exist, who is a good partner on a
matter, and whose votes decide a resolution. Every figure traces back to votes and records."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import Connection
from threadpoolctl import threadpool_limits

from cyberdip.analysis import coalition as coalition_rules
from cyberdip.analysis.alignment import Alignment, alignment, alignment_with
from cyberdip.analysis.blocs import BlocReport, detect_blocs
from cyberdip.analysis.idealpoints import IdealPoints, estimate, predict
from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix
from cyberdip.model import Instrument
from cyberdip.model.errors import DataError, NotFound, Problem
from cyberdip.model.values import date_ceil, date_floor
from cyberdip.services.catalogue import names as record_names
from cyberdip.services.catalogue import resolve
from cyberdip.services.votes import Selection, matter_family, select_rollcalls, sessions_with_votes, vote_matrix
from cyberdip.store import read_models, reader

ANCHOR = "state:USA"
#: coalition forecasts: the ideal-point model counts as this many past votes on the matter...
MODEL_WEIGHT = 2.0
#: ...and only votes of the last sessions count as the matter's history (texts change over time)
HISTORY_SESSIONS = 2
CODE_NAMES = {YES: "yes", ABSTAIN: "abstain", NO: "no"}


def _state(connection: Connection, ref: str) -> str:
    record = resolve(connection, ref)
    if record.subkind != "state":
        raise DataError([Problem(ref, f"{record.id} is not a state")])
    return record.id


# ---------------------------------------------------------------------------------------------
# Alignment


@dataclass(frozen=True)
class PairAlignment:
    a: str
    b: str
    a_name: str
    b_name: str
    joint_votes: int
    agreement: float | None
    s_abs: float | None
    s_sq: float | None
    pi: float | None
    kappa: float | None


@dataclass(frozen=True)
class AlignmentResult:
    selection: str
    rollcalls: int
    pairs: list[PairAlignment]
    states: list[str]
    names: dict[str, str]
    matrix: Alignment = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The result without its matrices, for JSON."""
        return {"selection": self.selection, "rollcalls": self.rollcalls, "pairs": self.pairs}


def align(connection: Connection, refs: Sequence[str], selection: Selection) -> AlignmentResult:
    """Every measure for each pair of the given states (all states when none are given)."""
    matrix, calls = vote_matrix(connection, selection)
    wanted = [_state(connection, ref) for ref in refs] if refs else list(matrix.states)
    missing = [s for s in wanted if s not in matrix.states]
    if missing:
        raise DataError([Problem(", ".join(missing), f"cast no vote in {selection.describe()}")])
    measured = alignment(matrix.rows(wanted))
    names = record_names(connection, wanted)
    pairs = [
        PairAlignment(a, b, names.get(a, a), names.get(b, b),
                      **{k: (None if isinstance(v, float) and np.isnan(v) else v)
                         for k, v in measured.pair(a, b).items()})  # type: ignore[arg-type]
        for i, a in enumerate(wanted) for b in wanted[i + 1:]
    ]
    return AlignmentResult(selection.describe(), len(calls), pairs, wanted, names, measured)


# ---------------------------------------------------------------------------------------------
# Blocs


@dataclass(frozen=True)
class BlocsResult:
    selection: str
    measure: str
    rollcalls: int
    report: BlocReport = field(repr=False)
    names: dict[str, str]
    blocs: list[dict[str, Any]]
    modularity: float
    modularity_mean: float
    modularity_spread: float

    def summary(self) -> dict[str, Any]:
        """The result without its matrices, for JSON."""
        return {"selection": self.selection, "measure": self.measure, "rollcalls": self.rollcalls,
                "modularity": self.modularity, "modularity_mean": self.modularity_mean,
                "modularity_spread": self.modularity_spread, "blocs": self.blocs}


def blocs(connection: Connection, selection: Selection, *, measure: str = "kappa", seeds: int = 20,
          resolution: float = 1.0) -> BlocsResult:
    """Voting blocs by community detection on the chance-corrected agreement network."""
    if measure not in Alignment.MEASURES:
        raise DataError([Problem("--measure", f"unknown measure {measure!r}; choose {', '.join(Alignment.MEASURES)}")])
    matrix, calls = vote_matrix(connection, selection)
    measured = alignment(matrix)
    report = detect_blocs(getattr(measured, measure), matrix.states, seeds=seeds, resolution=resolution)
    names = record_names(connection, list(matrix.states))
    listed = [
        {"name": ", ".join(names.get(s, s) for s in bloc.central), "central": list(bloc.central),
         "size": len(bloc.members), "cohesion": bloc.cohesion,
         "members": [{"id": s, "name": names.get(s, s)} for s in bloc.members]}
        for bloc in report.blocs
    ]
    return BlocsResult(selection.describe(), measure, len(calls), report, names, listed, report.modularity,
                       float(np.mean(report.modularity_runs)), float(np.ptp(report.modularity_runs)))


# ---------------------------------------------------------------------------------------------
# Ideal points


@dataclass(frozen=True)
class SessionPoints:
    session: int
    rollcalls: int
    points: dict[str, float]
    converged: bool


@dataclass(frozen=True)
class IdealPointsResult:
    anchor: str
    sessions: list[SessionPoints]
    names: dict[str, str]

    def series(self, state: str) -> list[tuple[int, float]]:
        return [(s.session, s.points[state]) for s in self.sessions if state in s.points]


def ideal_points(connection: Connection, selection: Selection, *, anchor: str = ANCHOR) -> IdealPointsResult:
    """One-dimensional ordinal IRT ideal points for each session in the selection, signed so the
    anchor state (the United States by default) is positive. A session whose roll calls are all
    selected is read from the read model written when the votes were imported."""
    anchor_id = _state(connection, anchor)
    matrix, by_session = _by_session(connection, selection)
    stored = stored_ideal_points(connection, anchor_id)
    results = []
    for session in sorted(by_session):
        kept = stored.get(session)
        if kept is not None and kept["rollcall_ids"] == _digest(by_session[session]):
            results.append(SessionPoints(session, kept["rollcalls"], kept["points"], kept["converged"]))
            continue
        fitted = _fit(matrix.columns(by_session[session]).voting_states(), anchor_id)
        if fitted is None:
            continue
        results.append(SessionPoints(session, len(fitted.rollcalls),
                                     dict(zip(fitted.states, (float(x) for x in fitted.points), strict=True)),
                                     fitted.converged))
    return IdealPointsResult(anchor_id, results, record_names(connection, list(matrix.states)))


#: the read model of every session's ideal points (anchored on the United States)
IDEAL_POINTS = "ideal-points"


def ideal_points_payload(connection: Connection) -> dict[str, Any]:
    """Every session's ideal points, as the read model stores them (see :func:`ideal_points`);
    none before votes are imported."""
    try:
        result = ideal_points(connection, Selection())
    except (DataError, NotFound):  # no votes yet, or no anchor state
        return {"anchor": None, "sessions": {}}
    _, by_session = _by_session(connection, Selection())
    return {"anchor": result.anchor, "sessions": {
        str(s.session): {"rollcall_ids": _digest(by_session[s.session]), "rollcalls": s.rollcalls,
                         "points": s.points, "converged": s.converged} for s in result.sessions}}


def stored_ideal_points(connection: Connection, anchor_id: str) -> dict[int, dict[str, Any]]:
    """The read model's sessions, if it reflects the last load and the same anchor."""
    model = read_models.get(connection, IDEAL_POINTS)
    last = reader.last_load(connection)
    if model is None or last is None or model[0] != int(last["id"]) or model[1].get("anchor") != anchor_id:
        return {}
    return {int(session): kept for session, kept in model[1]["sessions"].items()}


def _by_session(connection: Connection, selection: Selection) -> tuple[VoteMatrix, dict[int, list[str]]]:
    matrix, calls = vote_matrix(connection, replace(selection, matter=None))
    by_session: dict[int, list[str]] = defaultdict(list)
    for call in calls:
        if call.session is not None:
            by_session[call.session].append(call.id)
    return matrix, by_session


def _digest(rollcall_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(rollcall_ids)).encode()).hexdigest()


def _fit(votes: VoteMatrix, anchor: str) -> IdealPoints | None:
    if anchor not in votes.states or votes.codes.shape[1] < 3:
        return None
    # the optimiser's many small matrix products run faster on one BLAS thread than on several
    with threadpool_limits(limits=1):
        return estimate(votes, anchor=anchor)


# ---------------------------------------------------------------------------------------------
# Partner finder

#: how much each kind of evidence counts in the combined like-mindedness score
DEFAULT_WEIGHTS = {"votes": 0.45, "affiliations": 0.25, "agreements": 0.15, "joint_attributions": 0.15,
                   "incidents": -0.2}


@dataclass(frozen=True)
class Evidence:
    id: str
    name: str
    detail: str = ""


@dataclass(frozen=True)
class Component:
    score: float
    weight: float
    summary: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    score: float
    components: dict[str, Component]


@dataclass(frozen=True)
class PartnerReport:
    state: str
    name: str
    matter: str | None
    as_of: str
    weights: dict[str, float]
    vote_selection: str
    partners: list[Partner]


def partners(connection: Connection, state_ref: str, *, matter: str | None = None, as_of: dt.date | None = None,
             limit: int = 20, weights: dict[str, float] | None = None) -> PartnerReport:
    """States ranked by cyber like-mindedness with ``state_ref``, each with its evidence."""
    weights = weights or DEFAULT_WEIGHTS
    day = as_of or dt.date.today()
    subject = _state(connection, state_ref)
    family = matter_family(connection, matter) if matter else []
    selection = _partner_selection(connection, matter, day)
    votes = _vote_component(connection, subject, selection)
    affiliations = _affiliation_component(connection, subject, day, family)
    agreements = _agreement_component(connection, subject, day, family)
    incidents = _incident_component(connection, subject, day)
    joint = _joint_attribution_component(connection, subject, day)
    candidates = (set(votes) | set(affiliations) | set(agreements) | set(joint)) - {subject}
    candidates = {c for c in candidates if c.startswith("state:")}
    names = record_names(connection, [subject, *candidates])
    ranked = []
    for state in candidates:
        components = {
            "votes": votes.get(state, Component(0.0, weights["votes"], "no joint votes", [])),
            "affiliations": affiliations.get(state, Component(0.0, weights["affiliations"], "nothing shared", [])),
            "agreements": agreements.get(state, Component(0.0, weights["agreements"], "none", [])),
            "joint_attributions": joint.get(state, Component(0.0, weights["joint_attributions"], "none", [])),
            "incidents": incidents.get(state, Component(0.0, weights["incidents"], "none recorded", [])),
        }
        components = {k: replace(c, weight=weights[k]) for k, c in components.items()}
        score = sum(c.score * c.weight for c in components.values())
        ranked.append(Partner(state, names.get(state, state), round(score, 4), components))
    ranked.sort(key=lambda p: (-p.score, p.name))
    return PartnerReport(subject, names.get(subject, subject), family[0] if family else None, day.isoformat(),
                         weights, selection.describe(), ranked[:limit])


def _partner_selection(connection: Connection, matter: str | None, day: dt.date) -> Selection:
    if matter:
        return Selection(matter=matter, end=day.isoformat())
    sessions = sessions_with_votes(connection, end=day.isoformat())[-3:]
    return Selection(sessions=tuple(sessions), end=day.isoformat())


def _vote_component(connection: Connection, subject: str, selection: Selection) -> dict[str, Component]:
    try:
        matrix, calls = vote_matrix(connection, selection)
    except DataError:
        return {}
    if subject not in matrix.states:
        return {}
    measured = alignment_with(matrix, subject)  # one row: the subject against every state
    mine = matrix.codes[matrix.states.index(subject)]
    symbols = [c.symbol or c.id for c in calls]
    result = {}
    for j, other in enumerate(matrix.states):
        if other == subject or measured.joint[0, j] == 0:
            continue
        kappa = measured.kappa[0, j]
        score = 0.0 if np.isnan(kappa) else max(float(kappa), 0.0)
        theirs = matrix.codes[j]
        same = [symbols[k] for k in np.flatnonzero((mine == theirs) & (mine > 0))]
        differ = [symbols[k] for k in np.flatnonzero((mine != theirs) & (mine > 0) & (theirs > 0))]
        joint = int(measured.joint[0, j])
        summary = (f"κ {kappa:.2f}, agreement {measured.agreement[0, j]:.2f} ({joint} votes)"
                   if not np.isnan(kappa) else f"κ undefined ({joint} votes)")
        evidence = [Evidence(s, s, "voted alike") for s in same[-5:]] + [Evidence(s, s, "voted differently")
                                                                         for s in differ[-5:]]
        result[other] = Component(score, 0.0, summary, evidence)
    return result


def _valid(start: str | None, end: str | None, day: dt.date) -> bool:
    return (not start or date_floor(start) <= day) and (not end or date_ceil(end) >= day)


def _affiliation_component(connection: Connection, subject: str, day: dt.date,
                           family: list[str]) -> dict[str, Component]:
    """Shared memberships of organisations and initiatives (the UN excepted: everyone is in it)
    and shared roles in multilateral instruments, compared by Jaccard similarity."""
    held: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    # the stored (already validated) data is read as it is: thousands of records per request
    for stored in reader.listing(connection, kinds=["membership"]):
        m = stored.data
        if m["organization"] != "org:un" and _valid(m.get("valid_from"), m.get("valid_to"), day):
            held[m["member"]].add(m["organization"])
    topical = set(family)
    instruments = {r.id: r.data for r in reader.listing(connection, kinds=["instrument"])}
    for stored in reader.listing(connection, kinds=["party"]):
        p = stored.data
        instrument = instruments.get(p["instrument"])
        if instrument is None or instrument.get("kind") in ("bilateral_agreement", "national_strategy"):
            continue
        if topical and not topical & set(instrument.get("topics") or []):
            continue
        ended = instrument.get("ended")
        if (not p.get("date") or date_floor(p["date"]) <= day) and not (ended and date_ceil(ended) < day):
            held[p["actor"]].add(p["instrument"])
    every = sorted({x for affiliations in held.values() for x in affiliations})
    labels.update({rid: r.name for rid, r in reader.get_many(connection, every).items()})
    mine = held.get(subject, set())
    result = {}
    for other, theirs in held.items():
        if other == subject or not (mine | theirs):
            continue
        shared = mine & theirs
        score = len(shared) / len(mine | theirs)
        evidence = [Evidence(x, labels.get(x, x), "both") for x in sorted(shared)]
        evidence += [Evidence(x, labels.get(x, x), "only one of them") for x in sorted(mine ^ theirs)][:10]
        result[other] = Component(score, 0.0, f"{len(shared)} shared of {len(mine | theirs)}", evidence)
    return result


def _agreement_component(connection: Connection, subject: str, day: dt.date,
                         family: list[str]) -> dict[str, Component]:
    """Bilateral agreements, statements and dialogues in force between the two states."""
    bilateral = ("bilateral_agreement", "joint_statement", "dialogue", "framework")
    mine = {r.data["instrument"] for r in reader.referrers(connection, subject, kind="party", field="actor")}
    found: dict[str, list[Evidence]] = defaultdict(list)
    for instrument_id in mine:
        stored = reader.get(connection, instrument_id)
        if stored is None:
            continue
        instrument = Instrument.model_validate(stored.data)
        start, end = instrument.period()
        if instrument.kind.value not in bilateral or not _valid(start, end, day):
            continue
        if family and not set(family) & set(instrument.topics):
            continue
        for party in reader.referrers(connection, instrument_id, kind="party", field="instrument"):
            other = party.data["actor"]
            if other != subject:
                found[other].append(Evidence(instrument_id, instrument.name, start or ""))
    return {other: Component(min(1.0, len(items) / 2), 0.0, f"{len(items)} in force", items)
            for other, items in found.items()}


def _joint_attribution_component(connection: Connection, subject: str, day: dt.date) -> dict[str, Component]:
    """Incidents or groups both states publicly attributed: co-signed (or parallel) attributions."""
    found: dict[str, list[Evidence]] = defaultdict(list)
    for claim in reader.referrers(connection, subject, kind="claim", field="claimant"):
        if claim.start and date_floor(claim.start) > day:
            continue
        target = claim.data.get("subject", "")
        for other in reader.referrers(connection, target, kind="claim", field="subject"):
            # the state behind the claim: the claimant itself, or the state its agency or firm belongs to
            claimant = other.data.get("claimant_state") or other.data.get("claimant") or ""
            if claimant.startswith("state:") and claimant != subject and not (
                    other.start and date_floor(other.start) > day):
                found[claimant].append(Evidence(target, target, other.start or ""))
    return {other: Component(min(1.0, len(items) / 2), 0.0, f"{len(items)} shared attribution(s)", items)
            for other, items in found.items()}


def _incident_component(connection: Connection, subject: str, day: dt.date) -> dict[str, Component]:
    """Attribution claims one of the two states made against the other (a penalty)."""
    found: dict[str, list[Evidence]] = defaultdict(list)
    for field_name, other_field in (("claimant", "attributed_to"), ("attributed_to", "claimant")):
        for claim in reader.referrers(connection, subject, kind="claim", field=field_name):
            other = claim.data.get(other_field) or ""
            if not other or (claim.start and date_floor(claim.start) > day):
                continue
            found[other].append(Evidence(claim.id, claim.name, claim.start or ""))
    return {other: Component(min(1.0, len(items) / 3), 0.0, f"{len(items)} attribution claim(s) between them",
                             items) for other, items in found.items()}


# ---------------------------------------------------------------------------------------------
# Coalition builder


@dataclass(frozen=True)
class StateForecast:
    id: str
    name: str
    predicted: str
    yes: float
    abstain: float
    no: float
    ideal_point: float | None
    history: list[str]


@dataclass(frozen=True)
class SwingState:
    id: str
    name: str
    current: str
    target: str
    gain: int
    probability: float
    ideal_point: float | None
    history: list[str]


@dataclass(frozen=True)
class CoalitionResult:
    reference: str
    symbol: str | None
    title: str
    session: int | None
    important: bool
    rule: str
    actual: dict[str, int] | None
    actual_adopted: bool | None
    predicted: dict[str, int]
    expected: dict[str, float]
    adopted: bool
    changes_needed: int
    swing: list[SwingState]
    alternatives: list[SwingState]
    forecasts: list[StateForecast]


def coalition(connection: Connection, *, resolution: str | None = None, matter: str | None = None,
              important: bool | None = None, anchor: str = ANCHOR) -> CoalitionResult:
    """Predict each state's vote on a reference resolution (or the latest vote on a matter), apply
    the General Assembly rule, and list the fewest states whose change would turn the outcome."""
    if not resolution and not matter:
        raise DataError([Problem("coalition", "give a reference resolution (e.g. A/RES/74/247) or a matter")])
    selection = Selection(symbols=(resolution,)) if resolution else Selection(matter=matter)
    calls = [c for c in select_rollcalls(connection, selection) if not (c.amendment or c.paragraph)]
    if not calls:
        raise DataError([Problem(resolution or matter or "", "no recorded final vote found; import UN votes first")])
    reference = calls[-1]
    anchor_id = _state(connection, anchor)
    if reference.session is None:
        raise DataError([Problem(reference.symbol or reference.id, "the vote has no session to model it in")])
    session_matrix, _ = vote_matrix(connection, Selection(sessions=(reference.session,)))
    fitted = _fit(session_matrix.voting_states(), anchor_id)
    if fitted is None or reference.id not in fitted.rollcalls:
        raise DataError([Problem(reference.symbol or reference.id, "too few votes in its session to model")])
    model = predict(fitted, reference.id)
    states = list(fitted.states)

    family = matter_family(connection, matter) if matter else _matters_of(connection, reference.id)
    history_counts = np.zeros((len(states), 3))
    history_text: dict[str, list[str]] = defaultdict(list)
    if family:
        past, past_calls = vote_matrix(connection, Selection(matter=family[0]))
        row = {s: i for i, s in enumerate(past.states)}
        for k, call in enumerate(past_calls):
            recent = call.session is not None and reference.session - HISTORY_SESSIONS <= call.session
            if call.id == reference.id or call.date > reference.date or not recent:
                continue
            for i, state in enumerate(states):
                code = past.codes[row[state], k] if state in row else 0
                if code:
                    history_counts[i, (YES, ABSTAIN, NO).index(code)] += 1
                    history_text[state].append(f"{call.symbol or call.id}: {CODE_NAMES[int(code)]}")
    probabilities = coalition_rules.blend(model, history_counts, model_weight=MODEL_WEIGHT)
    is_important = important if important is not None else bool(reference.important)
    voted = session_matrix.rows(states).codes != 0
    attendance = voted.mean(axis=1)
    outcome = coalition_rules.predict(states, probabilities, important=is_important, attendance=attendance)

    names = record_names(connection, states)
    points = dict(zip(fitted.states, (float(x) for x in fitted.points), strict=True))
    actual = session_matrix.tally(reference.id)
    actual_tally = coalition_rules.Tally(actual["yes"], actual["no"], actual["abstain"]) if actual else None

    def swing(move: coalition_rules.Move) -> SwingState:
        return SwingState(move.state, names.get(move.state, move.state), move.current, move.target, move.gain,
                          round(move.probability, 4), points.get(move.state), history_text.get(move.state, []))

    stored = reader.get(connection, reference.id)
    return CoalitionResult(
        reference=reference.id, symbol=reference.symbol, title=stored.name if stored else reference.id,
        session=reference.session, important=is_important,
        rule="two thirds of members present and voting" if is_important else
        "majority of members present and voting (yes > no)",
        actual={k: v for k, v in actual.items()} if actual else None,
        actual_adopted=actual_tally.adopted(is_important) if actual_tally else None,
        predicted={"yes": outcome.tally.yes, "no": outcome.tally.no, "abstain": outcome.tally.abstain},
        expected={k: round(v, 2) for k, v in outcome.expected.items()},
        adopted=outcome.adopted,
        changes_needed=len(outcome.swing),
        swing=[swing(m) for m in outcome.swing],
        alternatives=[swing(m) for m in outcome.alternatives],
        forecasts=[
            StateForecast(s, names.get(s, s), outcome.predicted[i], round(float(probabilities[i, 0]), 4),
                          round(float(probabilities[i, 1]), 4), round(float(probabilities[i, 2]), 4),
                          points.get(s), history_text.get(s, []))
            for i, s in enumerate(states)
        ],
    )


def _matters_of(connection: Connection, rollcall_id: str) -> list[str]:
    stored = reader.get(connection, rollcall_id)
    matters = list(stored.data.get("matters", [])) if stored else []
    return matter_family(connection, matters[0]) if matters else []
