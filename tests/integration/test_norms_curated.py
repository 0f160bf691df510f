"""Assessments of the curated incidents: the findings an international lawyer would expect."""

from __future__ import annotations

import pytest

from cyberdip.model import AttributionClaim, Incident, Response
from cyberdip.services import norms
from cyberdip.services.workbench import Workbench
from cyberdip.sources.curated import load_curated


def findings(workbench: Workbench, ref: str) -> dict[tuple[str, str], str]:
    with workbench.reading() as connection:
        result = norms.assess_ref(connection, ref)
    return {(f.norm, f.addressee): f.status for f in result.findings}


def test_at_least_sixty_sourced_incidents_from_2007_to_2025_with_claims_and_responses() -> None:
    dataset = load_curated()
    incidents = [r for r in dataset if isinstance(r, Incident) and "2007" <= r.start[:4] <= "2025"]
    claimed = {r.subject for r in dataset if isinstance(r, AttributionClaim)}
    answered = {r.incident for r in dataset if isinstance(r, Response)}
    assert len(incidents) >= 60
    assert sum(1 for i in incidents if i.id in claimed) >= 55
    assert sum(1 for i in incidents if i.id in answered) >= 45


def test_wannacry(loaded: Workbench) -> None:
    result = findings(loaded, "incident:wannacry-2017")
    assert result[("norm:gge2015-13f", "state:PRK")] == "violation_alleged"
    assert result[("norm:gge2015-13j", "state:USA")] == "contested"  # EternalBlue was withheld, then leaked


def test_notpetya_supply_chain_and_infrastructure(loaded: Workbench) -> None:
    result = findings(loaded, "incident:notpetya-2017")
    assert result[("norm:gge2015-13i", "state:RUS")] == "violation_alleged"
    assert result[("norm:gge2015-13f", "state:RUS")] == "violation_alleged"


def test_chinese_commercial_theft_after_2015_engages_the_commitment(loaded: Workbench) -> None:
    result = findings(loaded, "incident:equifax-2017")
    assert result[("norm:us-china-2015-ip-theft", "state:CHN")] == "violation_alleged"
    earlier = findings(loaded, "incident:opm-breach-2014")
    assert earlier.get(("norm:us-china-2015-ip-theft", "state:CHN"), "not_engaged") == "not_engaged"


def test_espionage_is_not_damage_to_critical_infrastructure(loaded: Workbench) -> None:
    result = findings(loaded, "incident:opm-breach-2014")
    assert all(status == "not_engaged" for (norm, _), status in result.items() if norm == "norm:gge2015-13f")


def test_armed_conflict_without_knowing_the_target_is_undetermined(loaded: Workbench) -> None:
    result = findings(loaded, "incident:viasat-ka-sat-2022")
    assert result[("norm:gge2015-13f", "state:RUS")] == "undetermined"
    assert result[("norm:ihl-distinction", "state:RUS")] == "undetermined"


def test_election_hack_and_leak_is_alleged_intervention(loaded: Workbench) -> None:
    result = findings(loaded, "incident:dnc-us-election-2016")
    assert result[("norm:il-non-intervention", "state:RUS")] == "violation_alleged"
    assert result.get(("norm:il-sovereignty", "state:RUS"), "not_engaged") == "not_engaged"


def test_criminal_ransomware_from_a_states_territory_needs_knowledge_and_inaction(loaded: Workbench) -> None:
    result = findings(loaded, "incident:colonial-pipeline-2021")
    assert result[("norm:gge2015-13c", "state:RUS")] in ("undetermined", "violation_alleged")
    assert all(status == "not_engaged" for (norm, state), status in result.items()
               if norm == "norm:gge2015-13f" and state == "state:RUS")


def test_state_record(loaded: Workbench) -> None:
    with loaded.reading() as connection:
        record = norms.state_record(connection, "Russia")
    attributed = {row["incident"]: row for row in record.attributed_incidents}
    assert attributed["incident:notpetya-2017"]["strength"] == "several_governments"
    assert "norm:gge2015-13f" in record.norm_summary
    assert record.commitments and record.responses_received


BY_ID_AND_NAME = ["norm:gge2015-13f", "13(f) Do not damage critical infrastructure that serves the public"]


@pytest.mark.parametrize("norm", BY_ID_AND_NAME)
def test_incidents_engaging_a_norm(loaded: Workbench, norm: str) -> None:
    with loaded.reading() as connection:
        rows = norms.incidents(connection, norm=norm)
    assert {"incident:wannacry-2017", "incident:notpetya-2017"} <= {r.id for r in rows}


def test_claims_listing_keeps_conflicting_claims(loaded: Workbench) -> None:
    with loaded.reading() as connection:
        claims = norms.claims(connection, "incident:macron-leaks-2017")
    assert len({c["attributed_to"] for c in claims}) >= 2
