"""The command line for people: a fast --help, tables that never cut a cell short, every table
as JSON or CSV, one record exported with everything linked to it, and filters that match
nothing named as errors with a suggestion."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import UNDL_URL, app

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"

#: what `cyberdip --help` must not load: the services and everything heavy they bring
HEAVY = ("numpy", "scipy", "pandas", "sqlalchemy", "fastapi", "cyberdip.services")


def invoke(url: str, *args: str, columns: int = 80) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"CYBERDIP_DB": url, "COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


def imported_by(*args: str) -> set[str]:
    """The modules ``python -X importtime -m cyberdip ARGS`` imports, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "cyberdip", *args], capture_output=True,
                            text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Usage" in result.stdout
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
            and "|" in line}


# ------------------------------------------------------------------------------------------------
# --help starts at once


@pytest.mark.parametrize("args", [("--help",), ("incidents", "--help"), ("share", "grant", "--help"),
                                  ("align", "--help")], ids=" ".join)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)
    assert "cyberdip.interfaces.cli.main" in modules  # the measurement saw our own imports
    loaded = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert not loaded, f"--help imported {loaded}"


def test_the_default_vote_file_is_the_services_own() -> None:
    from cyberdip.services import vote_imports

    assert UNDL_URL == vote_imports.UNDL_URL


# ------------------------------------------------------------------------------------------------
# Tables wrap, never cut


def test_a_long_id_is_printed_whole_at_80_columns(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "search", "Budapest Convention")
    assert code == 0
    assert "instrument:budapest-convention" in out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def _column(out: str, index: int) -> str:
    """The text of one column of a Rich table, its lines joined."""
    cells = []
    for line in out.splitlines():
        parts = line.split("│")
        if len(parts) > index + 1:
            cells.append(parts[index + 1].strip())
    return "".join(cells)


def test_no_cell_is_cut_short_at_80_columns(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "sources")
    assert code == 0 and "…" not in out
    listed = _column(out.split("Member and party lists", 1)[1], 0)
    for list_id in ("initiative:freedom-online-coalition", "initiative:christchurch-call"):
        assert list_id in listed
    code, out, _ = invoke(loaded_url, "timeline", "--actor", "China", "--from", "2015", "--to", "2015",
                          "--kind", "instrument")
    assert code == 0 and "…" not in out
    assert "instrument:intl-code-of-conduct-info-security-2015" in _column(out, 3)


# ------------------------------------------------------------------------------------------------
# --format table|json|csv


