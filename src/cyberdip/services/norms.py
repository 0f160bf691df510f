"""Norms in practice: assessing incidents, listing incidents and claims, and each state's record."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from cyberdip.analysis.assessment import (
    CONTESTED,
    RULESET,
    VIOLATION,
    CommitmentInForce,
    Context,
    Finding,
    assess,
)
from cyberdip.analysis.attribution import Strength, strengths
from cyberdip.model import AttributionClaim, Commitment, Incident, Membership, Norm, Party, Response
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import date_ceil, date_floor, parse_partial_date
from cyberdip.services import incident_links
from cyberdip.services.catalogue import resolve
from cyberdip.store import read_models, reader
from cyberdip.store.reader import StoredRecord

ENGAGED = (VIOLATION, CONTESTED)


@dataclass(frozen=True)
class Assessment:
    incident: dict[str, Any]
    ruleset: str
    claims: list[dict[str, Any]]
    attribution: list[Strength]
    findings: list[Finding]

    def engaged(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "not_engaged"]

    def payload(self) -> dict[str, Any]:
        """What the read model stores (the incident itself stays in its record)."""
        return {"ruleset": self.ruleset, "claims": self.claims,
                "attribution": [asdict(s) for s in self.attribution],
                "findings": [asdict(f) for f in self.findings]}

    @classmethod
    def from_payload(cls, incident: dict[str, Any], payload: dict[str, Any]) -> Assessment:
        attribution = [_strength(s) for s in payload["attribution"]]
        findings = [Finding(**{**f, "commitments": [CommitmentInForce(**c) for c in f["commitments"]]})
                    for f in payload["findings"]]
        return cls(incident, payload["ruleset"], payload["claims"], attribution, findings)


@dataclass(frozen=True)
class EngagedFinding:
    """A finding other than ``not_engaged``, as lists and state records show it."""

    norm: str
    addressee: str
    status: str
    explanation: str


@dataclass(frozen=True)
class Outline:
    """What listings need of an incident's assessment: attribution strength per state and the
    findings that engage a norm."""

    attribution: list[Strength]
    engaged: list[EngagedFinding]

    @classmethod
    def of(cls, assessment: Assessment) -> Outline:
        return cls(list(assessment.attribution), [EngagedFinding(f.norm, f.addressee, f.status, f.explanation)
                                                  for f in assessment.engaged()])

    def payload(self) -> dict[str, Any]:
        return {"attribution": [asdict(s) for s in self.attribution], "engaged": [asdict(f) for f in self.engaged]}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outline:
        return cls([_strength(s) for s in payload["attribution"]], [EngagedFinding(**f) for f in payload["engaged"]])


def _strength(data: dict[str, Any]) -> Strength:
    return Strength(data["state"], data["level"], tuple(data["claimants"]), tuple(data["claims"]),
                    tuple(data["contested_by"]))


#: the read model holding every incident's assessment (see :func:`assess_all`)
ASSESSMENTS = "assessments"


def assess_all(connection: Connection) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every stored incident's assessment as the read model stores it: incident id → (outline, whole)."""
    inputs = AssessmentInputs.preloaded(connection)
    result = {}
    for row in reader.listing(connection, kinds=["incident"]):
        assessment = _assess(inputs, Incident.model_validate(row.data))
        result[row.id] = (Outline.of(assessment).payload(), assessment.payload())
    return result


def assessments(connection: Connection, rows: list[StoredRecord]) -> dict[str, Assessment]:
    """The whole assessments of stored incidents: from the read model written with the last load,
    or (a database loaded before it existed) computed now."""
    current = _read_model_current(connection)
    stored = read_models.get_assessments(connection, [row.id for row in rows]) if current else {}
    missing = [row for row in rows if row.id not in stored]
    computed = _compute(connection, missing)
    return {row.id: Assessment.from_payload(row.data, stored[row.id]) if row.id in stored else computed[row.id]
            for row in rows}


