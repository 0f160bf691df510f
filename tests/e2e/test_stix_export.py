"""The knowledge base as STIX 2.1: valid under the OASIS validator, stable across re-exports."""

from __future__ import annotations

import json

from stix2validator import ValidationOptions, validate_string
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app
from cyberdip.model import AttributionClaim
from cyberdip.services.stix_export import stix_id
from cyberdip.sources.curated import load_curated

runner = CliRunner()


def export(url: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["export", "--format", "stix"], env={"CYBERDIP_DB": url})
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_bundle_is_valid_stix_21_and_deterministic(loaded_url: str) -> None:
    bundle = export(loaded_url)
    assert validate_string(json.dumps(bundle), ValidationOptions(version="2.1")).is_valid
    assert export(loaded_url) == bundle  # same ids, same timestamps: partners' collections do not churn
    kinds = {o["type"] for o in bundle["objects"]}
    assert {"identity", "intrusion-set", "incident", "relationship", "location", "threat-actor",
            "marking-definition"} <= kinds


def test_claims_become_attributions_by_their_claimant(loaded_url: str) -> None:
    objects = {o["id"]: o for o in export(loaded_url)["objects"]}
    wannacry = stix_id("incident", "incident:wannacry-2017")
    attributions = [o for o in objects.values() if o["type"] == "relationship"
                    and o["relationship_type"] == "attributed-to" and o["source_ref"] == wannacry]
    claims = [c for c in load_curated() if isinstance(c, AttributionClaim) and c.subject == "incident:wannacry-2017"]
    assert len(attributions) == len(claims) >= 2  # one relationship per claim, several claimants kept apart
    claimants = {objects[o["created_by_ref"]]["name"] for o in attributions}
    assert {"United States", "United Kingdom", "Japan"} <= claimants
    assert len(claimants) == len({c.claimant or c.claimant_name for c in claims})
    assert all(o["object_marking_refs"] for o in objects.values() if o["type"] != "marking-definition")
