"""The norms commands and routes with --json, on the curated incidents."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.cli.main import app
from cyberdip.services.workbench import Workbench

runner = CliRunner()


def cli(url: str, *args: str) -> tuple[int, object]:
    result = runner.invoke(app, [*args, "--json"], env={"CYBERDIP_DB": url})
    return result.exit_code, json.loads(result.stdout)


def test_assess_record_incidents_claims_norms(loaded_url: str) -> None:
    code, assessment = cli(loaded_url, "assess", "NotPetya")
    assert code == 0 and assessment["incident"]["id"] == "incident:notpetya-2017"  # type: ignore[index]
    addressed = [f for f in assessment["findings"] if f["addressee"]]  # type: ignore[index]
    assert addressed and all(f["explanation"].startswith(f"For {f['addressee']}") for f in addressed)
    code, record = cli(loaded_url, "record", "North Korea")
    assert code == 0 and any(r["incident"] == "incident:wannacry-2017"
                             for r in record["attributed_incidents"])  # type: ignore[index]
    code, rows = cli(loaded_url, "incidents", "--actor", "Iran", "--from", "2012", "--to", "2012")
    assert code == 0 and "incident:shamoon-aramco-2012" in {r["id"] for r in rows}  # type: ignore[union-attr]
    code, claims = cli(loaded_url, "claims", "incident:sony-pictures-2014")
    assert code == 0 and any(c["attributed_to"] in ("state:PRK", "group:lazarus") for c in claims)  # type: ignore[union-attr]
    code, summary = cli(loaded_url, "norms")
    assert code == 0 and summary["norm:gge2015-13f"]["state:PRK"]["violation_alleged"] >= 1  # type: ignore[index]


def test_assessing_something_that_is_not_an_incident_is_a_clear_error(loaded_url: str) -> None:
    code, error = cli(loaded_url, "assess", "state:FRA")
    assert code == 2 and "not an incident" in " ".join(error["problems"])  # type: ignore[index]


def test_routes(loaded: Workbench) -> None:
    with TestClient(create_app(loaded)) as client:
        assessment = client.get("/api/assess/incident:wannacry-2017").json()
        assert any(f["norm"] == "norm:gge2015-13f" and f["status"] == "violation_alleged"
                   for f in assessment["findings"])
        assert client.get("/api/record/Russia").json()["attributed_incidents"]
        assert client.get("/api/incidents", params={"norm": "norm:gge2015-13i"}).json()
        assert client.get("/api/claims/incident:notpetya-2017").json()
        assert "norm:gge2015-13f" in client.get("/api/norms/summary").json()


def test_claims_by_one_state_against_another(loaded_url: str, loaded: Workbench) -> None:
    code, rows = cli(loaded_url, "claims", "--by", "United Kingdom", "--against", "Russia")
    assert code == 0 and isinstance(rows, list) and "claim:notpetya-2017/gbr" in {r["id"] for r in rows}
    assert all("state:GBR" in (r.get("claimant"), r.get("claimant_state")) and r["attributed_to"] == "state:RUS"
               for r in rows)
    with TestClient(create_app(loaded)) as client:
        assert client.get("/api/claims", params={"by": "GBR", "against": "RUS"}).json() == rows
        assert client.get("/api/claims").status_code == 400
    code, error = cli(loaded_url, "claims", "--by", "Atlantis")
    assert code == 1 and "Atlantis" in error["error"]  # type: ignore[index]