def outlines(connection: Connection, rows: list[StoredRecord]) -> dict[str, Outline]:
    """The outlines of stored incidents' assessments (from the read model, or computed now)."""
    stored = (read_models.get_assessments(connection, [row.id for row in rows], whole=False)
              if _read_model_current(connection) else {})
    missing = [row for row in rows if row.id not in stored]
    computed = _compute(connection, missing)
    return {row.id: Outline.from_payload(stored[row.id]) if row.id in stored else Outline.of(computed[row.id])
            for row in rows}


def attributions(connection: Connection, incident_ids: Sequence[str]) -> dict[str, list[Strength]]:
    """Who each incident is attributed to and how strongly (as its assessment says)."""
    stored = (read_models.get_assessments(connection, incident_ids, whole=False)
              if _read_model_current(connection) else {})
    missing = [i for i in incident_ids if i not in stored]
    rows = list(reader.get_many(connection, missing).values()) if missing else []
    found = {incident_id: Outline.from_payload(payload).attribution for incident_id, payload in stored.items()}
    found.update({incident_id: outline.attribution for incident_id, outline in outlines(connection, rows).items()})
    return found


def _compute(connection: Connection, rows: list[StoredRecord]) -> dict[str, Assessment]:
    inputs = AssessmentInputs.preloaded(connection) if len(rows) > 20 else AssessmentInputs(connection)
    return {row.id: _assess(inputs, Incident.model_validate(row.data)) for row in rows}


def _read_model_current(connection: Connection) -> bool:
    model = read_models.get(connection, ASSESSMENTS)
    last = reader.last_load(connection)
    return (model is not None and last is not None and model[0] == int(last["id"])
            and model[1].get("ruleset") == RULESET)


def incident_schema() -> dict[str, Any]:
    """The JSON Schema an incident file must follow (published as docs/incident.schema.json)."""
    return Incident.model_json_schema()


def assess_ref(connection: Connection, ref: str) -> Assessment:
    stored = resolve(connection, ref)
    if stored.kind != "incident":
        raise DataError([Problem(ref, f"{stored.id} is not an incident")])
    return assessments(connection, [stored])[stored.id]


