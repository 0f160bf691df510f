"""The incident importers on the real EuRepoC, CFR and DCID files (``shared_data``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pycountry
import pytest

from cyberdip.model import AttributionClaim, Incident, record_type_for
from cyberdip.model.records import ClaimantKind, ClaimType, Effect
from cyberdip.sources.cfr import read_cfr
from cyberdip.sources.dcid import read_dcid
from cyberdip.sources.eurepoc import read_eurepoc
from cyberdip.sources.incident_common import ImportedIncidents

ALIASES = {
    "korea, north": "PRK", "north korea": "PRK", "korea, south": "KOR", "south korea": "KOR", "russia": "RUS",
    "iran": "IRN", "syria": "SYR", "vietnam": "VNM", "united states": "USA", "turkey": "TUR", "taiwan": "TWN",
    "the philippines": "PHL", "palestine": "PSE", "czech republic": "CZE", "brunei": "BRN", "kosovo": None,
}


@functools.cache
def states(name: str) -> str | None:
    """A stand-in for the knowledge base's resolver: pycountry plus a few aliases."""
    key = name.strip().casefold()
    if key in ALIASES:
        code = ALIASES[key]
        return f"state:{code}" if code else None
    bracketed = re.fullmatch(r"(.+?) \((.+)\)", name.strip())
    for candidate in [name.strip(), *([f"{bracketed[1]}, {bracketed[2]}"] if bracketed else [])]:
        try:
            return "state:" + str(pycountry.countries.lookup(candidate).alpha_3)
        except LookupError:
            continue
    return None


@pytest.fixture(scope="module")
def eurepoc(shared_data: Path) -> ImportedIncidents:
    return read_eurepoc(shared_data / "cyber-incidents" / "eurepoc", states)


@pytest.fixture(scope="module")
def cfr(shared_data: Path) -> ImportedIncidents:
    return read_cfr(shared_data / "cyber-incidents" / "cfr-cyber-operations-tracker" /
                    "cyber-operations-incidents.csv", states)


@pytest.fixture(scope="module")
def dcid(shared_data: Path) -> ImportedIncidents:
    return read_dcid(shared_data / "cyber-incidents" / "dcid", states)


def _revalidates(result: ImportedIncidents) -> None:
    ids = [record.id for record in result.records]
    assert len(ids) == len(set(ids))
    for record in result.records:
        type(record).model_validate(record.model_dump())
        assert record_type_for(record.id) is type(record)
    incidents = {i.id for i in result.incidents}
    actors = {a.id for a in result.actors}
    for claim in result.claims:
        assert claim.subject in incidents
        assert claim.attributed_to.startswith("state:") or claim.attributed_to in actors


def test_eurepoc_counts_and_validity(eurepoc: ImportedIncidents) -> None:
    assert len(eurepoc.incidents) == 1643
    # every one of the 2,643 attribution rows becomes a claim, unless it attributes to nobody
    assert eurepoc.counts["attribution_rows"] == 2643
    assert len(eurepoc.claims) + eurepoc.counts["unattributed_rows"] == 2643
    assert len(eurepoc.claims) > 2200
    assert any("name no initiator" in w.reason for w in eurepoc.warnings)
    _revalidates(eurepoc)


def test_eurepoc_spot_checks(eurepoc: ImportedIncidents) -> None:
    by_id = {i.id: i for i in eurepoc.incidents}
    notpetya = by_id["incident:eurepoc/1032"]
    assert "NotPetya" in notpetya.name
    assert {Effect.DISRUPTION, Effect.DESTRUCTION} <= set(notpetya.effects)
    assert "state:UKR" in notpetya.victims
    assert notpetya.notes and "state_responsibility_indicator: Direct" in notpetya.notes
    assert notpetya.sources[0].locator == "incident 1032"
    first = by_id["incident:eurepoc/2"]
    assert first.victims == ["state:ARM"] and first.effects == [Effect.DISRUPTION]
    assert first.actor_type == "hacktivist" and first.context is None
    claim = next(c for c in eurepoc.claims if c.id == "claim:eurepoc/3/3")
    assert claim.type is ClaimType.SELF_ATTRIBUTION and claim.claimant_kind is ClaimantKind.SELF
    assert claim.attributed_to == "group:eurepoc/liazor"
    assert any(i.critical_infrastructure for i in eurepoc.incidents)
    assert any(i.targets_elections for i in eurepoc.incidents)
    assert any(i.context == "armed_conflict" for i in eurepoc.incidents)
    fancy = next(a for a in eurepoc.actors if a.name == "Fancy Bear")
    assert "APT28" in fancy.aliases
    us_claims = [c for c in eurepoc.claims if c.claimant_state == "state:USA"]
    assert us_claims and {c.claimant_kind for c in us_claims} >= {ClaimantKind.GOVERNMENT}


def test_eurepoc_gaps_are_warned_not_fatal(eurepoc: ImportedIncidents) -> None:
    reasons = [str(w) for w in eurepoc.warnings]
    assert any("EuRepoC_Global_Database_1.1.csv:1470" in r and "no start date" in r for r in reasons)
    assert any("end date" in r and "before the start date" in r for r in reasons)


def test_cfr_counts_claims_and_shifted_rows(cfr: ImportedIncidents) -> None:
    # 768 rows: 6 have no date and no year anywhere, and are left out with a warning
    assert len(cfr.incidents) + cfr.counts["skipped"] == 768
    assert len(cfr.incidents) >= 760
    shifted = {w.where for w in cfr.warnings if "column-shifted" in w.reason}
    assert {"cyber-operations-incidents.csv:127", "cyber-operations-incidents.csv:143",
            "cyber-operations-incidents.csv:226", "cyber-operations-incidents.csv:499"} <= shifted
    assert any("characters lost" in w.reason and w.where.endswith(":36") for w in cfr.warnings)
    by_id = {i.id: i for i in cfr.incidents}
    pakistan = by_id["incident:cfr/targeting-of-indian-government-and-military-officials"]
    assert pakistan.effects == [Effect.ESPIONAGE] and pakistan.victims == []
    claims = {c.subject: c for c in cfr.claims}
    assert claims[pakistan.id].attributed_to == "state:PAK"
    assert "incident:cfr/chrysene" not in claims  # the shifted Sponsor cell is not trusted
    wannacry = by_id["incident:cfr/wannacry"]
    assert Effect.DESTRUCTION in wannacry.effects
    assert claims[wannacry.id].attributed_to == "state:PRK"
    assert claims[wannacry.id].claimant_name == "Council on Foreign Relations"
    assert claims[wannacry.id].claimant_kind is ClaimantKind.RESEARCHER
    _revalidates(cfr)


def test_dcid_counts_and_mappings(dcid: ImportedIncidents) -> None:
    assert len(dcid.incidents) == 429 and len(dcid.claims) == 429
    by_id = {i.id: i for i in dcid.incidents}
    regin = by_id["incident:dcid/1"]
    assert regin.victims == ["state:RUS"] and regin.effects == [Effect.ESPIONAGE]
    claim = next(c for c in dcid.claims if c.subject == regin.id)
    assert isinstance(claim, AttributionClaim) and claim.attributed_to == "state:USA"
    notpetya = next(i for i in dcid.incidents if i.name == "NotPetya_A")
    assert isinstance(notpetya, Incident)
    assert {Effect.DESTRUCTION, Effect.DISRUPTION} <= set(notpetya.effects)
    assert notpetya.self_propagating and notpetya.critical_infrastructure
    assert any("neither side of the dyad" in w.reason for w in dcid.warnings)
    _revalidates(dcid)
