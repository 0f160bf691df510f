"""`cyberdip fetch unga` downloads the UN Digital Library file and imports it (served locally here)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app
from cyberdip.services import loading
from cyberdip.services.workbench import Workbench

UNDL = (
    "undl_id,ms_code,ms_name,ms_vote,date,session,resolution,title\n"
    "3847470,USA,UNITED STATES,N,2019-12-27,74,A/RES/74/247,Countering the use of information and communications "
    "technologies for criminal purposes\n"
    "3847470,RUS,RUSSIAN FEDERATION,Y,2019-12-27,74,A/RES/74/247,Countering the use of information and "
    "communications technologies for criminal purposes\n"
    "3847470,CHN,CHINA,Y,2019-12-27,74,A/RES/74/247,Countering the use of information and communications "
    "technologies for criminal purposes\n"
    "3847470,FRA,FRANCE,NV,2019-12-27,74,A/RES/74/247,Countering the use of information and communications "
    "technologies for criminal purposes\n"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "ga_voting.csv").write_text(UNDL, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_downloads_and_imports(workbench: Workbench, database_url: str, served: str, tmp_path: Path) -> None:
    loading.init_database(workbench)
    runner = CliRunner()
    result = runner.invoke(app, ["fetch", "unga", "--url", f"{served}/ga_voting.csv", "--folder",
                                 str(tmp_path / "downloads"), "--json"], env={"CYBERDIP_DB": database_url})
    assert result.exit_code == 0, result.stdout
    summary = json.loads(result.stdout)
    assert summary["format"] == "undl" and summary["rollcalls"] == 1 and summary["votes"] == 4
    assert summary["tagged"] == {"matter:cybercrime": 1}
    assert (tmp_path / "downloads" / "ga_voting.csv").read_text(encoding="utf-8") == UNDL
    again = runner.invoke(app, ["import", "unga", str(tmp_path / "downloads" / "ga_voting.csv"), "--json"],
                          env={"CYBERDIP_DB": database_url})
    assert json.loads(again.stdout)["votes"] == 4  # importing the same file twice replaces, never duplicates
    missing = runner.invoke(app, ["fetch", "unga", "--url", f"{served}/nothing.csv", "--folder", str(tmp_path),
                                  "--json"], env={"CYBERDIP_DB": database_url})
    assert missing.exit_code == 2 and "404" in missing.stdout


def test_the_same_vote_from_two_datasets_is_stored_once(workbench: Workbench, database_url: str,
                                                          tmp_path: Path) -> None:
    from cyberdip.services import vote_imports, votes

    loading.init_database(workbench)
    folder = tmp_path / "unvotes"
    folder.mkdir()
    (folder / "un_roll_calls.csv").write_text(
        "rcid,session,importantvote,date,unres,amend,para,short,descr\n"
        "9087,74,0,2019-12-27,A/RES/74/247,0,0,Countering the use of information and communications technologies "
        "for criminal purposes,x\n", encoding="utf-8")
    (folder / "un_votes.csv").write_text("rcid,country,country_code,vote\n9087,United States,US,no\n",
                                         encoding="utf-8")
    vote_imports.import_unga(workbench, folder)
    undl = tmp_path / "ga_voting.csv"
    undl.write_text(UNDL, encoding="utf-8")
    summary = vote_imports.import_unga(workbench, undl)
    assert summary.merged_with_existing == 1
    with workbench.reading() as connection:
        matrix, calls = votes.vote_matrix(connection, votes.Selection(symbols=("A/RES/74/247",)))
    assert [c.id for c in calls] == ["rollcall:unga-9087"]
    assert matrix.tally("rollcall:unga-9087") == {"yes": 2, "no": 1, "abstain": 0, "not_voting": 0}