def _csv(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_search_as_csv_has_the_table_columns_and_full_text(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "search", "Budapest Convention", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "id,name,kind,matched,score"
    rows = _csv(out)
    assert rows[0]["id"] == "instrument:budapest-convention"
    assert rows[0]["name"] == "Convention on Cybercrime (Budapest Convention)"
    code, out, _ = invoke(loaded_url, "search", "Budapest Convention", "--format", "json")
    assert code == 0 and [hit["id"] for hit in json.loads(out)] == [row["id"] for row in rows]


def test_incidents_as_csv_json_and_table_agree(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "incidents", "--actor", "Russia", "--format", "csv")
    assert code == 0
    rows = _csv(out)
    assert list(rows[0]) == ["date", "incident", "attributed to", "victims", "id"]
    code, out, _ = invoke(loaded_url, "incidents", "--actor", "Russia", "--json")
    listed = json.loads(out)
    assert [row["id"] for row in rows] == [row["id"] for row in listed]
    assert "incident:notpetya-2017" in {row["id"] for row in rows}
    notpetya = next(row for row in rows if row["id"] == "incident:notpetya-2017")
    assert "state:RUS" in notpetya["attributed to"]
    code, table, _ = invoke(loaded_url, "incidents", "--actor", "Russia", "--format", "table")
    assert code == 0 and "┃ date" in table


def test_claims_as_csv_keep_the_whole_basis(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "claims", "--by", "United Kingdom", "--against", "Russia", "--format", "csv")
    assert code == 0
    rows = _csv(out)
    assert list(rows[0]) == ["date", "claimant", "kind", "says", "type", "basis"]
    code, out, _ = invoke(loaded_url, "claims", "--by", "United Kingdom", "--against", "Russia", "--json")
    claims = json.loads(out)
    assert len(rows) == len(claims)
    assert [row["basis"] for row in rows] == [c.get("basis") or "" for c in claims]
    assert all(row["says"].endswith("→ state:RUS") for row in rows)


def test_timeline_as_csv(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "timeline", "--actor", "China", "--from", "2015", "--to", "2015",
                          "--format", "csv")
    assert code == 0
    rows = _csv(out)
    assert list(rows[0]) == ["date", "kind", "what", "id"]
    assert "instrument:us-china-2015-cyber" in {row["id"] for row in rows}
    assert all(row["date"].startswith("2015") for row in rows)


@pytest.mark.parametrize("args", [("stats",), ("matters",), ("norms",), ("record", "Russia"), ("sources",),
                                  ("show", "Germany"), ("show", "state:FRA", "--history")], ids=" ".join)
def test_every_table_command_writes_csv(loaded_url: str, args: tuple[str, ...]) -> None:
    code, out, _ = invoke(loaded_url, *args, "--format", "csv")
    assert code == 0, out
    assert out and "┃" not in out and "│" not in out
    for block in out.split("\n\n"):
        rows = list(csv.reader(io.StringIO(block)))
        assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows)


def test_a_bad_format_is_refused(loaded_url: str) -> None:
    code, _, _ = invoke(loaded_url, "incidents", "--format", "xml")
    assert code == 2
    code, _, _ = invoke(loaded_url, "incidents", "--format", "csv", "--json")
    assert code == 2


# ------------------------------------------------------------------------------------------------
# export REF


def test_export_of_a_state_has_everything_linked_to_it(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "export", "Germany")
    assert code == 0
    record = json.loads(out)
    assert record["id"] == "state:DEU" and record["record"]["iso3"] == "DEU"
    sections = record["sections"]
    assert {"org:nato", "org:eu"} <= {item["other"]["id"] for item in sections["Memberships"]}
    assert "agency:deu-bsi" in {item["id"] for item in sections["Agencies and bodies"]}
    assert "instrument:budapest-convention" in {i["other"]["id"] for i in sections["Instruments it is party to"]}
    assert record["claims_by"] and all(c["id"].startswith("claim:") for c in record["claims_by"])
    assert "claims_against" in record
    assert set(record["state_record"]) >= {"attributed_incidents", "commitments", "responses_made",
                                           "responses_received", "norm_summary"}
    code, out, _ = invoke(loaded_url, "export", "Russia")
    russia = json.loads(out)
    assert russia["claims_against"] and russia["state_record"]["attributed_incidents"]


def test_export_of_an_incident_and_to_a_file(loaded_url: str, tmp_path: Path) -> None:
    target = tmp_path / "notpetya.json"
    code, out, err = invoke(loaded_url, "export", "incident:notpetya-2017", "-o", str(target))
    assert code == 0 and out == "" and "Wrote" in err
    record = json.loads(target.read_text(encoding="utf-8"))
    assert record["kind"] == "incident" and record["claims"]
    assert all(c["subject"] == "incident:notpetya-2017" for c in record["claims"])


def test_export_of_a_record_refuses_what_does_not_apply(loaded_url: str) -> None:
    assert invoke(loaded_url, "export", "Germany", "--format", "csv")[0] == 2
    assert invoke(loaded_url, "export", "Germany", "--kind", "actor")[0] == 2
    code, _, err = invoke(loaded_url, "export", "Germanny")
    assert code == 1 and "Germany (state:DEU)" in err


# ------------------------------------------------------------------------------------------------
# Filters that match nothing


def test_an_unknown_actor_is_an_error_with_a_suggestion(loaded_url: str) -> None:
    code, out, err = invoke(loaded_url, "incidents", "--actor", "Germanny", columns=200)
    assert code == 1 and out == ""
    assert "No record matches 'Germanny'. Did you mean Germany (state:DEU)?" in err
    code, out, _ = invoke(loaded_url, "incidents", "--actor", "Germanny", "--json")
    assert code == 1
    error = json.loads(out)
    assert "Germany (state:DEU)" in error["error"] and "state:DEU" in error["suggestions"]


@pytest.mark.parametrize("args", [("timeline", "--actor", "Germanny"), ("claims", "--by", "Germanny"),
                                  ("claims", "--against", "Germanny"), ("record", "Germanny"),
                                  ("show", "Germanny")], ids=" ".join)
def test_every_filter_names_what_was_meant(loaded_url: str, args: tuple[str, ...]) -> None:
    code, _, err = invoke(loaded_url, *args, columns=200)
    assert code == 1 and "Did you mean Germany (state:DEU)?" in err


def test_an_unknown_norm_lists_the_norms(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "incidents", "--norm", "no such thing", "--json")
    assert code == 1
    error = json.loads(out)
    assert "No norm matches 'no such thing'" in error["error"]
    assert "norm:gge2015-13f" in error["suggestions"]
    code, out, _ = invoke(loaded_url, "incidents", "--norm", "Germany", "--json")
    assert code == 1 and "is not a norm" in json.loads(out)["error"]


def test_an_unknown_kind_lists_the_valid_ones(loaded_url: str) -> None:
    code, out, err = invoke(loaded_url, "search", "Germany", "--kind", "stat", columns=400)
    assert code == 1 and out == ""
    assert "unknown kind(s) stat" in err and "state" in err and "instrument" in err
    code, _, err = invoke(loaded_url, "timeline", "--kind", "stat", columns=400)
    assert code == 1 and "choose from actor" in err


def test_an_unknown_matter_lists_the_matters(loaded_url: str) -> None:
    code, out, _ = invoke(loaded_url, "partners", "Germany", "--matter", "zzzz", "--json")
    assert code == 1
    error = json.loads(out)
    assert "No matter matches 'zzzz'" in error["error"] and "matter:cybercrime" in error["suggestions"]
    code, out, _ = invoke(loaded_url, "coalition", "--matter", "cybercrme", "--json")
    assert code == 1 and json.loads(out)["suggestions"][0] == "matter:cybercrime"