def assess_file(connection: Connection, path: Path) -> Assessment:
    """Validate an incident described in a JSON file and assess it; nothing is stored."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([Problem(str(path), f"cannot read: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Problem(f"{path.name}:{exc.lineno}", f"not valid JSON: {exc.msg}")]) from None
    return assess_data(connection, data, where=path.name)


def assess_data(connection: Connection, data: Any, where: str = "request") -> Assessment:
    if not isinstance(data, dict):
        raise DataError([Problem(where, "expected one JSON object describing an incident")])
    data = {"sources": [{"url": "https://example.invalid/user-supplied", "title": "Facts supplied by the user",
                         "publisher": "user"}], "id": "incident:user-supplied", **data}
    try:
        incident = Incident.model_validate(data)
    except ValidationError as exc:
        raise DataError([Problem(where, e["msg"], data.get("id"), ".".join(str(p) for p in e["loc"]))
                         for e in exc.errors()]) from None
    unknown = [(name, ref) for name, ref in incident.references() if reader.get(connection, ref) is None]
    if unknown:
        raise DataError([Problem(where, f"unknown record {ref!r}", incident.id, name) for name, ref in unknown])
    return _assess(AssessmentInputs(connection), incident)


class AssessmentInputs:
    """What assessing an incident reads from the knowledge base: claims, 'same group' links,
    agencies' governments, memberships, parties, instruments, commitments and norms.

    Read record by record as asked (one incident), or all at once with :meth:`preloaded` (every
    incident: a handful of queries instead of dozens per incident)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._claims: dict[str, list[AttributionClaim]] | None = None
        self._links: dict[str, set[str]] | None = None
        self._records: dict[str, StoredRecord | None] = {}
        self._memberships: dict[str, list[Membership]] | None = None
        self._parties: dict[str, list[Party]] | None = None
        self._commitments: dict[str, list[Commitment]] | None = None
        self._norms: list[tuple[str, Norm]] | None = None

    @classmethod
    def preloaded(cls, connection: Connection) -> AssessmentInputs:
        inputs = cls(connection)
        inputs._claims = defaultdict(list)
        for row in reader.listing(connection, kinds=["claim"]):
            claim = AttributionClaim.model_validate(row.data)
            inputs._claims[claim.subject].append(claim)
        inputs._links = defaultdict(set)
        for row in reader.listing(connection, kinds=["grouplink"]):
            if row.data.get("status") == "same":
                inputs._links[row.data["a"]].add(row.data["b"])
                inputs._links[row.data["b"]].add(row.data["a"])
        inputs._memberships = defaultdict(list)
        for row in reader.listing(connection, kinds=["membership"]):
            membership = Membership.model_validate(row.data)
            inputs._memberships[membership.member].append(membership)
        inputs._parties = defaultdict(list)
        for row in reader.listing(connection, kinds=["party"]):
            party = Party.model_validate(row.data)
            inputs._parties[party.actor].append(party)
        inputs._commitments = defaultdict(list)
        for row in reader.listing(connection, kinds=["commitment"]):
            commitment = Commitment.model_validate(row.data)
            inputs._commitments[commitment.instrument].append(commitment)
        for row in reader.listing(connection, kinds=["instrument"]):
            inputs._records[row.id] = row
        for row in reader.listing(connection, kinds=["actor"], subkinds=["agency"]):
            inputs._records[row.id] = row
        return inputs

    def claims_about(self, subject: str) -> list[AttributionClaim]:
        if self._claims is not None:
            return list(self._claims.get(subject, []))
        return [AttributionClaim.model_validate(r.data)
                for r in reader.referrers(self.connection, subject, kind="claim", field="subject")]

    def same_groups(self, group: str) -> set[str]:
        if self._links is not None:
            return set(self._links.get(group, set()))
        return {(link.data["b"] if link.data["a"] == group else link.data["a"])
                for field in ("a", "b")
                for link in reader.referrers(self.connection, group, kind="grouplink", field=field)
                if link.data.get("status") == "same"}

    def record(self, record_id: str) -> StoredRecord | None:
        if record_id not in self._records:
            if self._claims is not None:  # preloaded: instruments and agencies are all there
                return None
            self._records[record_id] = reader.get(self.connection, record_id)
        return self._records[record_id]

    def memberships_of(self, state: str) -> list[Membership]:
        if self._memberships is not None:
            return self._memberships.get(state, [])
        return [Membership.model_validate(row.data)
                for row in reader.referrers(self.connection, state, kind="membership", field="member")]

    def parties_of(self, state: str) -> list[Party]:
        if self._parties is not None:
            return self._parties.get(state, [])
        return [Party.model_validate(row.data)
                for row in reader.referrers(self.connection, state, kind="party", field="actor")]

    def commitments_of(self, instrument: str) -> list[Commitment]:
        if self._commitments is not None:
            return self._commitments.get(instrument, [])
        return [Commitment.model_validate(row.data)
                for row in reader.referrers(self.connection, instrument, kind="commitment", field="instrument")]

    def norms(self) -> list[tuple[str, Norm]]:
        """Every norm with the name it is shown by."""
        if self._norms is None:
            self._norms = [(row.name, Norm.model_validate(row.data))
                           for row in reader.listing(self.connection, kinds=["norm"])]
        return self._norms


def _assess(inputs: AssessmentInputs, incident: Incident) -> Assessment:
    claims = _claims_about(inputs, incident)
    sponsors = _group_sponsors(inputs, [*incident.groups, *(c.attributed_to for c in claims
                                                            if c.attributed_to.startswith("group:"))])
    behind = {n.state for n in incident.nexus if n.nexus.value in ("organ", "directed", "supported")}
    strength = strengths(claims, sponsors, {group: behind for group in incident.groups})
    involved = {*incident.victims, *(n.state for n in incident.nexus), *(x.state for x in incident.launched_from),
                *(s.state for s in strength)}
    context = Context(claims=claims, strengths=strength, members=_members_at(inputs, involved, incident.start),
                      commitments=_commitments_between(inputs, involved, incident.start))
    titles = {norm.id: name for name, norm in inputs.norms()}
    findings = assess(incident, context, titles=titles)
    return Assessment(incident.model_dump(mode="json"), RULESET, [c.model_dump(mode="json") for c in claims],
                      strength, findings)


