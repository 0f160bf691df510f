"""Which norms and commitments an incident engages, for which state, and why.

Each rule (one per norm, in :data:`RULES`) names whose conduct it judges — the attacking state, the
state whose territory was used, the victim, the attributing state — and the conditions it needs.
Conditions are three-valued (met, unmet, unknown). A *trigger* that is unmet or unknown means the
norm is not engaged (precision before recall: espionage is not damage to infrastructure); a
*qualifying* condition that is unknown leaves the finding undetermined and names the missing fact.
When everything holds the violation is *alleged* — never found: it rests on attribution claims, and
it becomes *contested* when the attribution is weak (industry or media only) or disputed.

Findings: ``violation_alleged``, ``contested``, ``not_engaged``, ``undetermined`` (facts missing),
``compliance``. Rules are plain data in a table; ``RULESET`` versions them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cyberdip.analysis.attribution import LEVELS, Strength
from cyberdip.model import AttributionClaim, Incident
from cyberdip.model.records import LaunchedFrom
from cyberdip.model.values import date_floor

RULESET = "2026-11-1"
VIOLATION, CONTESTED, NOT_ENGAGED, UNDETERMINED, COMPLIANCE = (
    "violation_alleged", "contested", "not_engaged", "undetermined", "compliance")
DAMAGE = {"disruption", "destruction", "physical_damage", "harm_to_persons"}
STATE_ROLE = {"organ", "directed", "supported"}


@dataclass(frozen=True)
class Condition:
    name: str
    value: bool | None
    trigger: bool = False  # unmet or unknown: the norm is simply not engaged


@dataclass(frozen=True)
class CommitmentInForce:
    id: str
    text: str
    instrument: str
    since: str | None


@dataclass(frozen=True)
class Context:
    """What the knowledge base adds to the incident: claims, attribution strength per state, the
    organisations each state belonged to on the incident's date, and commitments in force between
    pairs of states (restating each norm)."""

    claims: Sequence[AttributionClaim] = ()
    strengths: Sequence[Strength] = ()
    members: dict[str, set[str]] = field(default_factory=dict)
    commitments: dict[tuple[str, str], list[tuple[str, CommitmentInForce]]] = field(default_factory=dict)

    def strength(self, state: str) -> Strength | None:
        return next((s for s in self.strengths if s.state == state), None)


@dataclass(frozen=True)
class Finding:
    norm: str
    addressee: str
    status: str
    met: list[str]
    unmet: list[str]
    unknown: list[str]
    evidence: list[str]
    attribution: str | None
    commitments: list[CommitmentInForce]
    explanation: str
    ruleset: str = RULESET


Addressees = Callable[[Incident, Context], list[str]]
Conditions = Callable[[Incident, Context, str], list[Condition]]


@dataclass(frozen=True)
class Rule:
    norm: str
    addressees: Addressees
    conditions: Conditions
    #: how a finding whose conditions all hold is labelled (some norms only ever ask for caution)
    when_met: str = VIOLATION
    #: the finding depends on who did it, so weak attribution makes it contested
    needs_attribution: bool = True
    #: conditions that, when met, make the finding compliance instead (e.g. "acted after notice")
    compliance: Callable[[Incident, Context, str], bool] | None = None


# ---------------------------------------------------------------------------------------------
# Addressees


def attackers(incident: Incident, context: Context) -> list[str]:
    """States alleged to have conducted, directed or supported the operation."""
    states = {n.state for n in incident.nexus if n.nexus.value in STATE_ROLE}
    states |= {s.state for s in context.strengths if s.rank >= LEVELS.index("media")}
    return sorted(states)


def territorial(incident: Incident, context: Context) -> list[str]:
    """States whose territory or infrastructure was used (and which did not do it themselves)."""
    used = {x.state for x in incident.launched_from} | {n.state for n in incident.nexus
                                                        if n.nexus.value in ("tolerated", "territory")}
    return sorted(used - set(attackers(incident, context)))


def victims(incident: Incident, context: Context) -> list[str]:
    return sorted(v for v in incident.victims if v.startswith("state:"))


def attributing(incident: Incident, context: Context) -> list[str]:
    """Governments that publicly attributed the operation."""
    return sorted({c.claimant_state or c.claimant or "" for c in context.claims
                   if c.claimant_kind.value == "government"} - {""})


def withholders(incident: Incident, context: Context) -> list[str]:
    return sorted(incident.vulnerability_withheld_by)


# ---------------------------------------------------------------------------------------------
# Conditions (three-valued)


def _any(values: Sequence[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def damaging(incident: Incident) -> bool | None:
    if DAMAGE & {e.value for e in incident.effects}:
        return True
    if incident.public_services_impaired:
        return True
    return False if incident.effects else None


def state_role(incident: Incident, context: Context, state: str) -> Condition:
    alleged = any(n.state == state and n.nexus.value in STATE_ROLE for n in incident.nexus)
    strength = context.strength(state)
    return Condition("the state conducted, directed or supported the operation (alleged)",
                     True if alleged or (strength and strength.rank >= LEVELS.index("media")) else None, trigger=True)


def not_lawful_military_target(incident: Incident) -> Condition:
    if incident.context == "armed_conflict":
        value = None if incident.military_objective is None else not incident.military_objective
    else:
        value = True
    return Condition("the target was not a lawful military objective in an armed conflict", value)


def _launch(incident: Incident, state: str) -> LaunchedFrom | None:
    return next((x for x in incident.launched_from if x.state == state), None)


def _knowing_inaction(incident: Incident, state: str) -> list[Condition]:
    launch = _launch(incident, state)
    response = launch.response if launch else None
    inaction = None if response is None else response in ("refused", "no_response")
    return [Condition("the state knew: it was notified of the activity", launch.notified if launch else None),
            Condition("it did not act to stop it", inaction)]


def _acted_after_notice(incident: Incident, context: Context, state: str) -> bool:
    launch = _launch(incident, state)
    return bool(launch and launch.notified and launch.response == "acted")


def _wrongful(incident: Incident, context: Context) -> bool | None:
    """Was the operation internationally wrongful or harmful to another state?"""
    if attackers(incident, context):
        return True
    if incident.actor_type == "criminal" and (damaging(incident) or "financial_theft" in incident.effects
                                              or "extortion" in incident.effects):
        return True
    return None


def _dated(incident: Incident, since: str) -> Condition:
    return Condition(f"the operation came after the commitment ({since})",
                     date_floor(incident.start) >= date_floor(since), trigger=True)


# ---------------------------------------------------------------------------------------------
# The rules


def _13a(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("the operation disrupted or destroyed systems in another state",
                      damaging(incident) if incident.cross_border is not False else False, trigger=True)]


def _13b(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("the state publicly attributed the operation", True, trigger=True)]


def _13b_compliance(incident: Incident, context: Context, state: str) -> bool:
    own = [c for c in context.claims if (c.claimant_state or c.claimant) == state]
    return any(c.basis or c.type.value in ("indictment", "sanctions") for c in own)


def _13c(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("its territory or infrastructure was used", True, trigger=True),
            Condition("the activity was wrongful or harmful to another state", _wrongful(incident, context)),
            *_knowing_inaction(incident, state)]


def _13d(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("criminal or terrorist actors carried out the operation",
                      None if incident.actor_type is None else incident.actor_type == "criminal", trigger=True),
            Condition("they operated from the state's territory", True, trigger=True),
            *_knowing_inaction(incident, state)]


def _13e(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("the operation surveilled journalists, activists or civil society",
                      "surveillance" in incident.effects, trigger=True)]


def _13f(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("the operation damaged systems or impaired services (espionage alone does not)",
                      damaging(incident), trigger=True),
            Condition("the target was critical infrastructure serving the public", incident.critical_infrastructure),
            not_lawful_military_target(incident)]


def _13g(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("its own critical infrastructure was hit", incident.critical_infrastructure, trigger=True),
            Condition("it failed to take appropriate protective measures", None)]


def _13h(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("the activity from its territory targeted critical infrastructure",
                      incident.critical_infrastructure, trigger=True),
            *_knowing_inaction(incident, state)]


def _13i(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("the operation compromised a supply chain or service provider",
                      _any([incident.supply_chain, incident.managed_service_provider]), trigger=True)]


def _13j(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("the state kept to itself a vulnerability that the operation exploited", True, trigger=True)]


def _13k(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("the operation targeted an authorised emergency response team (CERT/CSIRT)",
                      incident.targets_cert, trigger=True)]


def _sovereignty(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("it had effects in another state's territory", incident.cross_border, trigger=True),
            Condition("it caused loss of functionality or damage (espionage alone does not)", damaging(incident),
                      trigger=True)]


def _non_intervention(incident: Incident, context: Context, state: str) -> list[Condition]:
    influence = {"influence_operation", "election_interference", "data_leak"} & {e.value for e in incident.effects}
    return [state_role(incident, context, state),
            Condition("it targeted elections or political processes", incident.targets_elections, trigger=True),
            Condition("it sought to change the outcome (leaks, influence, interference)", bool(influence) or None)]


def _use_of_force(incident: Incident, context: Context, state: str) -> list[Condition]:
    physical = {"physical_damage", "harm_to_persons"} & {e.value for e in incident.effects}
    return [state_role(incident, context, state),
            Condition("it caused physical damage or harm to persons", bool(physical), trigger=True)]


def _due_diligence(incident: Incident, context: Context, state: str) -> list[Condition]:
    return _13c(incident, context, state)


def _ihl(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state),
            Condition("it took place in an armed conflict", incident.context == "armed_conflict" or
                      (None if incident.context is None else False), trigger=True),
            Condition("it damaged or disrupted its target", damaging(incident), trigger=True),
            Condition("the target was a civilian object, not a military objective",
                      None if incident.military_objective is None else not incident.military_objective)]


def _pair_addressees(a: str, b: str) -> Addressees:
    return lambda incident, context: [s for s in attackers(incident, context) if s in (a, b)]


def _ip_theft_pledge(parties: tuple[str, str], since: str) -> Conditions:
    """A bilateral pledge against commercial IP theft: each party judged for theft from the other."""
    def conditions(incident: Incident, context: Context, state: str) -> list[Condition]:
        other = parties[1] if state == parties[0] else parties[0]
        return [state_role(incident, context, state), _dated(incident, since),
                Condition("the operation stole intellectual property or trade secrets for commercial gain",
                          "ip_theft" in incident.effects, trigger=True),
                Condition(f"the victims were in {other}", other in incident.victims, trigger=True)]
    return conditions


def _g20(incident: Incident, context: Context, state: str) -> list[Condition]:
    def g20(member: str) -> bool:
        return "org:g20" in context.members.get(member, set())

    return [Condition("the state was a G20 member", g20(state), trigger=True), state_role(incident, context, state),
            _dated(incident, "2015-11-16"),
            Condition("the operation stole intellectual property or trade secrets for commercial gain",
                      "ip_theft" in incident.effects, trigger=True),
            Condition("the victims were in another G20 member", any(g20(v) and v != state for v in incident.victims),
                      trigger=True)]


def _paris_call(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [Condition("the state supported the Paris Call at the time",
                      "initiative:paris-call" in context.members.get(state, set()), trigger=True),
            state_role(incident, context, state),
            Condition("it interfered with an electoral process", incident.targets_elections, trigger=True)]


def _geneva(incident: Incident, context: Context, state: str) -> list[Condition]:
    return [state_role(incident, context, state), _dated(incident, "2021-06-16"),
            Condition("it targeted US critical infrastructure", "state:USA" in incident.victims and
                      incident.critical_infrastructure, trigger=True),
            Condition("it disrupted or damaged it", damaging(incident), trigger=True)]


RULES: dict[str, Rule] = {rule.norm: rule for rule in (
    Rule("norm:gge2015-13a", attackers, _13a, when_met=CONTESTED),
    Rule("norm:gge2015-13b", attributing, _13b, when_met=UNDETERMINED, needs_attribution=False,
         compliance=_13b_compliance),
    Rule("norm:gge2015-13c", territorial, _13c, needs_attribution=False, compliance=_acted_after_notice),
    Rule("norm:gge2015-13d", territorial, _13d, needs_attribution=False, compliance=_acted_after_notice),
    Rule("norm:gge2015-13e", attackers, _13e),
    Rule("norm:gge2015-13f", attackers, _13f),
    Rule("norm:gge2015-13g", victims, _13g, needs_attribution=False),
    Rule("norm:gge2015-13h", territorial, _13h, needs_attribution=False, compliance=_acted_after_notice),
    Rule("norm:gge2015-13i", attackers, _13i),
    Rule("norm:gge2015-13j", withholders, _13j, when_met=CONTESTED, needs_attribution=False),
    Rule("norm:gge2015-13k", attackers, _13k),
    Rule("norm:il-sovereignty", attackers, _sovereignty),
    Rule("norm:il-non-intervention", attackers, _non_intervention),
    Rule("norm:il-use-of-force", attackers, _use_of_force, when_met=CONTESTED),
    Rule("norm:il-due-diligence", territorial, _due_diligence, when_met=CONTESTED, needs_attribution=False,
         compliance=_acted_after_notice),
    Rule("norm:ihl-distinction", attackers, _ihl),
    Rule("norm:il-human-rights", attackers, _13e),
    Rule("norm:us-china-2015-ip-theft", _pair_addressees("state:USA", "state:CHN"),
         _ip_theft_pledge(("state:USA", "state:CHN"), "2015-09-25")),
    Rule("norm:uk-china-2015-ip-theft", _pair_addressees("state:GBR", "state:CHN"),
         _ip_theft_pledge(("state:GBR", "state:CHN"), "2015-10-22")),
    Rule("norm:g20-2015-ip-theft", attackers, _g20),
    Rule("norm:paris-call-elections", attackers, _paris_call),
    Rule("norm:geneva-2021-critical-sectors", _pair_addressees("state:RUS", "state:RUS"), _geneva,
         when_met=CONTESTED),
)}


# ---------------------------------------------------------------------------------------------


def assess(incident: Incident, context: Context, norms: Sequence[str] | None = None,
           titles: dict[str, str] | None = None) -> list[Finding]:
    """Every finding for the incident: one per norm and addressee (``not_engaged`` ones included,
    so the reader sees why), in the order of :data:`RULES`."""
    titles = titles or {}
    findings = []
    for norm, rule in RULES.items():
        if norms is not None and norm not in norms:
            continue
        addressees = rule.addressees(incident, context)
        if not addressees:
            findings.append(Finding(norm, "", NOT_ENGAGED, [], [], [], [], None, [],
                                    f"{titles.get(norm, norm)}: no state in the role this norm judges "
                                    "(no attributed state, territorial state, victim or attributing state recorded)."))
            continue
        for state in addressees:
            findings.append(_finding(incident, context, rule, state, titles.get(norm, norm)))
    return findings


def _finding(incident: Incident, context: Context, rule: Rule, state: str, title: str) -> Finding:
    conditions = rule.conditions(incident, context, state)
    met = [c.name for c in conditions if c.value is True]
    unmet = [c.name for c in conditions if c.value is False]
    unknown = [c.name for c in conditions if c.value is None]
    triggers = [c for c in conditions if c.trigger]
    strength = context.strength(state)
    if any(c.value is not True for c in triggers):
        status = NOT_ENGAGED
    elif rule.compliance and rule.compliance(incident, context, state):
        status = COMPLIANCE
    elif unmet:
        status = NOT_ENGAGED
    elif unknown:
        status = UNDETERMINED
    else:
        status = rule.when_met
        weak = strength is None or strength.rank < LEVELS.index("one_government") or bool(strength.contested_by)
        if rule.needs_attribution and status == VIOLATION and weak:
            status = CONTESTED
    commitments = [c for norm, c in _commitments(context, state, incident) if norm == rule.norm]
    caveat = strength.caveat() if (strength and rule.needs_attribution) else None
    evidence = _evidence(incident)
    return Finding(rule.norm, state, status, met, unmet, unknown, evidence, caveat, commitments,
                   _explain(title, state, status, met, unmet, unknown, caveat, commitments))


def _commitments(context: Context, state: str, incident: Incident) -> list[tuple[str, CommitmentInForce]]:
    found = []
    for victim in incident.victims:
        for norm, commitment in context.commitments.get((state, victim), []):
            if not commitment.since or date_floor(commitment.since) <= date_floor(incident.start):
                found.append((norm, commitment))
    return found


def _evidence(incident: Incident) -> list[str]:
    facts = []
    for name in ("actor_type", "critical_infrastructure", "public_services_impaired", "targets_cert",
                 "targets_international_organization", "targets_elections", "supply_chain",
                 "managed_service_provider", "zero_days", "self_propagating", "cross_border", "context",
                 "military_objective", "assistance_requested", "assistance_given"):
        value = getattr(incident, name)
        if value is not None:
            facts.append(f"{name}: {value}")
    if incident.effects:
        facts.append("effects: " + ", ".join(e.value for e in incident.effects))
    if incident.nexus:
        facts.append("alleged state nexus: " + ", ".join(f"{n.state} ({n.nexus.value})" for n in incident.nexus))
    if incident.launched_from:
        facts.append("launched from: " + ", ".join(
            f"{x.state} (notified: {x.notified}, response: {x.response})" for x in incident.launched_from))
    return facts


_VERDICT = {
    VIOLATION: "engages this norm: a violation is alleged",
    CONTESTED: "engages this norm, but the finding is contested",
    NOT_ENGAGED: "does not engage this norm",
    UNDETERMINED: "may engage this norm; facts needed to decide are missing",
    COMPLIANCE: "shows conduct consistent with this norm",
}


def _explain(title: str, state: str, status: str, met: list[str], unmet: list[str], unknown: list[str],
             caveat: str | None, commitments: list[CommitmentInForce]) -> str:
    parts = [f"For {state}, the incident {_VERDICT[status]} ({title})."]
    if met:
        parts.append("Established: " + "; ".join(met) + ".")
    if unmet:
        parts.append("Not the case: " + "; ".join(unmet) + ".")
    if unknown:
        parts.append("Not known: " + "; ".join(unknown) + ".")
    if caveat:
        parts.append(f"Attribution: {caveat}.")
    if commitments:
        parts.append("Commitments in force between the parties: " + "; ".join(
            f"{c.text} ({c.instrument}, since {c.since})" for c in commitments) + ".")
    return " ".join(parts)
