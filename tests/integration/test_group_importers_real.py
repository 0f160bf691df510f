"""Threat-group importers on the real MISP galaxy cluster and MITRE ATT&CK bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberdip.model import Actor
from cyberdip.sources import attack, curated, misp
from cyberdip.sources.group_links import ImportedGroups, link_groups

AS_OF = "2026-08-06"  # the galaxy commit the shared copy was taken from (MANIFEST.md)


@pytest.fixture(scope="module")
def states() -> misp.StateResolver:
    """Names, aliases and ISO alpha-2 codes of the curated states, as the store would resolve them."""
    index: dict[str, str] = {}
    for record in curated.load_curated():
        if isinstance(record, Actor) and record.kind == "state":
            for name in record.names():
                index.setdefault(name.casefold(), record.id)

    def resolve(value: str) -> str | None:
        return index.get(value.strip().casefold())

    return resolve


@pytest.fixture(scope="module")
def galaxy(shared_data: Path, states: misp.StateResolver) -> ImportedGroups:
    return misp.read_misp_threat_actors(shared_data / "misp-galaxy" / "clusters" / "threat-actor.json", states,
                                        as_of=AS_OF)


@pytest.fixture(scope="module")
def enterprise(shared_data: Path) -> ImportedGroups:
    return attack.read_attack_groups(shared_data / "mitre-attack" / "enterprise-attack-18.1.stix20.json.gz")


def test_every_misp_actor_becomes_a_group(galaxy: ImportedGroups) -> None:
    assert galaxy.counts["actors read"] == 1041
    assert len(galaxy.groups) + galaxy.counts.get("duplicates skipped", 0) == 1041
    assert len({group.id for group in galaxy.groups}) == len(galaxy.groups)
    assert galaxy.format == "misp-galaxy cluster v349"
    apt28 = next(group for group in galaxy.groups if group.id == "group:misp/apt28")
    assert apt28.kind == "group"
    assert {"sofacy", "fancy bear", "pawn storm"} <= {alias.casefold() for alias in apt28.aliases}
    assert len({alias.casefold() for alias in apt28.aliases}) == len(apt28.aliases)  # FANCY BEAR = Fancy Bear
    assert apt28.summary and len(apt28.summary) < 300 and "Sofacy" in apt28.summary
    assert all(group.summary is None or len(group.summary) < 300 for group in galaxy.groups)
    cited = apt28.sources[0]
    assert str(cited.url).rstrip("/") == "https://github.com/MISP/misp-galaxy"
    assert cited.title == "MISP galaxy: threat-actor cluster" and cited.publisher == "MISP Project"
    assert cited.locator and cited.locator.startswith("APT28") and "5b4ee3ea" in cited.locator


def test_cfr_suspected_sponsors_become_claims(galaxy: ImportedGroups) -> None:
    cfr = [claim for claim in galaxy.claims if claim.claimant_name == misp.CFR_CLAIMANT]
    unknown = galaxy.counts.get("cfr sponsor unknown (no claim)", 0)
    unmapped = sum(int(p.reason.split()[0]) for p in galaxy.warnings if p.field == "cfr-suspected-state-sponsor")
    assert len(cfr) + unknown + unmapped == 99  # every actor with the key, accounted for
    assert unknown == 8  # CFR's own "Unknown": no claim is made
    assert len(cfr) >= 85
    by_subject = {claim.subject: claim for claim in cfr}
    sofacy = by_subject["group:misp/apt28"]
    assert sofacy.attributed_to == "state:RUS"
    assert sofacy.claimant_kind == "researcher" and sofacy.type == "technical_report"
    assert sofacy.basis and "Espionage" in sofacy.basis and "victims" in sofacy.basis
    assert sofacy.date is None  # the cluster gives no date; the import day is not one
    assert any("cfr.org" in str(source.url) for source in sofacy.sources)  # CFR's own page, from MISP's refs
    assert by_subject["group:misp/apt29"].attributed_to == "state:RUS"
    assert by_subject["group:misp/apt1"].attributed_to == "state:CHN"
    assert by_subject["group:misp/lazarus-group"].attributed_to == "state:PRK"  # "Korea (Democratic People's ...)"
    assert by_subject["group:misp/apt33"].attributed_to == "state:IRN"


def test_country_meta_becomes_claims_with_confidence(galaxy: ImportedGroups) -> None:
    country = [claim for claim in galaxy.claims if claim.claimant_name == misp.MISP_CLAIMANT]
    assert 470 <= len(country) <= 477  # 477 actors have the key; one of them is empty
    assert all(claim.claimant_kind == "other" for claim in country)
    apt28 = next(claim for claim in country if claim.subject == "group:misp/apt28")
    assert apt28.attributed_to == "state:RUS" and apt28.confidence == "medium"  # attribution-confidence 50
    assert sum(1 for claim in country if claim.confidence) >= 150
    assert any(p.field == "country" and p.record == "Prophet Spider" for p in galaxy.warnings)


@pytest.mark.parametrize("name", ["enterprise-attack-18.1.stix20.json.gz",
                                  "enterprise-attack-18.1.stix21-derived.json.gz"])
def test_attack_enterprise_intrusion_sets(shared_data: Path, name: str) -> None:
    result = attack.read_attack_groups(shared_data / "mitre-attack" / name)
    assert result.format == ("stix-2.0" if "stix20" in name else "stix-2.1")
    assert result.counts["intrusion sets read"] == 187
    assert result.counts["revoked skipped"] == 6 and result.counts["deprecated skipped"] == 9
    assert len(result.groups) == 172
    apt28 = next(group for group in result.groups if group.id == "group:attack/g0007")
    assert apt28.name == "APT28" and "Fancy Bear" in apt28.aliases and "APT28" not in apt28.aliases
    assert str(apt28.website) == "https://attack.mitre.org/groups/G0007"
    cited = apt28.sources[0]
    assert cited.title == "APT28, ATT&CK group G0007" and cited.publisher == "MITRE ATT&CK"
    assert cited.published and cited.published.startswith("20")
    assert apt28.summary and "(Citation" not in apt28.summary and "](" not in apt28.summary
    revoked = [p for p in result.warnings if "revoked" in p.reason]
    assert any(p.record == "APT34 (G0057)" and "OilRig (G0049)" in p.reason for p in revoked)


def test_stix_20_and_21_give_the_same_groups(shared_data: Path, enterprise: ImportedGroups) -> None:
    derived = attack.read_attack_groups(shared_data / "mitre-attack" / "enterprise-attack-18.1.stix21-derived.json.gz")
    assert [group.model_dump() for group in derived.groups] == [group.model_dump() for group in enterprise.groups]


def test_small_domains(shared_data: Path) -> None:
    ics = attack.read_attack_groups(shared_data / "mitre-attack" / "ics-attack-18.1.stix20.json.gz")
    mobile = attack.read_attack_groups(shared_data / "mitre-attack" / "mobile-attack-18.1.stix20.json.gz")
    assert ics.counts["intrusion sets read"] == 16 and len(ics.groups) == 14
    assert mobile.counts["intrusion sets read"] == 17 and len(mobile.groups) == 17


def test_misp_apt28_links_to_attack_g0007(galaxy: ImportedGroups, enterprise: ImportedGroups) -> None:
    links = link_groups([*galaxy.groups, *enterprise.groups], decided_by="test")
    link = next(link for link in links if {link.a, link.b} == {"group:misp/apt28", "group:attack/g0007"})
    assert link.status == "same" and link.basis.startswith("shared alias") and "'APT28'" in link.basis
    assert link.decided_by == "test"
    assert {str(source.url).rstrip("/") for source in link.sources} == {
        "https://github.com/MISP/misp-galaxy", "https://attack.mitre.org/groups/G0007"}
    assert all(link.a.split("/")[0] != link.b.split("/")[0] for link in links)  # only across sources
    linked = {link.a for link in links} | {link.b for link in links}
    assert sum(1 for group in enterprise.groups if group.id in linked) >= 150
    assert any("ambiguous" in link.basis for link in links)
