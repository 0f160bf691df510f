"""Incident datasets and threat-group catalogues through the import services, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cyberdip.services import incident_links, loading, norms, threat_imports
from cyberdip.services.workbench import Workbench
from cyberdip.store import reader


def test_incident_datasets_import_and_reimport_idempotently(workbench: Workbench, shared_data: Path) -> None:
    loading.init_database(workbench)
    folder = shared_data / "cyber-incidents"
    eurepoc = threat_imports.import_incidents(workbench, "eurepoc", folder / "eurepoc")
    cfr = threat_imports.import_incidents(workbench, "cfr", folder / "cfr-cyber-operations-tracker")
    dcid_file = folder / "dcid" / "DCID_2.0_incidents_public_June2020.csv"
    dcid = threat_imports.import_incidents(workbench, "dcid", dcid_file)
    assert eurepoc.counts["incident"] == 1643
    assert eurepoc.counts["attributionclaim"] + eurepoc.counts["unattributed_rows"] == 2643  # one claim per row
    assert cfr.counts["incident"] + cfr.counts["skipped"] == 768  # rows without any date are reported, not guessed
    assert dcid.counts["incident"] == 429
    assert any("shifted" in w or "line" in w for w in cfr.warnings)  # the export's broken rows are reported
    with workbench.reading() as connection:
        counts = reader.counts(connection)["incident"]
        assert sum(counts.values()) >= 1643 + 760 + 429
        wannacry = norms.incidents(connection, actor="North Korea", start="2017-05", end="2017-05")
        assert wannacry, "WannaCry-era incidents attributed to North Korea"
    again = threat_imports.import_incidents(workbench, "dcid", dcid_file)
    assert again.added == 0 and again.changed == 0
    _one_incident_one_row(workbench)


def _one_incident_one_row(workbench: Workbench) -> None:
    """The datasets' records of NotPetya are linked to ours by recorded decisions, and lists show
    the incident once, by our record, with the datasets that also hold it."""
    with workbench.reading() as connection:
        others = {x.id: x for x in incident_links.linked(connection, "incident:notpetya-2017")}
        assert others["incident:cfr/notpetya"].status == "same"
        eurepoc = others["incident:eurepoc/1032"]
        assert eurepoc.status == "same" and "notpetya" in eurepoc.basis
        assert others["incident:cfr/notpetya"].decided_by == "importer:cfr"
        assert not any(x.name in ("Petya_A", "Petya_B") for x in others.values())  # 2016: another incident
        links = reader.listing(connection, kinds=["incidentlink"])
        origins = {r.id: r.origin for r in reader.listing(connection, kinds=["incident"])}
        assert links and all(origins[link.data["a"]] != origins[link.data["b"]]
                             for link in links)  # a dataset's own split is never undone
        whole = norms.incident_page(connection, limit=None, one_per_incident=False)
        one = norms.incident_page(connection, limit=None)
        assert one.total < whole.total
        [notpetya] = [row for row in one.rows if "incident:cfr/notpetya" in row.also]
        assert notpetya.id == "incident:notpetya-2017"
        assert not any(row.id == "incident:cfr/notpetya" for row in one.rows)
        russia = norms.incident_page(connection, by="Russia", limit=None)
        assert sum(1 for row in russia.rows if row.id == "incident:notpetya-2017" or
                   "incident:notpetya-2017" in row.also) == 1


def test_threat_groups_link_across_sources_without_merging(workbench: Workbench, shared_data: Path) -> None:
    loading.init_database(workbench)
    attack = threat_imports.import_groups(
        workbench, "attack", shared_data / "mitre-attack" / "enterprise-attack-18.1.stix20.json.gz")
    cluster = shared_data / "misp-galaxy" / "clusters" / "threat-actor.json"
    misp = threat_imports.import_groups(workbench, "misp", cluster, as_of=dt.date(2026, 8, 6))
    assert misp.counts["groups"] == 1041 and attack.counts["groups"] >= 150
    assert misp.links > 100
    with workbench.reading() as connection:
        assert reader.get(connection, "group:misp/apt28") and reader.get(connection, "group:attack/g0007")
        links = reader.referrers(connection, "group:attack/g0007", kind="grouplink")
        assert any({link.data["a"], link.data["b"]} == {"group:attack/g0007", "group:misp/apt28"} for link in links)
        sponsor = norms.claims(connection, "group:misp/apt28")
        assert any(c["attributed_to"] == "state:RUS" and "Council on Foreign Relations" in (c["claimant_name"] or "")
                   for c in sponsor)
