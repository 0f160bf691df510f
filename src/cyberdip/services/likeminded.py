"""Like-minded analytics: who votes with whom, which blocs exist, who is a good partner on a
matter, and whose votes decide a resolution. Every figure traces back to votes and records."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection
from threadpoolctl import threadpool_limits

from cyberdip.analysis import coalition as coalition_rules
from cyberdip.analysis.alignment import (
    MIN_JOINT_VOTES,
    Alignment,
    agreement_interval,
    alignment,
    alignment_with,
    coincidence,
    kappa_interval,
)
from cyberdip.analysis.blocs import BlocReport, detect_blocs
from cyberdip.analysis.idealpoints import IdealPoints, estimate
from cyberdip.analysis.votes import VoteMatrix
from cyberdip.model import Instrument
from cyberdip.model.errors import DataError, NotFound, Problem
from cyberdip.model.values import date_ceil, date_floor
from cyberdip.services import forecasts
from cyberdip.services.catalogue import names as record_names
from cyberdip.services.catalogue import resolve
from cyberdip.services.votes import Selection, matter_family, select_rollcalls, sessions_with_votes, vote_matrix
from cyberdip.store import read_models, reader
from cyberdip.store.reader import StoredRecord

ANCHOR = "state:USA"


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
    agreement_low: float | None = None  # the 90% credible interval of agreement
    agreement_high: float | None = None
    kappa_low: float | None = None  # the 90% bootstrap interval of κ (for up to KAPPA_INTERVAL_STATES states)
    kappa_high: float | None = None
    few_votes: bool = False  # fewer joint votes than MIN_JOINT_VOTES: the figures say little
    note: str | None = None  # why a figure is missing or weak


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


#: states up to which each pair's κ gets a bootstrap interval (it costs one alignment per resample)
KAPPA_INTERVAL_STATES = 12


def align(connection: Connection, refs: Sequence[str], selection: Selection) -> AlignmentResult:
    """Every measure for each pair of the given states (all states when none are given)."""
    matrix, calls = vote_matrix(connection, selection)
    wanted = [_state(connection, ref) for ref in refs] if refs else list(matrix.states)
    missing = [s for s in wanted if s not in matrix.states]
    if missing:
        raise DataError([Problem(", ".join(missing), f"cast no vote in {selection.describe()}")])
    measured = alignment(matrix.rows(wanted))
    names = record_names(connection, wanted)
    low, high = agreement_interval(measured.agreement, measured.joint)
    nan = np.full_like(measured.kappa, np.nan)
    k_low, k_high = (kappa_interval(matrix.rows(wanted)) if len(wanted) <= KAPPA_INTERVAL_STATES else (nan, nan))
    pairs = []
    for i, a in enumerate(wanted):
        for j, b in enumerate(wanted[i + 1:], start=i + 1):
            values = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in measured.pair(a, b).items()}
            pairs.append(PairAlignment(a, b, names.get(a, a), names.get(b, b), **values,  # type: ignore[arg-type]
                                       agreement_low=_finite(low[i, j]), agreement_high=_finite(high[i, j]),
                                       kappa_low=_finite(k_low[i, j]), kappa_high=_finite(k_high[i, j]),
                                       few_votes=int(measured.joint[i, j]) < MIN_JOINT_VOTES,
                                       note=_pair_note(int(measured.joint[i, j]), values.get("kappa"))))
    return AlignmentResult(selection.describe(), len(calls), pairs, wanted, names, measured)


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _pair_note(joint: int, kappa: float | None) -> str | None:
    if joint == 0:
        return "no roll call on which both voted"
    notes = []
    if joint < MIN_JOINT_VOTES:
        notes.append(f"only {joint} joint vote{'s' if joint != 1 else ''} (fewer than {MIN_JOINT_VOTES}): "
                     "pool more sessions or the whole cyber matter")
    if kappa is None:
        notes.append("κ undefined: the two voted the same way on every roll call, so chance agreement is total")
    return "; ".join(notes) or None


@dataclass(frozen=True)
class CoincidenceRow:
    state: str
    name: str
    identical: int
    opposite: int
    partial: int
    coincidence: float | None
    with_partial: float | None


def state_department(connection: Connection, reference: str, selection: Selection) -> list[CoincidenceRow]:
    """Every state's voting coincidence with ``reference`` (the United States, as the State
    Department reports it) over the selected roll calls, highest first."""
    subject = _state(connection, reference)
    matrix, _ = vote_matrix(connection, selection)
    if subject not in matrix.states:
        raise DataError([Problem(reference, f"cast no vote in {selection.describe()}")])
    found = coincidence(matrix)
    i = matrix.states.index(subject)
    names = record_names(connection, list(matrix.states))
    rows = [CoincidenceRow(state, names.get(state, state), int(found.identical[i, j]), int(found.opposite[i, j]),
                           int(found.partial[i, j]), _finite(found.coincidence[i, j]),
                           _finite(found.with_partial[i, j]))
            for j, state in enumerate(matrix.states) if state != subject]
    return sorted(rows, key=lambda r: (-(r.coincidence if r.coincidence is not None else -1), r.name))


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


#: states a bloc is named after when it holds them, in this order: the permanent members of the
#: Security Council and the largest states of each region, so a reader knows the bloc at a glance
ANCHORS = ("state:USA", "state:CHN", "state:RUS", "state:GBR", "state:FRA", "state:IND", "state:BRA", "state:DEU",
           "state:JPN", "state:ZAF", "state:EGY", "state:IDN", "state:NGA", "state:SAU", "state:IRN", "state:TUR",
           "state:MEX", "state:ARG", "state:AUS", "state:CAN", "state:KOR", "state:PAK", "state:ISR", "state:CUB",
           "state:VEN", "state:PRK", "state:SYR", "state:BLR")


def _anchors(members: Sequence[str], central: Sequence[str]) -> list[str]:
    """Three members to name a bloc by: its best-known (:data:`ANCHORS`), then its most central."""
    found = [state for state in ANCHORS if state in members][:3]
    return found + [state for state in central if state not in found][:3 - len(found)]


def _bloc_name(members: Sequence[str], central: Sequence[str], names: dict[str, str]) -> str:
    """"United States, United Kingdom, France … (48)": the bloc's anchors and its size."""
    anchors = _anchors(members, central)
    more = " …" if len(members) > len(anchors) else ""
    return f"{', '.join(names.get(s, s) for s in anchors)}{more} ({len(members)})"


