"""The assessment engine on synthetic incidents: a positive and a negative case for every rule,
and the traps an international lawyer would catch."""

from __future__ import annotations

from typing import Any

import pytest

from cyberdip.analysis.assessment import (
    COMPLIANCE,
    CONTESTED,
    NOT_ENGAGED,
    RULES,
    UNDETERMINED,
    VIOLATION,
    CommitmentInForce,
    Context,
    Finding,
    assess,
)
from cyberdip.analysis.attribution import strengths
from cyberdip.model import AttributionClaim, Incident

SOURCE = [{"url": "https://example.org/report", "title": "A report", "publisher": "Example"}]


def incident(**facts: Any) -> Incident:
    return Incident(id="incident:test", name="Test operation", start=facts.pop("start", "2019-06-01"),
                    summary="A synthetic operation built for a test case.", sources=SOURCE, **facts)


def claim(attributed_to: str, claimant: str = "state:GBR", kind: str = "government", type_: str = "political_statement",
          **extra: Any) -> AttributionClaim:
    return AttributionClaim(id=f"claim:test/{claimant.split(':')[-1]}-{attributed_to.split(':')[-1]}",
                            subject="incident:test", claimant=claimant, claimant_kind=kind,
                            claimant_state=claimant if claimant.startswith("state:") else None,
                            attributed_to=attributed_to, type=type_, basis=extra.pop("basis", "intelligence"),
                            date="2019-07-01", sources=SOURCE, **extra)


def context(*claims: AttributionClaim, **extra: Any) -> Context:
    return Context(claims=claims, strengths=strengths(claims, {}), **extra)


STRONG = context(claim("state:RUS"), claim("state:RUS", claimant="state:USA"))


def finding(norm: str, inc: Incident, ctx: Context = STRONG, state: str | None = None) -> Finding:
    results = [f for f in assess(inc, ctx, norms=[norm]) if state is None or f.addressee == state]
    assert results, f"no finding for {norm}"
    return results[0]


RUS = {"nexus": [{"state": "state:RUS", "nexus": "organ"}], "victims": ["state:UKR"], "cross_border": True}


def test_every_rule_has_cases_below() -> None:
    covered = {"norm:gge2015-13" + c for c in "abcdefghijk"} | {
        "norm:il-sovereignty", "norm:il-non-intervention", "norm:il-use-of-force", "norm:il-due-diligence",
        "norm:ihl-distinction", "norm:il-human-rights", "norm:us-china-2015-ip-theft", "norm:uk-china-2015-ip-theft",
        "norm:g20-2015-ip-theft", "norm:paris-call-elections", "norm:geneva-2021-critical-sectors"}
    assert set(RULES) == covered


# 13(a)
def test_13a_destructive_state_operation_contested_and_espionage_not_engaged() -> None:
    assert finding("norm:gge2015-13a", incident(**RUS, effects=["destruction"])).status == CONTESTED
    assert finding("norm:gge2015-13a", incident(**RUS, effects=["espionage"])).status == NOT_ENGAGED


# 13(b)
def test_13b_attributing_state_with_a_basis_complies_and_without_claims_not_engaged() -> None:
    assert finding("norm:gge2015-13b", incident(**RUS), state="state:GBR").status == COMPLIANCE
    assert finding("norm:gge2015-13b", incident(**RUS), context()).status == NOT_ENGAGED


# 13(c) and due diligence
def test_13c_knowing_inaction_by_the_territorial_state() -> None:
    refused = incident(actor_type="criminal", effects=["extortion"], victims=["state:USA"],
                       launched_from=[{"state": "state:RUS", "notified": True, "response": "refused"}])
    assert finding("norm:gge2015-13c", refused, context(), "state:RUS").status == VIOLATION
    acted_entry = refused.launched_from[0].model_copy(update={"response": "acted"})
    acted = refused.model_copy(update={"launched_from": [acted_entry]})
    assert finding("norm:gge2015-13c", acted, context(), "state:RUS").status == COMPLIANCE
    assert finding("norm:il-due-diligence", refused, context(), "state:RUS").status == CONTESTED


def test_trap_unaffiliated_criminals_engage_13c_only_with_knowledge_and_inaction() -> None:
    unknown = incident(actor_type="criminal", effects=["extortion"], victims=["state:USA"],
                       launched_from=[{"state": "state:RUS"}])
    result = finding("norm:gge2015-13c", unknown, context(), "state:RUS")
    assert result.status == UNDETERMINED
    assert "the state knew: it was notified of the activity" in result.unknown


# 13(d)
def test_13d_criminal_cooperation() -> None:
    refused = incident(actor_type="criminal", effects=["financial_theft"],
                       launched_from=[{"state": "state:PRK", "notified": True, "response": "no_response"}])
    assert finding("norm:gge2015-13d", refused, context()).status == VIOLATION
    state_op = refused.model_copy(update={"actor_type": "state"})
    assert finding("norm:gge2015-13d", state_op, context()).status == NOT_ENGAGED


