"""`cyberdip assess FILE.json` and `POST /api/assess`: incident files validated field by field."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.cli.main import app
from cyberdip.services.norms import incident_schema
from cyberdip.services.workbench import Workbench

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
WIPER = {
    "id": "incident:wiper-test", "name": "Wiper through an accounting update", "start": "2017-06-27",
    "summary": "A destructive wiper spread through a compromised software update and crossed borders.",
    "actor_type": "state", "nexus": [{"state": "state:RUS", "nexus": "organ"}],
    "victims": ["state:UKR", "state:USA"], "critical_infrastructure": True, "supply_chain": True,
    "effects": ["destruction", "disruption"], "cross_border": True, "context": "peacetime",
}


def test_the_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "incident.schema.json").read_text(encoding="utf-8"))
    assert published == incident_schema()


def test_assess_a_file(loaded_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wiper.json"
    path.write_text(json.dumps(WIPER), encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path), "--json"], env={"CYBERDIP_DB": loaded_url})
    assert result.exit_code == 0, result.stdout
    findings = {(f["norm"], f["addressee"]): f for f in json.loads(result.stdout)["findings"]}
    # no attribution claims in the file: the violations stand only as contested
    assert findings[("norm:gge2015-13f", "state:RUS")]["status"] == "contested"
    assert findings[("norm:gge2015-13i", "state:RUS")]["status"] == "contested"
    assert findings[("norm:gge2015-13k", "state:RUS")]["status"] == "not_engaged"


def test_a_malformed_file_names_each_field_and_stores_nothing(loaded: Workbench, loaded_url: str,
                                                               tmp_path: Path) -> None:
    with loaded.reading() as connection:
        before = connection.exec_driver_sql("select count(*) from records").scalar_one()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "start": "2017-13-01", "summary": "too short",
                               "effects": ["telepathy"], "critical_infrastructure": "maybe"}), encoding="utf-8")
    result = runner.invoke(app, ["assess", str(bad), "--json"], env={"CYBERDIP_DB": loaded_url})
    assert result.exit_code == 2
    problems = " | ".join(json.loads(result.stdout)["problems"])
    for field in ("'name'", "'start'", "'summary'", "'effects.0'", "'critical_infrastructure'"):
        assert f"field {field}" in problems, field
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "Unclosed", ', encoding="utf-8")
    result = runner.invoke(app, ["assess", str(broken), "--json"], env={"CYBERDIP_DB": loaded_url})
    assert result.exit_code == 2 and "broken.json:1" in result.stdout and "not valid JSON" in result.stdout
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({**WIPER, "victims": ["state:ATL"]}), encoding="utf-8")
    result = runner.invoke(app, ["assess", str(unknown), "--json"], env={"CYBERDIP_DB": loaded_url})
    assert result.exit_code == 2 and "state:ATL" in result.stdout and "victims" in result.stdout
    with loaded.reading() as connection:
        assert connection.exec_driver_sql("select count(*) from records").scalar_one() == before


def test_post_assess_and_schema_routes(loaded: Workbench) -> None:
    with TestClient(create_app(loaded)) as client:
        assert client.get("/api/incident-schema").json()["title"] == "Incident"
        result = client.post("/api/assess", json=WIPER)
        assert result.status_code == 200
        assert any(f["norm"] == "norm:gge2015-13f" for f in result.json()["findings"])
        hostile = client.post("/api/assess", json={**WIPER, "nexus": [{"state": "state:RUS", "nexus": "god"}]})
        assert hostile.status_code == 400 and "nexus.0.nexus" in hostile.json()["error"]
        assert client.post("/api/assess", json=["not", "an", "object"]).status_code in (400, 422)
        norms = {n["id"] for n in client.get("/api/norms").json()}
        assert {"norm:gge2015-13f", "norm:il-sovereignty", "norm:us-china-2015-ip-theft"} <= norms