def _claims_about(inputs: AssessmentInputs, incident: Incident) -> list[AttributionClaim]:
    """The incident's claims, each agency claimant tied to its government (so that two agencies of
    one government never count as two governments)."""
    claims = inputs.claims_about(incident.id)
    parents = {}
    for claim in claims:
        if claim.claimant and claim.claimant.startswith("agency:") and not claim.claimant_state:
            agency = inputs.record(claim.claimant)
            parents[claim.claimant] = agency.data.get("parent") if agency else None
    return [c.model_copy(update={"claimant_state": parents[c.claimant]})
            if c.claimant in parents and str(parents[c.claimant]).startswith("state:") else c for c in claims]


def _group_sponsors(inputs: AssessmentInputs, groups: Iterable[str]) -> dict[str, list[AttributionClaim]]:
    """Claims attributing each group to a state, following recorded 'same group' links."""
    result: dict[str, list[AttributionClaim]] = {}
    for group in set(groups):
        family = {group} | inputs.same_groups(group)
        result[group] = [claim for member in sorted(family) for claim in inputs.claims_about(member)]
    return result


def _members_at(inputs: AssessmentInputs, states: set[str], date: str) -> dict[str, set[str]]:
    day = date_floor(date)
    members: dict[str, set[str]] = defaultdict(set)
    for state in states:
        for m in inputs.memberships_of(state):
            started = not m.valid_from or date_floor(m.valid_from) <= day
            if started and (not m.valid_to or date_ceil(m.valid_to) >= day):
                members[state].add(m.organization)
    return dict(members)


def _commitments_between(inputs: AssessmentInputs, states: set[str],
                         date: str) -> dict[tuple[str, str], list[tuple[str, CommitmentInForce]]]:
    """For each ordered pair of involved states, the commitments of instruments both had joined by
    ``date``, keyed by the norms each commitment restates (and the norm of its instrument)."""
    day = date_floor(date)
    joined: dict[str, dict[str, str | None]] = defaultdict(dict)
    for state in states:
        for party in inputs.parties_of(state):
            if party.role.value in ("party", "signatory", "supporter", "participant") and (
                    not party.date or date_floor(party.date) <= day):
                joined[state][party.instrument] = party.date
    norm_of_instrument: dict[str, list[str]] = defaultdict(list)
    for _, restated in inputs.norms():
        if restated.instrument and restated.category.value == "commitment":
            norm_of_instrument[restated.instrument].append(restated.id)
    result: dict[tuple[str, str], list[tuple[str, CommitmentInForce]]] = defaultdict(list)
    for a in states:
        for b in states:
            if a == b:
                continue
            for instrument in sorted(set(joined[a]) & set(joined[b])):
                stored = inputs.record(instrument)
                if stored is None or (stored.end and date_ceil(stored.end) < day):
                    continue
                since = max(filter(None, [joined[a][instrument], joined[b][instrument], stored.start]), default=None)
                for commitment in inputs.commitments_of(instrument):
                    entry = CommitmentInForce(commitment.id, commitment.text, stored.name, since)
                    for norm in {*commitment.norms, *norm_of_instrument.get(instrument, [])}:
                        result[(a, b)].append((norm, entry))
    return dict(result)


# ---------------------------------------------------------------------------------------------
# Listings


@dataclass(frozen=True)
class IncidentRow:
    id: str
    name: str
    start: str | None
    attributed_to: list[str]
    victims: list[str]
    engaged_norms: list[str]
    #: the other records of the same incident (other datasets), when one row stands for them all
    also: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IncidentPage:
    """One page of the incidents that match: how many match in all, and the rows shown."""

    total: int
    offset: int
    rows: list[IncidentRow]


