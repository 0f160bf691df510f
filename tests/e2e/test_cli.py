"""The command line as a user drives it, on the curated dataset, with --json output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app

runner = CliRunner()

#: what the essay names, as a user would type it → the record it must find
ESSAY = {
    "A/70/174": "instrument:un-gge-2015-report",
    "A/65/201": "instrument:un-gge-2010-report",
    "A/68/98": "instrument:un-gge-2013-report",
    "A/76/135": "instrument:un-gge-2021-report",
    "A/75/816": "instrument:un-oewg-2021-report",
    "International Strategy for Cyberspace": "instrument:usa-international-strategy-cyberspace-2011",
    "Office of the Coordinator for Cyber Issues": "agency:usa-state-cci",
    "Bureau of Cyberspace and Digital Policy": "agency:usa-cdp",
    "Department of Defense": "agency:usa-dod",
    "CTIIC": "agency:usa-ctiic",
    "Cyber Threat Intelligence Integration Center": "agency:usa-ctiic",
    "Cyberspace Administration of China": "agency:chn-cac",
    "CAC": "agency:chn-cac",
    "Central Cyberspace Affairs Commission": "agency:chn-central-cyberspace-affairs-commission",
    "Central Leading Group for Cybersecurity and Informatization": "agency:chn-central-leading-group-cyber",
    "instrument:us-china-2015-cyber": "instrument:us-china-2015-cyber",
    "event:biden-putin-geneva-2021": "event:biden-putin-geneva-2021",
    "event:obama-xi-state-visit-2015": "event:obama-xi-state-visit-2015",
    "instrument:eu-council-conclusions-cyber-diplomacy-2015": "instrument:eu-council-conclusions-cyber-diplomacy-2015",
    "instrument:eu-cybersecurity-strategy-2020": "instrument:eu-cybersecurity-strategy-2020",
    "instrument:eu-china-cyber-dialogue": "instrument:eu-china-cyber-dialogue",
    "instrument:eu-us-cyber-dialogue": "instrument:eu-us-cyber-dialogue",
    "instrument:eu-japan-cyber-dialogue": "instrument:eu-japan-cyber-dialogue",
    "instrument:eu-korea-cyber-dialogue": "instrument:eu-korea-cyber-dialogue",
    "instrument:eu-india-cyber-dialogue": "instrument:eu-india-cyber-dialogue",
    "BSI": "agency:deu-bsi",
    "agency:deu-aa-cyber-staff": "agency:deu-aa-cyber-staff",
    "NATO": "org:nato",
    "United Nations": "org:un",
    "Budapest Convention": "instrument:budapest-convention",
    "instrument:budapest-second-protocol": "instrument:budapest-second-protocol",
    "instrument:us-india-cyber-framework-2016": "instrument:us-india-cyber-framework-2016",
    "event:us-india-cyber-dialogue-2015": "event:us-india-cyber-dialogue-2015",
    "MeitY": "agency:ind-meity",
    "CERT-In": "agency:ind-cert-in",
    "NCIIPC": "agency:ind-nciipc",
    "Ministry of Science and ICT": "agency:kor-msit",
    "KISA": "agency:kor-kisa",
    "agency:kor-mofa": "agency:kor-mofa",
}


def cli(loaded_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"CYBERDIP_DB": loaded_url})
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("typed", "expected"), sorted(ESSAY.items()))
def test_show_finds_what_the_essay_names_with_date_and_source(loaded_url: str, typed: str, expected: str) -> None:
    code, out = cli(loaded_url, "show", typed, "--json")
    assert code == 0, out
    profile = json.loads(out)
    record = profile["record"]
    assert record["id"] == expected
    dates = [record.get(k) for k in ("founded", "adopted", "in_force", "start")]
    assert any(dates), f"{expected} has no date"
    assert profile["sources"] and profile["sources"][0]["url"].startswith("http")


def test_search_json_ranks_exact_alias_first(loaded_url: str) -> None:
    code, out = cli(loaded_url, "search", "USA", "--json")
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["id"] == "state:USA" and hits[0]["score"] >= 100


def test_unknown_name_suggests_and_exits_non_zero(loaded_url: str) -> None:
    code, out = cli(loaded_url, "show", "Germanny", "--json")
    assert code == 1
    error = json.loads(out)
    assert "Germanny" in error["error"] and "state:DEU" in error["suggestions"]


def test_state_profile_lists_agencies_memberships_and_instruments(loaded_url: str) -> None:
    code, out = cli(loaded_url, "show", "Germany", "--json")
    assert code == 0
    sections = json.loads(out)["sections"]
    agencies = {item["id"] for item in sections["Agencies and bodies"]}
    assert "agency:deu-bsi" in agencies
    memberships = {item["other"]["id"] for item in sections["Memberships"]}
    assert {"org:un", "org:eu", "org:nato", "org:coe"} <= memberships
    nato = next(i for i in sections["Memberships"] if i["other"]["id"] == "org:nato")
    assert nato["start"] == "1955-05-06" and nato["sources"]
    treaties = {item["other"]["id"] for item in sections["Instruments it is party to"]}
    assert "instrument:budapest-convention" in treaties


def test_show_at_a_date_keeps_only_what_was_valid(loaded_url: str) -> None:
    code, out = cli(loaded_url, "show", "Finland", "--at", "2020-01-01", "--json")
    assert code == 0
    memberships = {item["other"]["id"] for item in json.loads(out)["sections"]["Memberships"]}
    assert "org:eu" in memberships and "org:nato" not in memberships
    code, out = cli(loaded_url, "show", "Finland", "--at", "2024-01-01", "--json")
    assert "org:nato" in {item["other"]["id"] for item in json.loads(out)["sections"]["Memberships"]}


def test_timeline_for_an_actor_within_dates(loaded_url: str) -> None:
    code, out = cli(loaded_url, "timeline", "--actor", "China", "--from", "2015", "--to", "2015-12", "--json")
    assert code == 0
    entries = json.loads(out)
    ids = {e["id"] for e in entries}
    assert "event:obama-xi-state-visit-2015" in ids
    assert "instrument:us-china-2015-cyber" in ids
    assert all("2015" <= e["date"] < "2016" for e in entries)
    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)


def test_timeline_rejects_a_bad_date(loaded_url: str) -> None:
    code, out = cli(loaded_url, "timeline", "--from", "last year", "--json")
    assert code == 1 and "2015-09-25" in json.loads(out)["error"]


def test_history_of_a_record(loaded_url: str) -> None:
    code, out = cli(loaded_url, "show", "state:FRA", "--history", "--json")
    assert code == 0
    [created] = json.loads(out)
    assert created["field"] == "*" and created["old"] is None and created["new"]["id"] == "state:FRA"


def test_export_csv_and_json(loaded_url: str) -> None:
    code, out = cli(loaded_url, "export", "--format", "csv", "--kind", "instrument")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "id,kind,subkind,name,start,end,origin,source_urls"
    assert any(line.startswith("instrument:un-gge-2015-report,") for line in lines)
    code, out = cli(loaded_url, "export", "--format", "json", "--kind", "norm")
    norms = json.loads(out)["records"]
    assert len(norms) >= 11 and all(n["sources"] for n in norms)



def test_export_of_an_unknown_kind_is_an_error_naming_the_right_one(loaded_url: str) -> None:
    result = runner.invoke(app, ["export", "--kind", "state"], env={"CYBERDIP_DB": loaded_url, "COLUMNS": "200"})
    assert result.exit_code == 2 and result.stdout == ""
    said = " ".join(result.output.replace("│", " ").split())
    assert "'state' records are of kind 'actor'" in said and "choose from actor, claim" in said


def test_stats_json(loaded_url: str) -> None:
    code, out = cli(loaded_url, "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["by_subkind"]["actor"]["state"] == 200  # 193 members, 2 observers, 4 former members, Taiwan
    assert stats["sources"] > 100


def test_a_query_on_an_uninitialised_database_says_what_to_do(tmp_path: object) -> None:
    result = runner.invoke(app, ["search", "Germany", "--json"], env={"CYBERDIP_DB": f"sqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 1
    assert "cyberdip init" in json.loads(result.stdout)["error"]


def test_matters_list_parents_before_their_sub_matters_with_counts(loaded_url: str) -> None:
    result = runner.invoke(app, ["matters", "--json"], env={"CYBERDIP_DB": loaded_url})
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    order = [row["id"] for row in rows]
    for row in rows:
        if row["parent"]:
            assert order.index(row["parent"]) < order.index(row["id"])
    by_id = {row["id"]: row for row in rows}
    assert by_id["matter:cyber-norms"]["parent"] == "matter:un-cyber-process"
    assert by_id["matter:cybercrime"]["referred"]["instrument"] >= 3  # Budapest, its protocols, the UN convention
    assert "rollcall" not in by_id["matter:cybercrime"]["referred"]  # no votes imported here
