"""`cyberdip sources`, /api/sources and /sources: the figures of the shipped dataset, the same on
every surface; and every view of a partial list says it is partial."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cyberdip.analysis import provenance
from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.cli.main import app
from cyberdip.model import Actor, Instrument
from cyberdip.services.provenance import check_folder
from cyberdip.services.workbench import Workbench
from cyberdip.sources.curated import curated_directory, load_curated
from cyberdip.sources.publishers import load_registry


@pytest.fixture
def client(loaded: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as test_client:
        yield test_client


def shipped_report() -> provenance.Report:
    return provenance.report(load_curated(), load_registry())


def test_the_api_gives_the_figures_of_the_shipped_files(client: TestClient) -> None:
    body = client.get("/api/sources").json()
    expected = shipped_report().as_dict()
    assert body["overall"] == expected["overall"]
    assert body["kinds"] == expected["kinds"]
    assert body["lists"] == expected["lists"]
    assert body["refused_citations"] == 0


def test_the_page_shows_the_shares_and_every_list(client: TestClient) -> None:
    html = client.get("/sources").text
    total = shipped_report().total
    assert f"{100 * total.primary_share:.0f}% of {total.citations} citations are primary" in html
    for item in shipped_report().lists:
        assert f'href="/r/{item.record_id}"' in html
    assert "/api/sources" in html
    csv_rows = client.get("/sources?download=kinds&format=csv").text.splitlines()
    assert csv_rows[0].startswith("kind,records,citations,primary citations")
    assert csv_rows[-1].startswith(f"all,{total.records},{total.citations},{total.primary}")


def partial_lists() -> list[tuple[str, str, str]]:
    found = []
    for record in load_curated():
        if isinstance(record, Actor | Instrument):
            found += [(record.id, c.role, c.missing or "") for c in record.coverage if c.status.value == "partial"]
    return found


def test_every_surface_says_a_list_is_partial(client: TestClient, loaded_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    partial = partial_lists()
    if not partial:
        pytest.skip("every declared list is complete")
    record_id, role, missing = partial[0]
    html = client.get(f"/r/{record_id}").text
    assert 'data-coverage="partial"' in html and "Partial list:" in html and missing[:40] in html
    profile = client.get(f"/api/records/{record_id}").json()
    note = next(n for n in profile["lists"] if n["role"] == role)
    assert note["status"] == "partial" and note["text"].startswith("Partial list:")
    monkeypatch.setenv("CYBERDIP_DB", loaded_url)
    shown = CliRunner().invoke(app, ["show", record_id], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "Partial list:" in shown.output


def test_the_cli_prints_the_same_figures(loaded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYBERDIP_DB", loaded_url)
    result = CliRunner().invoke(app, ["sources", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"] == shipped_report().as_dict()["overall"]


def test_check_lists_every_open_breach_and_names_each_new_one(tmp_path: Path) -> None:
    open_breaches = check_folder()
    shipped = CliRunner().invoke(app, ["sources", "--check", "--json"])
    assert shipped.exit_code == (1 if open_breaches else 0)
    assert [b["record_id"] for b in json.loads(shipped.output)] == [b.record_id for b in open_breaches]
    assert all(re.match(r"^[a-z/-]+\.yaml:\d+", b.where or "") for b in open_breaches)
    copy = tmp_path / "curated"
    shutil.copytree(curated_directory(), copy)
    norms = copy / "norms.yaml"
    text = norms.read_text(encoding="utf-8")
    norms.write_text(text.replace("https://docs.un.org/en/A/70/174", "https://en.wikipedia.org/wiki/UN_GGE", 1),
                     encoding="utf-8")
    broken = CliRunner().invoke(app, ["sources", "--check", "--curated", str(copy), "--json"])
    assert broken.exit_code == 1
    found = json.loads(broken.output)
    new = [b for b in found if b["rule"] == "refused-source"]
    assert [(b["record_id"], b["url"]) for b in new] == [("norm:gge2015-13a", "https://en.wikipedia.org/wiki/UN_GGE")]
    assert new[0]["where"].startswith("norms.yaml:")