#: how incident lists can be ordered; unknown dates always come last
INCIDENT_SORTS = ("date", "-date", "name")


def incidents(connection: Connection, *, actor: str | None = None, by: str | None = None,
              against: str | None = None, norm: str | None = None, start: str | None = None,
              end: str | None = None, limit: int = 500) -> list[IncidentRow]:
    """Incidents by date, optionally those involving an actor (attributed to it or against it), those
    attributed to one (``by``) or against one (``against``), or engaging a norm (a violation alleged or
    contested)."""
    return incident_page(connection, actor=actor, by=by, against=against, norm=norm, start=start, end=end,
                         limit=limit).rows


def incident_page(connection: Connection, *, actor: str | None = None, by: str | None = None,
                  against: str | None = None, norm: str | None = None, start: str | None = None,
                  end: str | None = None, sort: str = "date", offset: int = 0,
                  limit: int | None = 100, one_per_incident: bool = True) -> IncidentPage:
    """The incidents matching every filter given, counted in full, sorted, and the page asked for.
    With ``one_per_incident``, records of one incident in several datasets (linked as the same)
    are one row, shown by the record that speaks for them (ours first)."""
    if sort not in INCIDENT_SORTS:
        raise DataError([Problem("sort", f"unknown order {sort!r}; choose {', '.join(INCIDENT_SORTS)}")])
    keys, engaged, also = _matching(connection, actor, by, against, norm, start, end, one_per_incident)
    if sort == "name":
        keys.sort(key=lambda k: (k.name.casefold(), k.id))
    else:  # by date, newest or oldest first; an unknown date is never "first"
        dated = sorted((k for k in keys if k.start), key=lambda k: (k.start or "", k.id), reverse=sort == "-date")
        keys = dated + [k for k in keys if not k.start]
    chosen = keys[offset:offset + limit] if limit is not None else keys[offset:]
    stored = reader.get_many(connection, [k.id for k in chosen])
    shown = [stored[k.id] for k in chosen]
    attributed = _attributions(connection, shown)
    return IncidentPage(len(keys), offset, [
        IncidentRow(row.id, row.name, row.start, sorted(attributed.get(row.id, set())),
                    list(row.data.get("victims") or []), engaged.get(row.id, []), also.get(row.id, []))
        for row in shown])


def incident_ids(connection: Connection, *, actor: str | None = None, by: str | None = None,
                 against: str | None = None, norm: str | None = None, start: str | None = None,
                 end: str | None = None) -> list[str]:
    """The ids of every incident :func:`incident_page` counts (one per incident), in no set order."""
    return [key.id for key in _matching(connection, actor, by, against, norm, start, end, True)[0]]


def _matching(connection: Connection, actor: str | None, by: str | None, against: str | None, norm: str | None,
              start: str | None, end: str | None, one_per_incident: bool
              ) -> tuple[list[reader.RecordKey], dict[str, list[str]], dict[str, list[str]]]:
    """The incidents matching every filter, the norms each engages (with a norm filter) and, one
    per incident, the other records of each incident kept."""
    start = parse_partial_date(start) if start else None
    end = parse_partial_date(end) if end else None
    ids: set[str] | None = None
    for ref, choose in ((actor, _involving), (by, _attributed_to), (against, _against)):
        if ref:
            found = choose(connection, resolve(connection, ref).id)
            ids = found if ids is None else ids & found
    norm_id = resolve(connection, norm).id if norm else None
    keys = reader.listing_keys(connection, kinds=["incident"], start_from=start, start_to=end,
                               ids=sorted(ids) if ids is not None else None)
    engaged: dict[str, list[str]] = {}
    if norm_id:
        if _read_model_current(connection):
            engaged = read_models.engaging(connection, norm_id, ENGAGED)
        else:
            assessed = outlines(connection, list(reader.get_many(connection, [k.id for k in keys]).values()))
            engaged = {key: sorted({f.norm for f in outline.engaged if f.status in ENGAGED})
                       for key, outline in assessed.items()}
        keys = [k for k in keys if norm_id in engaged.get(k.id, [])]
    also: dict[str, list[str]] = {}
    if one_per_incident:
        keys, also = _one_per_incident(connection, keys)
    return keys, engaged, also


