"""Threat-group importers and alias linking on tiny synthetic files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from cyberdip.model import Actor, Citation
from cyberdip.model.errors import DataError
from cyberdip.sources import attack, misp
from cyberdip.sources.group_links import is_generic, link_groups, short_summary

STATES = {"RU": "state:RUS", "russian federation": "state:RUS", "CN": "state:CHN", "china": "state:CHN",
          "republic of korea": "state:KOR"}


def resolve(value: str) -> str | None:
    return STATES.get(value) or STATES.get(value.casefold())


def write_json(path: Path, content: Any, gz: bool = False) -> Path:
    text = json.dumps(content)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def cluster(*values: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Threat Actor", "type": "threat-actor", "version": 7, "values": list(values)}


SOFACY = {
    "value": "APT28", "uuid": "5b4ee3ea-eee3-4c8e-8323-85ae32658754",
    "description": "The Sofacy Group (also known as APT28) is a cyber espionage group. It is old.",
    "meta": {"synonyms": ["Fancy Bear", "APT28", "Sofacy"], "country": "RU", "attribution-confidence": "75",
             "cfr-suspected-state-sponsor": "Russian Federation", "cfr-type-of-incident": "Espionage",
             "cfr-suspected-victims": ["Germany", "France"],
             "refs": ["https://www.cfr.org/interactive/cyber-operations/apt-28"]},
}


def intrusion_set(attack_id: str, name: str, aliases: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "intrusion-set", "id": f"intrusion-set--{attack_id.lower()}", "name": name, "aliases": aliases,
        "modified": "2025-03-10T20:15:06.958Z", "x_mitre_version": "1.0",
        "description": f"[{name}](https://attack.mitre.org/groups/{attack_id}) is a group.(Citation: X) More.",
        "external_references": [{"source_name": "mitre-attack", "external_id": attack_id,
                                 "url": f"https://attack.mitre.org/groups/{attack_id}"}],
        **extra,
    }


def group(source: str, name: str, *aliases: str) -> Actor:
    return Actor(id=f"group:{source}/{name.lower().replace(' ', '-')}", kind="group", name=name, aliases=list(aliases),
                 sources=[Citation(url=f"https://example.org/{source}", title=f"{source} list", publisher=source)])


# --- MISP ---------------------------------------------------------------------------------------

def test_misp_actor_with_sponsor_and_country(tmp_path: Path) -> None:
    path = write_json(tmp_path / "threat-actor.json", cluster(SOFACY))
    result = misp.read_misp_threat_actors(path, resolve, as_of="2024-05-01")
    (actor,) = result.groups
    assert actor.id == "group:misp/apt28" and actor.aliases == ["Fancy Bear", "Sofacy"]
    assert actor.summary == "The Sofacy Group (also known as APT28) is a cyber espionage group."
    assert actor.sources[0].locator == "APT28 (uuid 5b4ee3ea-eee3-4c8e-8323-85ae32658754)"
    cfr, country = result.claims
    assert cfr.claimant_name == misp.CFR_CLAIMANT and cfr.attributed_to == "state:RUS" and cfr.date is None
    assert cfr.basis and "Espionage" in cfr.basis and "Germany, France" in cfr.basis
    assert [str(s.url) for s in cfr.sources][1] == "https://www.cfr.org/interactive/cyber-operations/apt-28"
    assert country.claimant_kind == "other" and country.confidence == "high"
    assert result.warnings == []


def test_misp_unknown_states_are_counted_and_unknown_sponsor_makes_no_claim(tmp_path: Path) -> None:
    values = [
        {"value": "A1", "meta": {"cfr-suspected-state-sponsor": "Atlantis"}},
        {"value": "A2", "meta": {"cfr-suspected-state-sponsor": "Atlantis", "country": "XX"}},
        {"value": "A3", "meta": {"cfr-suspected-state-sponsor": "Unknown"}},
        {"value": "A4", "meta": {"cfr-suspected-state-sponsor": "Korea (Republic of)"}},
    ]
    result = misp.read_misp_threat_actors(write_json(tmp_path / "c.json.gz", cluster(*values), gz=True), resolve,
                                          as_of="2024")
    assert [c.attributed_to for c in result.claims] == ["state:KOR"]  # the UN-style name is also tried inverted
    assert result.counts["cfr sponsor unknown (no claim)"] == 1
    reasons = [str(p) for p in result.warnings]
    assert any("2 actor(s)" in r and "'Atlantis'" in r for r in reasons)
    assert any("1 actor(s)" in r and "'XX'" in r for r in reasons)


def test_misp_duplicates_reported_and_skipped(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", cluster({"value": "Turla", "meta": {}}, {"value": "TURLA", "meta": {}}))
    result = misp.read_misp_threat_actors(path, resolve, as_of="2024")
    assert len(result.groups) == 1 and result.counts["duplicates skipped"] == 1
    assert "duplicate" in result.warnings[0].reason


def test_misp_claims_stay_undated_and_the_retrieval_day_dates_only_the_source(tmp_path: Path) -> None:
    """The cluster carries no dates: the import day must not become the date of a claim."""
    path = write_json(tmp_path / "c.json", cluster(SOFACY))
    result = misp.read_misp_threat_actors(path, resolve)
    assert all(claim.date is None for claim in result.claims)
    modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date().isoformat()
    assert result.groups[0].sources[0].retrieved == modified


def test_misp_bad_entries_fail_the_import(tmp_path: Path) -> None:
    path = write_json(tmp_path / "bad.json", cluster({"meta": {}}, {"value": "X1", "meta": {"synonyms": "oops"}}))
    with pytest.raises(DataError) as caught:
        misp.read_misp_threat_actors(path, resolve, as_of="2024")
    assert len(caught.value.problems) == 2 and all("bad.json" in p.where for p in caught.value.problems)


@pytest.mark.parametrize("content", ['{"values": [', "not json", ""])
def test_malformed_json_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "threat-actor.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        misp.read_misp_threat_actors(path, resolve, as_of="2024")
    assert "threat-actor.json" in str(caught.value) and "malformed JSON" in str(caught.value)
    with pytest.raises(DataError) as caught:
        attack.read_attack_groups(path)
    assert "threat-actor.json" in str(caught.value) and "malformed JSON" in str(caught.value)


def test_not_a_cluster_or_bundle(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", {"type": "something"})
    with pytest.raises(DataError, match="not a MISP galaxy cluster"):
        misp.read_misp_threat_actors(path, resolve, as_of="2024")
    with pytest.raises(DataError, match="not a STIX bundle"):
        attack.read_attack_groups(path)
    with pytest.raises(DataError, match="no such file"):
        attack.read_attack_groups(tmp_path / "missing.json")


@pytest.mark.parametrize(("raw", "expected"), [("10", "low"), ("50", "medium"), ("75", "high"), ("100", "high"),
                                               ("x", None), ("150", None)])
def test_confidence_mapping(raw: str, expected: str | None) -> None:
    assert misp.confidence_of(raw) == expected


# --- ATT&CK -------------------------------------------------------------------------------------

def bundle(*objects: dict[str, Any], spec: str = "2.0") -> dict[str, Any]:
    if spec == "2.0":
        return {"type": "bundle", "id": "bundle--1", "spec_version": "2.0", "objects": list(objects)}
    return {"type": "bundle", "id": "bundle--1", "objects": [{**o, "spec_version": "2.1"} for o in objects]}


def test_attack_sets_read_and_revoked_or_deprecated_skipped(tmp_path: Path) -> None:
    objects = [
        intrusion_set("G0007", "APT28", ["APT28", "Fancy Bear"]),
        intrusion_set("G0057", "APT34", [], revoked=True),
        intrusion_set("G0049", "OilRig", ["OilRig"]),
        intrusion_set("G0014", "Night Dragon", ["Night Dragon"], x_mitre_deprecated=True),
        {"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by",
         "source_ref": "intrusion-set--g0057", "target_ref": "intrusion-set--g0049"},
        {"type": "malware", "id": "malware--1", "name": "X-Agent"},
    ]
    for spec in ("2.0", "2.1"):
        result = attack.read_attack_groups(write_json(tmp_path / f"b{spec}.json.gz", bundle(*objects, spec=spec),
                                                      gz=True))
        assert result.format == f"stix-{spec}"
        assert [g.id for g in result.groups] == ["group:attack/g0007", "group:attack/g0049"]
        apt28 = result.groups[0]
        assert apt28.aliases == ["Fancy Bear", "G0007"] and apt28.summary == "APT28 is a group."
        assert apt28.sources[0].title == "APT28, ATT&CK group G0007" and apt28.sources[0].published == "2025-03-10"
        assert result.counts["revoked skipped"] == 1 and result.counts["deprecated skipped"] == 1
        assert any(p.record == "APT34 (G0057)" and "revoked by OilRig (G0049)" in p.reason for p in result.warnings)


def test_attack_sets_without_attack_id_are_reported(tmp_path: Path) -> None:
    other = {"type": "intrusion-set", "id": "intrusion-set--x", "name": "Someone's set"}
    result = attack.read_attack_groups(write_json(tmp_path / "b.json", bundle(other)))
    assert result.groups == [] and result.counts["without ATT&CK id skipped"] == 1


def test_unsupported_stix_version(tmp_path: Path) -> None:
    path = write_json(tmp_path / "b.json", {"type": "bundle", "spec_version": "1.2", "objects": []})
    with pytest.raises(DataError, match="not supported"):
        attack.read_attack_groups(path)


# --- linking ------------------------------------------------------------------------------------

def test_links_across_sources_on_shared_alias() -> None:
    misp_apt28 = group("misp", "APT28", "Fancy Bear")
    attack_apt28 = group("attack", "Sofacy", "FANCY-BEAR")
    same_source = group("misp", "Fancy Bear Two", "Fancy Bear")
    (link,) = [x for x in link_groups([misp_apt28, attack_apt28], decided_by="tester")]
    assert {link.a, link.b} == {misp_apt28.id, attack_apt28.id}
    assert link.basis in ("shared alias 'Fancy Bear'", "shared alias 'FANCY-BEAR'")  # same once normalised
    assert link.status == "same" and link.decided_by == "tester"
    assert len(link.sources) == 2
    links = link_groups([misp_apt28, attack_apt28, same_source], decided_by="tester")
    assert all({x.a, x.b} != {misp_apt28.id, same_source.id} for x in links)  # never within one source
    assert len(links) == 2 and all("ambiguous" in x.basis for x in links)  # the attack group matches two misp ones


def test_generic_aliases_do_not_link() -> None:
    a = group("misp", "Alpha", "Unknown", "X", "12", "APT")
    b = group("attack", "Beta", "unknown", "x", "12", "apt")
    assert link_groups([a, b], decided_by="tester") == []
    assert is_generic("Unknown") and is_generic("X") and is_generic("12") and not is_generic("APT1")


def test_short_summary() -> None:
    assert short_summary("Group of the U.S. government. Second sentence.") == "Group of the U.S. government."
    long = short_summary("word " * 100)
    assert long is not None and len(long) < 300 and long.endswith("…")
    assert short_summary(None) is None and short_summary("  ") is None