# 13(e) and human rights
def test_13e_surveillance_of_civil_society() -> None:
    spying = incident(nexus=[{"state": "state:ARE", "nexus": "organ"}], effects=["surveillance"])
    ctx = context(claim("state:ARE", claimant="org:eu", kind="international_organization"),
                  claim("state:ARE", claimant="state:CAN"))
    assert finding("norm:gge2015-13e", spying, ctx).status == VIOLATION
    assert finding("norm:il-human-rights", spying, ctx).status == VIOLATION
    assert finding("norm:gge2015-13e", incident(**RUS, effects=["espionage"])).status == NOT_ENGAGED


# 13(f)
def test_13f_damage_to_critical_infrastructure() -> None:
    grid = incident(**RUS, effects=["disruption"], critical_infrastructure=True, context="peacetime")
    result = finding("norm:gge2015-13f", grid)
    assert result.status == VIOLATION and "several governments" in (result.attribution or "")


def test_trap_espionage_is_not_damage_to_critical_infrastructure() -> None:
    spying = incident(**RUS, effects=["espionage", "data_theft"], critical_infrastructure=True)
    assert finding("norm:gge2015-13f", spying).status == NOT_ENGAGED


def test_trap_lawful_military_target_in_armed_conflict_is_not_13f() -> None:
    military = incident(**RUS, effects=["disruption"], critical_infrastructure=True, context="armed_conflict",
                        military_objective=True)
    assert finding("norm:gge2015-13f", military).status == NOT_ENGAGED
    assert finding("norm:ihl-distinction", military).status == NOT_ENGAGED
    civilian = military.model_copy(update={"military_objective": False})
    assert finding("norm:ihl-distinction", civilian).status == VIOLATION


def test_13f_unknown_infrastructure_is_undetermined_and_names_the_fact() -> None:
    result = finding("norm:gge2015-13f", incident(**RUS, effects=["disruption"]))
    assert result.status == UNDETERMINED
    assert "the target was critical infrastructure serving the public" in result.unknown


def test_weak_attribution_makes_a_violation_contested() -> None:
    vendor_only = context(claim("state:RUS", claimant="company:example", kind="company", type_="technical_report"))
    grid = incident(effects=["disruption"], critical_infrastructure=True, victims=["state:UKR"], cross_border=True)
    result = finding("norm:gge2015-13f", grid, vendor_only)
    assert result.status == CONTESTED and "industry" in (result.attribution or "")


# 13(g)
def test_13g_victim_protection_is_never_presumed_to_have_failed() -> None:
    hit = incident(**RUS, effects=["disruption"], critical_infrastructure=True)
    assert finding("norm:gge2015-13g", hit, state="state:UKR").status == UNDETERMINED
    assert finding("norm:gge2015-13g", incident(**RUS, critical_infrastructure=False)).status == NOT_ENGAGED


# 13(h)
def test_13h_request_to_mitigate_activity_against_infrastructure() -> None:
    refused = incident(actor_type="criminal", critical_infrastructure=True, effects=["disruption"],
                       launched_from=[{"state": "state:RUS", "notified": True, "response": "refused"}])
    assert finding("norm:gge2015-13h", refused, context()).status == VIOLATION
    not_ci = refused.model_copy(update={"critical_infrastructure": False})
    assert finding("norm:gge2015-13h", not_ci, context()).status == NOT_ENGAGED


# 13(i)
def test_13i_supply_chain_compromise() -> None:
    assert finding("norm:gge2015-13i", incident(**RUS, supply_chain=True, effects=["espionage"])).status == VIOLATION
    assert finding("norm:gge2015-13i", incident(**RUS, supply_chain=False)).status == NOT_ENGAGED


# 13(j)
def test_13j_withheld_vulnerability_is_contested_and_zero_day_use_alone_is_not_13j() -> None:
    leaked = incident(**RUS, vulnerability_withheld_by=["state:USA"], zero_days=True)
    assert finding("norm:gge2015-13j", leaked).status == CONTESTED
    assert finding("norm:gge2015-13j", incident(**RUS, zero_days=True)).status == NOT_ENGAGED


# 13(k)
def test_13k_attack_on_a_cert() -> None:
    assert finding("norm:gge2015-13k", incident(**RUS, targets_cert=True)).status == VIOLATION
    assert finding("norm:gge2015-13k", incident(**RUS, targets_cert=False)).status == NOT_ENGAGED


# international law
def test_sovereignty_needs_effects_not_just_spying() -> None:
    assert finding("norm:il-sovereignty", incident(**RUS, effects=["destruction"])).status == VIOLATION
    assert finding("norm:il-sovereignty", incident(**RUS, effects=["espionage"])).status == NOT_ENGAGED


