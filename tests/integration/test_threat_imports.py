"""Incident datasets and threat-group catalogues through the import services, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cyberdip.services import loading, norms, threat_imports
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