#: resamples of the roll calls a bloc's cohesion is also measured over, with a few seeds each
BLOC_RESAMPLES, RESAMPLE_SEEDS = 10, 3


def _resampled_together(matrix: VoteMatrix, measure: str, resolution: float) -> np.ndarray:
    """How often each two states land in one bloc when the roll calls are resampled with
    replacement (a fixed seed): stability against the choice of votes, not only of Louvain's seed."""
    rng = np.random.default_rng(0)
    columns = matrix.codes.shape[1]
    together = np.zeros((len(matrix.states), len(matrix.states)))
    for _ in range(BLOC_RESAMPLES):
        chosen: npt.NDArray[np.intp] = rng.integers(0, max(columns, 1), size=columns)
        resampled = VoteMatrix(matrix.states, tuple(matrix.rollcalls[int(c)] for c in chosen), matrix.codes[:, chosen])
        together += detect_blocs(getattr(alignment(resampled), measure), matrix.states, seeds=RESAMPLE_SEEDS,
                                 resolution=resolution).co_assignment
    return together / BLOC_RESAMPLES


def _within(together: np.ndarray, members: list[int]) -> float | None:
    """The mean share of resamples in which two members of a bloc landed together (none for one state)."""
    if len(members) < 2:
        return None
    block = together[np.ix_(members, members)]
    return round(float((block.sum() - np.trace(block)) / (len(members) * (len(members) - 1))), 4)


#: roll calls below which blocs are not looked for: a few votes split states into arbitrary groups
MIN_BLOC_ROLLCALLS = 10