def _one_per_incident(connection: Connection, keys: list[reader.RecordKey]
                      ) -> tuple[list[reader.RecordKey], dict[str, list[str]]]:
    """Keep one key per incident: the record speaking for it if it matches, else the first that does."""
    speaker = incident_links.representatives(connection)
    present = {k.id for k in keys}
    kept: list[reader.RecordKey] = []
    members: dict[str, list[str]] = {}
    seen: dict[str, str] = {}  # cluster speaker → the key kept for it
    for key in sorted(keys, key=lambda k: (k.id != speaker.get(k.id, k.id), k.id)):
        cluster = speaker.get(key.id)
        if cluster is None:
            kept.append(key)
            continue
        if cluster in seen:
            members[seen[cluster]].append(key.id)
            continue
        if cluster in present and cluster != key.id:
            continue  # its speaker matches too and is kept instead
        seen[cluster] = key.id
        members[key.id] = []
        kept.append(key)
    return kept, {kid: sorted(ids) for kid, ids in members.items() if ids}


def _attributed_to(connection: Connection, subject: str) -> set[str]:
    """Incidents a claim attributes to ``subject`` (directly, or through a group it is said to
    sponsor), or whose record names it as behind them (from the links index alone)."""
    ids = {r for field in ("nexus", "groups")
           for _, r in reader.referring_ids(connection, [subject], "incident", field)}
    claims = [claim for _, claim in reader.referring_ids(connection, [subject], "claim", "attributed_to")]
    subjects = {target for _, target in reader.link_targets(connection, claims, "subject")}
    ids |= {s for s in subjects if s.startswith("incident:")}
    # a claim about a group: the group's incidents
    groups = [s for s in subjects if not s.startswith("incident:")]
    return ids | {r for _, r in reader.referring_ids(connection, groups, "incident")}


def _against(connection: Connection, subject: str) -> set[str]:
    return {r for _, r in reader.referring_ids(connection, [subject], "incident", "victims")}


def _involving(connection: Connection, subject: str) -> set[str]:
    return {r for _, r in reader.referring_ids(connection, [subject], "incident")} | _attributed_to(connection, subject)


def _attributions(connection: Connection, rows: list[StoredRecord]) -> dict[str, set[str]]:
    """Who each incident is attributed to, by its claims."""
    attributed: dict[str, set[str]] = {}
    for subject, target in reader.claim_targets(connection, [row.id for row in rows]):
        attributed.setdefault(subject, set()).add(target)
    return attributed