def test_non_intervention_election_interference() -> None:
    hack_and_leak = incident(**RUS, targets_elections=True, effects=["data_leak", "influence_operation"])
    assert finding("norm:il-non-intervention", hack_and_leak).status == VIOLATION
    assert finding("norm:il-non-intervention", incident(**RUS, targets_elections=False)).status == NOT_ENGAGED


def test_use_of_force_only_with_physical_effects_and_always_contested() -> None:
    assert finding("norm:il-use-of-force", incident(**RUS, effects=["physical_damage"])).status == CONTESTED
    assert finding("norm:il-use-of-force", incident(**RUS, effects=["disruption"])).status == NOT_ENGAGED


# commitments
def test_us_china_commitment_applies_only_after_september_2015() -> None:
    ctx = context(claim("state:CHN", claimant="state:USA", type_="indictment"), claim("state:CHN"))
    theft = dict(nexus=[{"state": "state:CHN", "nexus": "organ"}], victims=["state:USA"], effects=["ip_theft"])
    assert finding("norm:us-china-2015-ip-theft", incident(**theft, start="2016-03-01"), ctx).status == VIOLATION
    assert finding("norm:us-china-2015-ip-theft", incident(**theft, start="2014-03-01"), ctx).status == NOT_ENGAGED
    assert finding("norm:uk-china-2015-ip-theft", incident(**theft, start="2016-03-01"), ctx).status == NOT_ENGAGED


def test_g20_and_paris_call_depend_on_membership_at_the_time() -> None:
    theft = incident(nexus=[{"state": "state:CHN", "nexus": "organ"}], victims=["state:DEU"], effects=["ip_theft"],
                     start="2017-01-01")
    base = context(claim("state:CHN", claimant="state:USA"), claim("state:CHN"))
    members = Context(claims=base.claims, strengths=base.strengths,
                      members={"state:CHN": {"org:g20"}, "state:DEU": {"org:g20"}})
    assert finding("norm:g20-2015-ip-theft", theft, members).status == VIOLATION
    assert finding("norm:g20-2015-ip-theft", theft, base).status == NOT_ENGAGED
    election = incident(**RUS, targets_elections=True, effects=["data_leak"])
    supporter = Context(claims=STRONG.claims, strengths=STRONG.strengths,
                        members={"state:RUS": {"initiative:paris-call"}})
    assert finding("norm:paris-call-elections", election, supporter).status == VIOLATION
    assert finding("norm:paris-call-elections", election).status == NOT_ENGAGED


def test_geneva_sectors_after_june_2021() -> None:
    pipeline = dict(nexus=[{"state": "state:RUS", "nexus": "organ"}], victims=["state:USA"],
                    critical_infrastructure=True, effects=["disruption"])
    assert finding("norm:geneva-2021-critical-sectors", incident(**pipeline, start="2021-09-01")).status == CONTESTED
    assert finding("norm:geneva-2021-critical-sectors", incident(**pipeline, start="2021-05-01")).status == NOT_ENGAGED


def test_commitments_in_force_between_the_parties_are_listed() -> None:
    commitment = CommitmentInForce("commitment:us-china-2015-cyber/no-ip-theft", "No IP theft", "US-China 2015",
                                   "2015-09-25")
    ctx = context(claim("state:CHN", claimant="state:USA"), claim("state:CHN"),
                  commitments={("state:CHN", "state:USA"): [("norm:us-china-2015-ip-theft", commitment)]})
    theft = incident(nexus=[{"state": "state:CHN", "nexus": "organ"}], victims=["state:USA"], effects=["ip_theft"],
                     start="2016-03-01")
    result = finding("norm:us-china-2015-ip-theft", theft, ctx)
    assert result.commitments == [commitment] and "US-China 2015" in result.explanation


def test_explanations_name_the_addressee_and_missing_facts() -> None:
    result = finding("norm:gge2015-13f", incident(**RUS, effects=["disruption"]))
    assert result.explanation.startswith("For state:RUS") and "Not known:" in result.explanation


@pytest.mark.parametrize("level", ["several_governments", "one_government", "industry", "media", "self"])
def test_attribution_levels(level: str) -> None:
    cases = {
        "several_governments": [claim("state:RUS"), claim("state:RUS", claimant="state:USA")],
        "one_government": [claim("state:RUS")],
        "industry": [claim("state:RUS", claimant="company:x", kind="company", type_="technical_report")],
        "media": [claim("state:RUS", claimant="company:y", kind="media", type_="media_report")],
        "self": [claim("state:RUS", claimant="group:z", kind="self", type_="self_attribution")],
    }
    [strength] = strengths(cases[level], {})
    assert strength.level == level


def test_conflicting_claims_coexist_and_are_flagged() -> None:
    result = strengths([claim("state:RUS"), claim("state:PRK", claimant="state:USA")], {})
    assert {s.state for s in result} == {"state:RUS", "state:PRK"}
    assert all(s.contested_by for s in result)
