"""Incident importers on tiny synthetic files: mappings, quirks as warnings, bad rows named."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cyberdip.model.errors import DataError
from cyberdip.model.records import ClaimantKind, ClaimType, Effect
from cyberdip.sources import cfr, dcid, eurepoc
from cyberdip.sources.incident_common import UniqueIds, misencoded, parse_list, year_hint

STATES = {"armenia": "state:ARM", "azerbaijan": "state:AZE", "united states": "state:USA", "russia": "state:RUS",
          "russian federation": "state:RUS", "ukraine": "state:UKR", "china": "state:CHN", "us": "state:USA",
          "korea, democratic people's republic of": "state:PRK", "india": "state:IND", "pakistan": "state:PAK"}


def states(name: str) -> str | None:
    return STATES.get(name.strip().casefold())


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- shared helpers ------------------------------------------------------------------------------


def test_parse_list_reads_literals_only() -> None:
    assert parse_list("[['Armenia', 'Not available'], ['Azerbaijan']]") == ["Armenia", "Azerbaijan"]
    assert parse_list("Armenia") == ["Armenia"] and parse_list("") == []
    with pytest.raises(ValueError):
        parse_list("[__import__('os').system('true')]")


def test_unique_ids_never_merge() -> None:
    ids = UniqueIds()
    assert [ids("incident:x/a"), ids("incident:x/a"), ids("incident:x/b")] == ["incident:x/a", "incident:x/a-2",
                                                                               "incident:x/b"]


def test_misencoding_and_year_hints() -> None:
    assert misencoded("Boston Children?? Hospital") and misencoded("known as?Pawn Storm")
    assert not misencoded("Who did it? Nobody knows.")
    assert year_hint("https://x.org/2021/Jul/01/2002753896", "in 2019") == "2019"


# -- EuRepoC ---------------------------------------------------------------------------------------

GLOBAL_HEADER = ["ID", "name", "description", "start_date", "end_date", "incident_type", "receiver_country",
                 "receiver_category", "initiator_country", "initiator_category", "initiator_category_subcode",
                 "offline_conflict_intensity_subcode", "zero_days", "MITRE_initial_access", "MITRE_impact",
                 "data_theft", "disruption", "physical_effects_spatial", "physical_effects_temporal",
                 "state_responsibility_indicator", "IL_breach_indicator"]
ATTR_HEADER = ["incident_ID", "attribution_ID", "attribution_date", "attribution_type", "attribution_basis",
               "attributing_actor", "attribution_it_company", "attributing_country", "attributed_initiator",
               "attributed_initiator_country", "attributed_initiator_category"]
RECV_HEADER = ["ID", "receiver_country", "receiver_region", "receiver_name", "receiver_category",
               "receiver_category_subcode"]


def eurepoc_folder(tmp_path: Path, start: str = "2017-06-27") -> Path:
    write_csv(tmp_path / eurepoc.GLOBAL, GLOBAL_HEADER, [
        {"ID": "7", "name": "Wiper against Ukraine", "description": "A destructive wiper hit Ukrainian firms.",
         "start_date": start, "end_date": "2017-06-01", "incident_type": "Disruption; Data theft & Doxing",
         "receiver_country": "['Ukraine']", "receiver_category": "[['Critical infrastructure']]",
         "initiator_country": "['Russia']", "initiator_category": "['State']", "initiator_category_subcode": "",
         "offline_conflict_intensity_subcode": "HIIK 5", "zero_days": "Yes",
         "MITRE_initial_access": "Supply Chain Compromise", "MITRE_impact": "Disk Wipe; Data Encrypted for Impact",
         "data_theft": "none", "disruption": "Long-term disruption", "physical_effects_spatial": "none",
         "physical_effects_temporal": "none", "state_responsibility_indicator": "Direct",
         "IL_breach_indicator": "Sovereignty"},
    ])
    write_csv(tmp_path / eurepoc.ATTRIBUTIONS, ATTR_HEADER, [
        {"incident_ID": "7", "attribution_ID": "70.0", "attribution_date": "2018-02-15",
         "attribution_type": "Political statement / report (e.g., on government / state agency websites)",
         "attribution_basis": "Attribution by receiver government / state entity",
         "attributing_actor": "The White House",
         "attributing_country": "United States", "attributed_initiator": "GRU",
         "attributed_initiator_country": "Russia", "attributed_initiator_category": "State"},
        {"incident_ID": "7", "attribution_ID": "71.0", "attribution_type": "Technical report (e.g., by IT-companies)",
         "attribution_basis": "IT-security community attributes attacker", "attribution_it_company": "ESET",
         "attributed_initiator": "Sandworm/VOODOO Bear/TeleBots (GRU, Unit 74455)",
         "attributed_initiator_country": "Russia", "attributed_initiator_category": "Non-state actor, "
         "state-affiliation suggested"},
        {"incident_ID": "7", "attribution_ID": "71.0", "attribution_type": "Technical report (e.g., by IT-companies)",
         "attribution_basis": "IT-security community attributes attacker",
         "attributed_initiator": "Sandworm/IRON VIKING", "attributed_initiator_country": "Russia",
         "attributed_initiator_category": "Non-state actor, state-affiliation suggested"},
        {"incident_ID": "7", "attribution_ID": "72.0", "attribution_type": "Not available",
         "attributed_initiator": "Not available", "attributed_initiator_country": "Unknown",
         "attributed_initiator_category": "Unknown - not attributed"},
    ])
    write_csv(tmp_path / eurepoc.RECEIVERS, RECV_HEADER, [
        {"ID": "7", "receiver_country": "Ukraine", "receiver_category": "Critical infrastructure",
         "receiver_category_subcode": "Energy"},
        {"ID": "7", "receiver_country": "Atlantis", "receiver_category": "State institutions / political system",
         "receiver_category_subcode": "Election infrastructure / related systems"},
    ])
    return tmp_path


def test_eurepoc_maps_facts_claims_and_groups(tmp_path: Path) -> None:
    result = eurepoc.read_eurepoc(eurepoc_folder(tmp_path), states)
    (incident,) = result.incidents
    assert incident.id == "incident:eurepoc/7" and incident.end is None  # end before start: dropped, warned
    assert set(incident.effects) == {Effect.DISRUPTION, Effect.DATA_THEFT, Effect.DATA_LEAK, Effect.DESTRUCTION}
    assert incident.victims == ["state:UKR"] and "Energy" in incident.sectors
    assert incident.critical_infrastructure and incident.targets_elections and incident.zero_days
    assert incident.supply_chain and incident.context == "armed_conflict" and incident.actor_type == "state"
    assert incident.nexus[0].state == "state:RUS"
    assert incident.notes and "state_responsibility_indicator: Direct" in incident.notes
    claims = {c.id: c for c in result.claims}
    assert set(claims) == {"claim:eurepoc/7/70", "claim:eurepoc/7/71", "claim:eurepoc/7/71-2"}
    white_house = claims["claim:eurepoc/7/70"]
    assert white_house.attributed_to == "state:RUS" and white_house.claimant_state == "state:USA"
    assert white_house.type is ClaimType.POLITICAL_STATEMENT and white_house.claimant_kind is ClaimantKind.GOVERNMENT
    eset = claims["claim:eurepoc/7/71"]
    assert eset.claimant_name == "ESET" and eset.claimant_kind is ClaimantKind.COMPANY
    assert eset.date == "2017-06-27" and eset.basis and "start date is used" in eset.basis
    (group,) = result.actors
    assert group.id == "group:eurepoc/sandworm" and group.aliases == ["VOODOO Bear", "TeleBots", "IRON VIKING"]
    reasons = " | ".join(str(w) for w in result.warnings)
    assert "EuRepoC_Global_Database_1.1.csv:2" in reasons and "before the start date" in reasons
    assert "1 attribution row(s) name no initiator" in reasons and "lines 5" in reasons
    assert "'Atlantis' (1×)" in reasons
    assert result.counts["attribution_rows"] == 4


def test_eurepoc_bad_rows_are_errors_with_file_and_line(tmp_path: Path) -> None:
    folder = eurepoc_folder(tmp_path, start="27 June 2017")
    with pytest.raises(DataError) as caught:
        eurepoc.read_eurepoc(folder, states)
    wheres = [p.where for p in caught.value.problems]
    assert "EuRepoC_Global_Database_1.1.csv:2" in wheres
    assert any("unreadable date" in p.reason for p in caught.value.problems)


def test_eurepoc_missing_column_is_named(tmp_path: Path) -> None:
    folder = eurepoc_folder(tmp_path)
    (folder / eurepoc.GLOBAL).write_text("ID,name\n1,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        eurepoc.read_eurepoc(folder, states)
    (folder / eurepoc.RECEIVERS).unlink()
    with pytest.raises(DataError, match="no such file"):
        eurepoc.read_eurepoc(folder, states)


# -- CFR -------------------------------------------------------------------------------------------


def test_cfr_rows_shifted_rows_and_encoding(tmp_path: Path) -> None:
    lines = [
        ",".join(cfr.COLUMNS),
        'NotPetya,6/27/2017,Sandworm,"A wiper disguised as ransomware hit Ukraine.",Sanctions,'
        '"Ukraine, Atlantis",Russian Federation,Data destruction,Private sector,https://a.example/1,,',
        'NotPetya,6/28/2017,Sandworm,"Second entry with the same title, kept apart.",,,'
        '"China, Russian Federation",Espionage,Government,,,',
        'Targeting of India?? ministry,3/29/2022,APT 36,"Pakistani actors targeted Indian officials.",'
        'Pakistan,Espionage,"Government, Military",https://b.example/2,,,,',
        'Undated thing,,Someone,"An operation that was reported in 2019 by a vendor.",,India,China,Espionage,,,,',
        'No year at all,,Someone,"An operation that nobody dated anywhere at all.",,India,China,Espionage,,,,',
    ]
    file = tmp_path / "cfr.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cfr.read_cfr(file, states)
    by_id = {i.id: i for i in result.incidents}
    assert set(by_id) == {"incident:cfr/notpetya", "incident:cfr/notpetya-2",
                          "incident:cfr/targeting-of-india-ministry", "incident:cfr/undated-thing"}
    first = by_id["incident:cfr/notpetya"]
    assert first.effects == [Effect.DESTRUCTION] and first.victims == ["state:UKR"] and first.start == "2017-06-27"
    assert first.sources[0].locator == "NotPetya" and first.notes and "Sanctions" in first.notes
    claims = {c.id: c for c in result.claims}
    assert claims["claim:cfr/notpetya/RUS"].attributed_to == "state:RUS"
    assert claims["claim:cfr/notpetya/RUS"].type is ClaimType.MEDIA_REPORT
    assert {"claim:cfr/notpetya-2/CHN", "claim:cfr/notpetya-2/RUS"} <= set(claims)
    assert claims["claim:cfr/targeting-of-india-ministry/PAK"].attributed_to == "state:PAK"
    assert by_id["incident:cfr/targeting-of-india-ministry"].sectors == ["Government", "Military"]
    assert by_id["incident:cfr/undated-thing"].start == "2019"
    warnings = {(w.where, w.reason.split(" (")[0].split(":")[0]) for w in result.warnings}
    assert ("cfr.csv:4", "column-shifted row") in warnings
    assert any(w.where == "cfr.csv:4" and "characters lost" in w.reason for w in result.warnings)
    assert any(w.where == "cfr.csv:6" and "left out" in w.reason for w in result.warnings)
    assert any("Atlantis" in w.reason for w in result.warnings)
    assert result.counts["skipped"] == 1


def test_cfr_unreadable_date_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "cfr.csv"
    file.write_text(",".join(cfr.COLUMNS) + '\nSomething,June 2017,,"A description long enough.",,,,,,,,\n',
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        cfr.read_cfr(file, states)
    assert caught.value.problems[0].where == "cfr.csv:2"


# -- DCID ------------------------------------------------------------------------------------------

DCID_HEADER = ["Cyberincidentnum", "Dyadpair", "StateA", "StateB", "Name", "interactionstartdate",
               "interactionenddate", "method", "targettype", "initiator", "cyber_objective", "information_operation",
               "objective_achievement", "Concession", "3rdpartyinitiator", "severity", "damage type", "Crit Inf",
               "Supply Ch", "Ransomware", "Political Objective"]


def dcid_row(**values: str) -> dict[str, str]:
    base = {"Cyberincidentnum": "1", "Dyadpair": "365369", "StateA": "Russia", "StateB": "Ukraine",
            "Name": "NotPetya_A", "interactionstartdate": "2017-06-27", "interactionenddate": "2017-07-01",
            "method": "4.3", "targettype": "1", "initiator": "365", "cyber_objective": "4",
            "information_operation": "0", "severity": "5", "Crit Inf": "9", "Supply Ch": "1", "Ransomware": "1",
            "Political Objective": "Destroy Ukrainian business networks"}
    return {**base, **values}


def test_dcid_maps_codes(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "dcid.csv", DCID_HEADER, [
        dcid_row(),
        dcid_row(Cyberincidentnum="2", Dyadpair="2710", StateA="US", StateB="China", Name="OPM",
                 method="3.0", targettype="2", initiator="710", cyber_objective="3", **{"Crit Inf": "17",
                 "Ransomware": "0"}),
        dcid_row(Cyberincidentnum="3", Dyadpair="710750", StateA="China", StateB="India", initiator="770"),
    ])
    result = dcid.read_dcid(file, states)
    by_id = {i.id: i for i in result.incidents}
    notpetya = by_id["incident:dcid/1"]
    assert set(notpetya.effects) == {Effect.DESTRUCTION, Effect.EXTORTION, Effect.DISRUPTION}
    assert notpetya.self_propagating and notpetya.critical_infrastructure
    assert notpetya.sectors == ["private sector", "financial services"] and notpetya.victims == ["state:UKR"]
    assert notpetya.notes and "severity=5" in notpetya.notes and notpetya.supply_chain is None
    opm = by_id["incident:dcid/2"]
    assert opm.effects == [Effect.ESPIONAGE] and opm.victims == ["state:USA"] and opm.critical_infrastructure is None
    claims = {c.id: c for c in result.claims}
    assert claims["claim:dcid/2"].attributed_to == "state:CHN"
    assert claims["claim:dcid/2"].claimant_kind is ClaimantKind.RESEARCHER
    assert claims["claim:dcid/2"].type is ClaimType.TECHNICAL_REPORT
    assert by_id["incident:dcid/3"].victims == [] and claims["claim:dcid/3"].attributed_to == "state:PAK"
    assert any(w.where == "dcid.csv:4" and "neither side" in w.reason for w in result.warnings)


def test_dcid_bad_rows_are_named(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "dcid.csv", DCID_HEADER, [
        dcid_row(),
        dcid_row(Cyberincidentnum="2", initiator="999"),
        dcid_row(Cyberincidentnum="3", interactionstartdate="sometime"),
        dcid_row(Cyberincidentnum="1"),
    ])
    with pytest.raises(DataError) as caught:
        dcid.read_dcid(file, states)
    assert [p.where for p in caught.value.problems] == ["dcid.csv:3", "dcid.csv:4", "dcid.csv:5"]
