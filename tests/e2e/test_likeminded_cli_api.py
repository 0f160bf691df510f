"""The like-minded commands and routes as users call them, with --json and charts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.cli.main import app
from cyberdip.services.workbench import Workbench

runner = CliRunner()


def cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"CYBERDIP_DB": url})
    return result.exit_code, result.stdout


def test_align_json_and_heatmap(voted_url: str, tmp_path: Path) -> None:
    chart = tmp_path / "align.png"
    code, out = cli(voted_url, "align", "USA", "Russia", "China", "--session", "73", "--chart", str(chart), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["rollcalls"] == 95 and len(result["pairs"]) == 3
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_blocs_json_and_svg(voted_url: str, tmp_path: Path) -> None:
    chart = tmp_path / "blocs.svg"
    code, out = cli(voted_url, "blocs", "--session", "73", "--session", "74", "--chart", str(chart), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert len(result["blocs"]) == 3 and result["modularity"] > 0.35
    # cohesion across Louvain's seeds and across resampled roll calls: the West holds together in both
    west = next(b for b in result["blocs"] if "state:USA" in {m["id"] for m in b["members"]})
    assert west["cohesion"] >= 0.95 and 0.85 <= west["cohesion_resampled"] <= 1.0
    assert all(0.0 <= b["cohesion_resampled"] <= 1.0 for b in result["blocs"] if b["size"] > 1)
    assert "<svg" in chart.read_text(encoding="utf-8")[:500]


def test_ideal_points_json(voted_url: str, tmp_path: Path) -> None:
    chart = tmp_path / "points.png"
    code, out = cli(voted_url, "ideal-points", "--session", "74", "--state", "USA", "--state", "China",
                    "--chart", str(chart), "--json")
    assert code == 0, out
    rows = {r["state"]: r["ideal_point"] for r in json.loads(out)}
    assert rows["state:USA"] > 0 > rows["state:CHN"] and chart.stat().st_size > 1000


def test_partners_and_coalition_json(voted_url: str) -> None:
    code, out = cli(voted_url, "partners", "France", "--matter", "UN processes on ICTs and international security",
                    "--limit", "5", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["matter"] == "matter:un-cyber-process" and len(report["partners"]) == 5
    code, out = cli(voted_url, "coalition", "--resolution", "A/RES/74/247", "--json")
    assert code == 0, out
    assert json.loads(out)["actual"]["yes"] == 79


def test_a_chart_with_an_unknown_extension_is_refused(voted_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["align", "USA", "China", "--session", "73", "--chart", str(tmp_path / "x.gif")],
                           env={"CYBERDIP_DB": voted_url})
    assert result.exit_code != 0 and ".png or .svg" in str(result.exception)


def test_partners_of_a_non_state_is_a_clear_error(voted_url: str) -> None:
    code, out = cli(voted_url, "partners", "NATO", "--json")
    assert code == 2 and "not a state" in " ".join(json.loads(out)["problems"])


@pytest.fixture
def client(voted: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(voted)) as test_client:
        yield test_client


def test_api_routes(client: TestClient) -> None:
    pair = client.get("/api/align", params={"state": ["USA", "GBR"], "session": 73}).json()["pairs"][0]
    assert pair["kappa"] == pytest.approx(0.297, abs=0.001)
    assert len(client.get("/api/blocs", params={"session": [73, 74]}).json()["blocs"]) == 3
    points = client.get("/api/ideal-points", params={"session": 74, "state": "USA"}).json()
    assert points[0]["ideal_point"] > 0
    assert client.get("/api/partners/Germany", params={"limit": 3}).json()["partners"]
    assert client.get("/api/coalition", params={"resolution": "A/RES/74/247"}).json()["adopted"] is True
    bad = client.get("/api/align", params={"state": ["USA", "GBR"], "session": 99})
    assert bad.status_code == 400 and "import unga" in bad.json()["error"]


def test_few_votes_are_flagged_and_blocs_refuse_them(voted_url: str) -> None:
    code, out = cli(voted_url, "align", "USA", "Russia", "China", "--matter", "cybercrime", "--json")
    assert code == 0, out
    pairs = {(p["a"], p["b"]): p for p in json.loads(out)["pairs"]}
    usa_rus, rus_chn = pairs[("state:USA", "state:RUS")], pairs[("state:RUS", "state:CHN")]
    assert usa_rus["joint_votes"] == 2 and usa_rus["few_votes"] and "only 2 joint votes" in usa_rus["note"]
    assert rus_chn["kappa"] is None and "κ undefined" in rus_chn["note"]  # both voted yes twice
    assert rus_chn["agreement"] == 1.0 and rus_chn["agreement_low"] < 0.5
    code, out = cli(voted_url, "blocs", "--matter", "cybercrime", "--json")
    assert code != 0 and "blocs need at least 10 roll calls" in out and "has 2" in out


def test_roll_calls_are_chosen_by_symbol(voted_url: str) -> None:
    code, out = cli(voted_url, "align", "USA", "Russia", "--symbol", "73/27", "--symbol", "A/RES/73/266", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["rollcalls"] == 2 and result["pairs"][0]["agreement"] == 0.0  # opposite sides on both


def test_state_department_coincidence_counts_identical_over_identical_and_opposite(voted_url: str) -> None:
    code, out = cli(voted_url, "align", "USA", "--rule", "state-dept", "--session", "73", "--json")
    assert code == 0, out
    rows = {r["state"]: r for r in json.loads(out)}
    for row in rows.values():
        if row["identical"] + row["opposite"]:
            assert row["coincidence"] == pytest.approx(row["identical"] / (row["identical"] + row["opposite"]),
                                                       abs=1e-4)
    assert rows["state:ISR"]["coincidence"] > rows["state:GBR"]["coincidence"] > rows["state:RUS"]["coincidence"]
    code, _ = cli(voted_url, "align", "USA", "--rule", "nonsense")
    assert code != 0


def test_several_matters_select_their_roll_calls_together(voted_url: str) -> None:
    counts = {}
    for matters in (["cybercrime"], ["UN processes on ICTs and international security"],
                    ["cybercrime", "UN processes on ICTs and international security"]):
        code, out = cli(voted_url, "align", "USA", "Russia", *(x for m in matters for x in ("--matter", m)), "--json")
        assert code == 0, out
        counts[len(matters), matters[-1]] = json.loads(out)["rollcalls"]
    assert counts[2, "UN processes on ICTs and international security"] == \
        counts[1, "cybercrime"] + counts[1, "UN processes on ICTs and international security"]
    code, out = cli(voted_url, "align", "USA", "Russia", "--matter", "cybercrime", "--matter", "no such matter",
                    "--json")
    assert code != 0 and "no such matter" in out