def blocs(connection: Connection, selection: Selection, *, measure: str = "kappa", seeds: int = 20,
          resolution: float = 1.0) -> BlocsResult:
    """Voting blocs by community detection on the chance-corrected agreement network."""
    if measure not in Alignment.MEASURES:
        raise DataError([Problem("--measure", f"unknown measure {measure!r}; choose {', '.join(Alignment.MEASURES)}")])
    matrix, calls = vote_matrix(connection, selection)
    if len(calls) < MIN_BLOC_ROLLCALLS:
        raise DataError([Problem(selection.describe(), f"blocs need at least {MIN_BLOC_ROLLCALLS} roll calls to say "
                                 f"anything; this selection has {len(calls)}: add sessions, widen the period or "
                                 "choose the whole cyber matter")])
    measured = alignment(matrix)
    report = detect_blocs(getattr(measured, measure), matrix.states, seeds=seeds, resolution=resolution)
    together = _resampled_together(matrix, measure, resolution)
    index = {state: i for i, state in enumerate(matrix.states)}
    names = record_names(connection, list(matrix.states))
    listed = [
        {"name": _bloc_name(bloc.members, bloc.central, names), "anchors": _anchors(bloc.members, bloc.central),
         "central": list(bloc.central), "size": len(bloc.members), "cohesion": bloc.cohesion,
         "cohesion_resampled": _within(together, [index[s] for s in bloc.members]),
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


#: the read model of every state's partners on the default weights, no matter, as of the load day
#: (its name changes with the way partners are scored, so an older ranking is never read)
PARTNERS = "partners-2"
#: partners the read model keeps per state
STORED_PARTNERS = 30


def partners(connection: Connection, state_ref: str, *, matter: str | None = None, as_of: dt.date | None = None,
             limit: int = 20, weights: dict[str, float] | None = None) -> PartnerReport:
    """States ranked by cyber like-mindedness with ``state_ref``, each with its evidence. The default
    question (no matter, default weights, no date) is read from the read model the last load wrote,
    and answered as of that load's day."""
    subject = _state(connection, state_ref)
    if matter is None and as_of is None and weights is None and limit <= STORED_PARTNERS:
        stored = stored_partners(connection, subject)
        if stored is not None:
            return replace(stored, partners=stored.partners[:limit])
    evidence = _PartnerEvidence.read(connection, matter, as_of or dt.date.today(), subjects=[subject])
    return evidence.report(subject, weights or DEFAULT_WEIGHTS, limit)


def partner_payloads(connection: Connection, day: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Every state's partners on the default question, as the read model stores them (one
    ``partners/<state>`` row each)."""
    evidence = _PartnerEvidence.read(connection, None, day or dt.date.today(), subjects=None)
    return {subject: asdict(evidence.report(subject, DEFAULT_WEIGHTS, STORED_PARTNERS))
            for subject in evidence.subjects}


def stored_partners(connection: Connection, subject: str) -> PartnerReport | None:
    """The read model's report for ``subject``, if it reflects the last load."""
    model = read_models.get(connection, f"{PARTNERS}/{subject}")
    last = reader.last_load(connection)
    if model is None or last is None or model[0] != int(last["id"]):
        return None
    return _report_from_payload(model[1])


def _report_from_payload(data: dict[str, Any]) -> PartnerReport:
    return PartnerReport(**{**data, "partners": [
        Partner(p["id"], p["name"], p["score"], {
            name: Component(c["score"], c["weight"], c["summary"], [Evidence(**e) for e in c["evidence"]])
            for name, c in p["components"].items()})
        for p in data["partners"]]})


@dataclass
class _PartnerEvidence:
    """Everything the partner finder weighs, read once for every state: the vote matrix of the
    selection, affiliations, bilateral instruments and attribution claims as of ``day``."""

    day: dt.date
    family: list[str]
    selection: Selection
    votes: VoteMatrix | None
    symbols: list[str]
    aligned: Alignment | None  # every pair, when the evidence serves every state
    held: dict[str, set[str]]  # state → organisations, initiatives and multilateral instruments
    labels: dict[str, str]
    bilateral: dict[str, dict[str, list[Evidence]]]  # state → other state → shared instruments
    joint: dict[str, dict[str, list[Evidence]]]  # state → other state → shared attributions
    against: dict[str, dict[str, list[Evidence]]]  # state → other → claims between them
    names: dict[str, str]

    @property
    def subjects(self) -> list[str]:
        states = set(self.votes.states if self.votes else ()) | set(self.held) | set(self.bilateral) | set(self.joint)
        return sorted(s for s in states if s.startswith("state:"))

    @classmethod
    def read(cls, connection: Connection, matter: str | None, day: dt.date,
             subjects: Sequence[str] | None) -> _PartnerEvidence:
        family = matter_family(connection, matter) if matter else []
        selection = _partner_selection(connection, matter, day)
        try:
            votes, calls = vote_matrix(connection, selection)
        except DataError:
            votes, calls = None, []
        aligned = alignment(votes) if votes is not None and subjects is None else None
        instruments = reader.listing(connection, kinds=["instrument"])
        parties = [stored.data for stored in reader.listing(connection, kinds=["party"])]
        held, labels = _affiliations(connection, day, family, instruments, parties)
        claims = [stored for stored in reader.listing(connection, kinds=["claim"])
                  if not (stored.start and date_floor(stored.start) > day)]
        bilateral = _bilateral(day, family, instruments, _actors_by_instrument(parties))
        evidence = cls(day, family, selection, votes, [c.symbol or c.id for c in calls], aligned, held, labels,
                       bilateral, _joint_attributions(claims), _claims_between(claims), {})
        every = set(evidence.subjects) | {s for found in (evidence.bilateral, evidence.joint, evidence.against)
                                          for others in found.values() for s in others}
        evidence.names = record_names(connection, sorted(every))
        return evidence

    def report(self, subject: str, weights: dict[str, float], limit: int) -> PartnerReport:
        """The subject's ranking: every candidate scored, the evidence gathered for the top ``limit``."""
        scored = {"votes": self._vote_scores(subject), "affiliations": self._affiliation_scores(subject),
                  "agreements": _counted(self.bilateral.get(subject, {}), 2, "{} in force"),
                  "joint_attributions": _counted(self.joint.get(subject, {}), 2, "{} shared attribution(s)"),
                  "incidents": _counted(self.against.get(subject, {}), 3, "{} attribution claim(s) between them")}
        candidates = {c for name in ("votes", "affiliations", "agreements", "joint_attributions")
                      for c in scored[name] if c.startswith("state:") and c != subject}
        totals = {c: round(sum(scored[k].get(c, (0.0, ""))[0] * weights[k] for k in scored), 4) for c in candidates}
        ranked = sorted(candidates, key=lambda c: (-totals[c], self.names.get(c, c)))[:limit]
        partners = [Partner(other, self.names.get(other, other), totals[other],
                            {name: self._component(name, scored[name], weights[name], subject, other)
                             for name in scored}) for other in ranked]
        return PartnerReport(subject, self.names.get(subject, subject), self.family[0] if self.family else None,
                             self.day.isoformat(), weights, self.selection.describe(), partners)

    def _component(self, name: str, scores: dict[str, tuple[float, str]], weight: float, subject: str,
                   other: str) -> Component:
        if other not in scores:
            return Component(0.0, weight, NOTHING[name], [])
        score, summary = scores[other]
        return Component(score, weight, summary, self._evidence(name, subject, other))

    def _vote_scores(self, subject: str) -> dict[str, tuple[float, str]]:
        """κ with every state the subject shared votes with (a negative κ scores zero)."""
        matrix = self.votes
        if matrix is None or subject not in matrix.states:
            return {}
        i = matrix.states.index(subject)
        if self.aligned is not None:
            kappas, agreements, joints = self.aligned.kappa[i], self.aligned.agreement[i], self.aligned.joint[i]
        else:
            row = alignment_with(matrix, subject)  # one row: the subject against every state
            kappas, agreements, joints = row.kappa[0], row.agreement[0], row.joint[0]
        result = {}
        for j in np.flatnonzero(joints > 0):
            other, kappa, joint = matrix.states[j], kappas[j], int(joints[j])
            if other != subject:
                # few joint votes say little: κ is shrunk towards 0 by n / (n + MIN_JOINT_VOTES)
                weight = joint / (joint + MIN_JOINT_VOTES)
                few = f"; only {joint} votes, counted at {weight:.0%}" if joint < MIN_JOINT_VOTES else ""
                result[other] = (0.0 if np.isnan(kappa) else max(float(kappa), 0.0) * weight,
                                 f"κ {kappa:.2f}, agreement {agreements[j]:.2f} ({joint} votes{few})"
                                 if not np.isnan(kappa) else f"κ undefined ({joint} votes)")
        return result

    def _affiliation_scores(self, subject: str) -> dict[str, tuple[float, str]]:
        """Shared memberships, compared by Jaccard similarity."""
        mine = self.held.get(subject, set())
        result = {}
        for other, theirs in self.held.items():
            if other != subject and (mine | theirs):
                shared, either = len(mine & theirs), len(mine | theirs)
                result[other] = (shared / either, f"{shared} shared of {either}")
        return result

    def _evidence(self, component: str, subject: str, other: str) -> list[Evidence]:
        if component == "votes":
            assert self.votes is not None
            mine = self.votes.codes[self.votes.states.index(subject)]
            theirs = self.votes.codes[self.votes.states.index(other)]
            same = [self.symbols[k] for k in np.flatnonzero((mine == theirs) & (mine > 0))]
            differ = [self.symbols[k] for k in np.flatnonzero((mine != theirs) & (mine > 0) & (theirs > 0))]
            return ([Evidence(s, s, "voted alike") for s in same[-5:]]
                    + [Evidence(s, s, "voted differently") for s in differ[-5:]])
        if component == "affiliations":
            mine, theirs = self.held.get(subject, set()), self.held.get(other, set())
            return ([Evidence(x, self.labels.get(x, x), "both") for x in sorted(mine & theirs)]
                    + [Evidence(x, self.labels.get(x, x), "only one of them") for x in sorted(mine ^ theirs)][:10])
        found = {"agreements": self.bilateral, "joint_attributions": self.joint, "incidents": self.against}[component]
        return found.get(subject, {}).get(other, [])


#: a component's summary when the two states have nothing of that kind
NOTHING = {"votes": "no joint votes", "affiliations": "nothing shared", "agreements": "none",
           "joint_attributions": "none", "incidents": "none recorded"}


def _counted(found: dict[str, list[Evidence]], full: int, summary: str) -> dict[str, tuple[float, str]]:
    """A score growing with the number of items, full at ``full``."""
    return {other: (min(1.0, len(items) / full), summary.format(len(items))) for other, items in found.items()}


def _partner_selection(connection: Connection, matter: str | None, day: dt.date) -> Selection:
    if matter:
        return Selection(matter=matter, end=day.isoformat())
    sessions = sessions_with_votes(connection, end=day.isoformat())[-3:]
    return Selection(sessions=tuple(sessions), end=day.isoformat())


def _valid(start: str | None, end: str | None, day: dt.date) -> bool:
    return (not start or date_floor(start) <= day) and (not end or date_ceil(end) >= day)


def _affiliations(connection: Connection, day: dt.date, family: list[str], instrument_rows: list[StoredRecord],
                  parties: list[dict[str, Any]]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """What each actor belonged to on ``day``: organisations and initiatives (the UN excepted:
    everyone is in it) and multilateral instruments (of the matter's topics, when one is asked),
    with their names. An initiative's own statements count as the initiative, once; an instrument
    between two parties only is bilateral (see :func:`_bilateral`), not an affiliation."""
    held: dict[str, set[str]] = defaultdict(set)
    # the stored (already validated) data is read as it is: thousands of records per request
    for stored in reader.listing(connection, kinds=["membership"]):
        m = stored.data
        if m["organization"] != "org:un" and _valid(m.get("valid_from"), m.get("valid_to"), day):
            held[m["member"]].add(m["organization"])
    topical = set(family)
    instruments = {r.id: r.data for r in instrument_rows}
    counted = {instrument: len(actors) for instrument, actors in _actors_by_instrument(parties).items()}
    for p in parties:
        instrument = instruments.get(p["instrument"])
        if instrument is None or instrument.get("kind") == "national_strategy" or counted[p["instrument"]] <= 2:
            continue
        if topical and not topical & set(instrument.get("topics") or []):
            continue
        ended = instrument.get("ended")
        if (not p.get("date") or date_floor(p["date"]) <= day) and not (ended and date_ceil(ended) < day):
            forum = instrument.get("forum") or ""
            held[p["actor"]].add(forum if forum.startswith("initiative:") else p["instrument"])
    every = sorted({x for affiliations in held.values() for x in affiliations})
    return held, record_names(connection, every)


def _actors_by_instrument(parties: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The different actors party to each instrument."""
    actors: dict[str, set[str]] = defaultdict(set)
    for p in parties:
        actors[p["instrument"]].add(p["actor"])
    return actors


def _bilateral(day: dt.date, family: list[str], instruments: list[StoredRecord],
              parties: dict[str, set[str]]) -> dict[str, dict[str, list[Evidence]]]:
    """Instruments between two parties only (agreements, statements, dialogues, frameworks; not
    strategies) in force on ``day``: each counts once for its pair."""
    found: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for stored in instruments:
        pair = sorted(parties.get(stored.id, ()))
        if len(pair) != 2 or stored.data.get("kind") == "national_strategy":
            continue
        instrument = Instrument.model_validate(stored.data)
        start, end = instrument.period()
        if not _valid(start, end, day) or (family and not set(family) & set(instrument.topics)):
            continue
        first, second = pair
        found[first][second].append(Evidence(instrument.id, instrument.name, start or ""))
        found[second][first].append(Evidence(instrument.id, instrument.name, start or ""))
    return found


def _claim_state(claim: dict[str, Any]) -> str:
    """The state behind a claim: the claimant itself, or the state its agency or firm belongs to."""
    return claim.get("claimant_state") or claim.get("claimant") or ""


def _joint_attributions(claims: list[StoredRecord]) -> dict[str, dict[str, list[Evidence]]]:
    """Incidents or groups two states both publicly attributed: co-signed (or parallel) attributions."""
    by_subject: dict[str, list[StoredRecord]] = defaultdict(list)
    for claim in claims:
        by_subject[claim.data.get("subject", "")].append(claim)
    found: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for target, about in by_subject.items():
        for own in about:
            subject = own.data.get("claimant") or ""
            for other in about:
                claimant = _claim_state(other.data)
                if claimant.startswith("state:") and claimant != subject and subject.startswith("state:"):
                    found[subject][claimant].append(Evidence(target, target, other.start or ""))
    return found


def _claims_between(claims: list[StoredRecord]) -> dict[str, dict[str, list[Evidence]]]:
    """Attribution claims one state made against another (a penalty), seen from both sides."""
    found: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for claim in claims:
        claimant, accused = claim.data.get("claimant") or "", claim.data.get("attributed_to") or ""
        if claimant and accused:
            item = Evidence(claim.id, claim.name, claim.start or "")
            found[claimant][accused].append(item)
            found[accused][claimant].append(item)
    return found


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
    read_from: list[str] = field(default_factory=list)  # earlier votes on the same text the forecast read


def coalition(connection: Connection, *, resolution: str | None = None, matter: str | None = None,
              important: bool | None = None, sponsors: Sequence[str] = (),
              draft: forecasts.Draft | None = None) -> CoalitionResult:
    """Forecast a General Assembly vote from the votes before it — a recorded resolution as the day
    before its vote would have, the latest vote on a matter, or a draft — apply the Assembly's rule,
    and list the fewest states whose change would turn the outcome. A text with no earlier version
    needs its ``sponsors`` to be forecast beyond the Assembly's habit of voting yes."""
    if draft is not None:
        outlook = forecasts.forecast_draft(connection, draft)
        reference, session, recorded_important = None, None, False
    else:
        if not resolution and not matter:
            raise DataError([Problem("coalition", "give a reference resolution (e.g. A/RES/74/247), a matter or a "
                                     "draft")])
        selection = Selection(symbols=(resolution,)) if resolution else Selection(matter=matter)
        calls = [c for c in select_rollcalls(connection, selection) if not (c.amendment or c.paragraph)]
        if not calls:
            raise DataError([Problem(resolution or matter or "", "no recorded final vote found; import UN votes "
                                     "first")])
        reference = calls[-1]
        session, recorded_important = reference.session, bool(reference.important)
        outlook = forecasts.forecast_resolution(connection, reference.symbol or reference.id, sponsors=sponsors)
    states = [s.state for s in outlook.states]
    probabilities = np.array([[s.yes, s.abstain, s.no] for s in outlook.states]).reshape(len(states), 3)
    is_important = important if important is not None else recorded_important
    outcome = coalition_rules.predict(states, probabilities, important=is_important)
    names = {s.state: s.name for s in outlook.states}
    history = {s.state: [f"{symbol}: {vote}" for symbol, vote in s.series] for s in outlook.states}
    actual_tally = (coalition_rules.Tally(outlook.actual["yes"], outlook.actual["no"], outlook.actual["abstain"])
                    if outlook.actual else None)

    def swing(move: coalition_rules.Move) -> SwingState:
        return SwingState(move.state, names.get(move.state, move.state), move.current, move.target, move.gain,
                          round(move.probability, 4), None, history.get(move.state, []))

    return CoalitionResult(
        reference=reference.id if reference else "draft", symbol=outlook.symbol, title=outlook.title,
        session=session, important=is_important,
        rule="two thirds of members present and voting" if is_important else
        "majority of members present and voting (yes > no)",
        actual=dict(outlook.actual) if outlook.actual else None,
        actual_adopted=actual_tally.adopted(is_important) if actual_tally else None,
        predicted={"yes": outcome.tally.yes, "no": outcome.tally.no, "abstain": outcome.tally.abstain},
        expected={k: round(v, 2) for k, v in outcome.expected.items()},
        adopted=outcome.adopted,
        changes_needed=len(outcome.swing),
        swing=[swing(m) for m in outcome.swing],
        alternatives=[swing(m) for m in outcome.alternatives],
        forecasts=[StateForecast(s.state, s.name, outcome.predicted[i], s.yes, s.abstain, s.no, None,
                                 history.get(s.state, [])) for i, s in enumerate(outlook.states)],
        read_from=outlook.series_votes,
    )