def claims_about(connection: Connection, subject_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every claim about one of the incidents or groups given, by date."""
    found = {row.id: row.data for _, row in reader.referrers_of_many(connection, subject_ids, kind="claim",
                                                                     field="subject")}
    return sorted(found.values(), key=lambda c: (c.get("date") or "", c["id"]))


def claims(connection: Connection, ref: str | None = None, *, by: str | None = None,
           against: str | None = None) -> list[dict[str, Any]]:
    """Attribution claims about an incident or group, or made by or against an actor; ``by``
    keeps the claims a state, agency or organisation made (itself or its government), ``against``
    those that name a given actor as responsible."""
    if not (ref or by or against):
        raise ValueError("name an incident, group or actor, or say --by or --against")
    found: dict[str, Any] | None = None
    for target, fields in ((ref, ("subject", "attributed_to", "claimant", "claimant_state")),
                           (by, ("claimant", "claimant_state")), (against, ("attributed_to",))):
        if target is None:
            continue
        record_id = resolve(connection, target).id
        rows = {r.id: r for field in fields for r in reader.referrers(connection, record_id, kind="claim", field=field)}
        found = rows if found is None else {rid: row for rid, row in found.items() if rid in rows}
    return sorted((r.data for r in (found or {}).values()), key=lambda c: (c.get("date") or "", c["id"]))


# ---------------------------------------------------------------------------------------------
# A state's record


@dataclass(frozen=True)
class StateRecord:
    state: str
    name: str
    attributed_incidents: list[dict[str, Any]]
    norms_engaged: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    responses_made: list[dict[str, Any]]
    responses_received: list[dict[str, Any]]
    norm_summary: dict[str, dict[str, int]]


def state_record(connection: Connection, ref: str) -> StateRecord:
    """Incidents attributed to a state (by whom, how strongly), the norms it is alleged to have
    engaged as addressee, the commitments it made, and responses it made and received."""
    state = resolve(connection, ref)
    if state.subkind != "state":
        raise DataError([Problem(ref, f"{state.id} is not a state")])
    involved = {r for _, r in reader.referring_ids(connection, [state.id], "incident")}
    subjects = {claim.data["subject"] for claim in reader.referrers(connection, state.id, kind="claim",
                                                                    field="attributed_to")}
    involved |= {s for s in subjects if s.startswith("incident:")}
    # claims about a group: the incidents the group is named in
    involved |= {r for _, r in reader.referring_ids(connection, [s for s in subjects if not s.startswith("incident:")],
                                                     "incident")}
    attributed, engaged = [], []
    summary: dict[str, Counter[str]] = defaultdict(Counter)
    rows = sorted(reader.get_many(connection, sorted(involved)).values(), key=lambda r: (r.start or "", r.id))
    assessed = outlines(connection, rows)
    for stored in rows:
        incident_id = stored.id
        assessment = assessed[incident_id]
        mine = next((s for s in assessment.attribution if s.state == state.id), None)
        if mine:
            attributed.append({"incident": incident_id, "name": stored.name, "date": stored.start,
                               "strength": mine.level, "claimants": list(mine.claimants),
                               "contested_by": list(mine.contested_by)})
        for finding in assessment.engaged:
            if finding.addressee == state.id:
                summary[finding.norm][finding.status] += 1
                if finding.status in ENGAGED:
                    engaged.append({"incident": incident_id, "name": stored.name, "norm": finding.norm,
                                    "status": finding.status, "explanation": finding.explanation})
    commitments = []
    parties = reader.referrers(connection, state.id, kind="party", field="actor")
    by_instrument: dict[str, list[StoredRecord]] = defaultdict(list)
    for instrument, row in reader.referrers_of_many(connection, [p.data["instrument"] for p in parties],
                                                    kind="commitment", field="instrument"):
        by_instrument[instrument].append(row)
    for party in parties:
        instrument = party.data["instrument"]
        for row in sorted(by_instrument[instrument], key=lambda r: (r.start or "", r.id)):
            commitments.append({"commitment": row.id, "text": row.data["text"], "instrument": instrument,
                                "role": party.data.get("role"), "since": party.data.get("date")})
    made = [Response.model_validate(r.data).model_dump(mode="json")
            for r in reader.referrers(connection, state.id, kind="response", field="actor")]
    received = [Response.model_validate(r.data).model_dump(mode="json")
                for r in reader.referrers(connection, state.id, kind="response", field="targets")]
    return StateRecord(state.id, state.name, attributed, engaged, commitments, made, received,
                       {norm: dict(counts) for norm, counts in sorted(summary.items())})


def norm_summary(connection: Connection, *, since: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """Across all incidents: for each norm, per addressee state, how many findings of each status."""
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    rows = reader.listing(connection, kinds=["incident"], start_from=parse_partial_date(since) if since else None)
    assessed = outlines(connection, rows)
    for row in rows:
        for finding in assessed[row.id].engaged:
            if finding.addressee:
                table[finding.norm][finding.addressee][finding.status] += 1
    return {norm: {state: dict(c) for state, c in states.items()} for norm, states in sorted(table.items())}

