"""The UN votes cyberdip ships: `cyberdip init` loads them, `cyberdip votes` shows each state's
vote, and the shipped file holds exactly what its public sources give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app
from cyberdip.services import loading, vote_imports
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench
from cyberdip.store import reader
from cyberdip.store import votes as vote_store

runner = CliRunner()


def cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"CYBERDIP_DB": url})
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def shipped_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database made by `cyberdip init`, as a user gets it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shipped') / 'cyberdip.db'}"
    code, out = cli(url, "init")
    assert code == 0, out
    assert "UN General Assembly votes: 6,849 roll calls 1946-2026 loaded" in out
    yield url


@pytest.mark.parametrize(("symbol", "tally"), [
    ("A/RES/75/240", (92, 50, 21)),  # OEWG 2021-2025 established
    ("77/37", (156, 7, 14)),  # programme of action
    ("A/RES/78/16", (161, 9, 11)),
    ("A/RES/74/247", (79, 60, 33)),  # towards the cybercrime convention
    ("A/RES/73/27", (119, 46, 14)),
])
def test_votes_gives_the_recorded_tally_and_each_states_vote(shipped_url: str, symbol: str,
                                                           tally: tuple[int, int, int]) -> None:
    code, out = cli(shipped_url, "votes", symbol, "--json")
    assert code == 0, out
    [call] = json.loads(out)
    assert (call["tally"]["yes"], call["tally"]["no"], call["tally"]["abstain"]) == tally
    assert len(call["votes"]) >= sum(tally) and all(v["state"].startswith("state:") for v in call["votes"])


def test_the_oewg_vote_splits_the_like_minded_as_recorded(shipped_url: str) -> None:
    _, out = cli(shipped_url, "votes", "A/RES/75/240", "--json")
    votes = {v["state"]: v["vote"] for v in json.loads(out)[0]["votes"]}
    assert votes["state:RUS"] == votes["state:CHN"] == "yes" and votes["state:USA"] == votes["state:GBR"] == "no"


def test_coalition_reads_the_shipped_votes(shipped_url: str) -> None:
    code, out = cli(shipped_url, "coalition", "--resolution", "A/RES/75/240", "--json")
    assert code == 0, out
    actual = json.loads(out)["actual"]
    assert (actual["yes"], actual["no"], actual["abstain"]) == (92, 50, 21)


def test_a_second_init_leaves_the_votes_alone_and_unknown_symbols_are_named(shipped_url: str) -> None:
    code, out = cli(shipped_url, "init")
    assert code == 0 and "UN General Assembly votes" not in out
    code, out = cli(shipped_url, "votes", "--about", "--json")
    about = json.loads(out)
    assert code == 0 and "Voeten" in json.dumps(about) and "acknowledge the United Nations" in json.dumps(about)
    code, _ = cli(shipped_url, "votes", "A/RES/99/999")
    assert code != 0


def test_the_shipped_votes_are_what_their_sources_give(tmp_path: Path, shared_data: Path) -> None:
    """Rebuilt from the public files: the same roll calls, and the same vote for every state."""
    shipped = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path / 'shipped.db'}"))
    rebuilt = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path / 'rebuilt.db'}"))
    for bench in (shipped, rebuilt):
        loading.init_database(bench)
    vote_imports.import_shipped_votes(shipped)
    vote_imports.import_unga(rebuilt, shared_data / "un-votes")
    vote_imports.import_unga(rebuilt, shared_data / "un-votes-2019-2026" / "unga_recorded_votes_s74-80_dgacm.csv.gz")
    with shipped.reading() as a, rebuilt.reading() as b:
        ids = [key.id for key in reader.listing_keys(b, kinds=["rollcall"])]
        assert sorted(ids) == sorted(key.id for key in reader.listing_keys(a, kinds=["rollcall"]))
        states_a, codes_a = vote_store.matrix(a, ids)
        states_b, codes_b = vote_store.matrix(b, ids)
        order = [states_a.index(state) for state in states_b]
        assert np.array_equal(codes_a[order], codes_b)


#: every recorded General Assembly vote on a cyber or digital matter, 1998-2026, as the UN's records
#: give them: the First Committee's ICT and international security resolutions put to a vote (those
#: of 1998-2004 and 2009-2015 were adopted without one), the Third Committee's cybercrime texts and
#: the Second Committee's ICT for development resolution of 2025 and the Third Committee's on human
#: rights in the context of digital technologies (2025)
CYBER_VOTES = {
    "A/RES/60/45", "A/RES/61/54", "A/RES/62/17", "A/RES/63/37", "A/RES/71/28", "A/RES/73/27", "A/RES/73/187",
    "A/RES/73/266", "A/RES/74/28", "A/RES/74/29", "A/RES/74/247", "A/RES/75/32", "A/RES/75/240", "A/RES/77/36",
    "A/RES/77/37", "A/RES/78/16", "A/RES/78/237", "A/RES/80/118", "A/RES/80/215",
}


def test_the_cyber_matter_finds_exactly_the_recorded_cyber_votes(shipped_url: str) -> None:
    from cyberdip.services.votes import matter_family

    bench = Workbench.open(Settings(database_url=shipped_url))
    with bench.reading() as connection:
        family = matter_family(connection, "Cyber and digital matters (all)")
        found = vote_store.find_rollcalls(connection, matters=family, start="1998-01-01")
        ict = vote_store.find_rollcalls(connection, matters=matter_family(connection, "matter:un-cyber-process"))
    bench.close()
    assert {"matter:un-cyber-process", "matter:cybercrime", "matter:ict-for-development"} <= set(family)
    assert {row.symbol for row in found} == CYBER_VOTES and len(found) == len(CYBER_VOTES)
    assert "A/RES/64/246" not in {row.symbol for row in ict}  # a verbatim record naming the ICT item


def test_the_backtest_beats_both_baselines_on_the_cyber_votes(shipped_url: str) -> None:
    code, out = cli(shipped_url, "backtest", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert {row["symbol"] for row in result["rows"]} == {s for s in CYBER_VOTES if s >= "A/RES/73"}
    accuracy, error = result["accuracy"], result["mean_tally_error"]
    assert accuracy["model"] > max(accuracy["last_vote"], accuracy["majority"]) + 0.05
    assert error["model"] < min(error["last_vote"], error["majority"])


def test_a_forecast_reads_only_votes_before_it(shipped_url: str) -> None:
    code, out = cli(shipped_url, "forecast", "--resolution", "A/RES/78/237", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["series_votes"] == ["A/RES/77/36", "A/RES/75/240", "A/RES/74/29"]  # the same text, earlier
    assert abs(result["tally"]["yes"] - result["actual"]["yes"]) <= 5
    assert abs(result["tally"]["no"] - result["actual"]["no"]) <= 5
    code, out = cli(shipped_url, "forecast", "--title", "Programme of action to advance responsible State "
                    "behaviour in the use of information and communications technologies in the context of "
                    "international security", "--matter", "matter:un-cyber-process", "--date", "2023-11-01",
                    "--json")
    draft = json.loads(out)
    assert code == 0 and draft["series_votes"] == ["A/RES/77/37"] and draft["actual"] is None
    code, out = cli(shipped_url, "forecast", "--title", "x", "--matter", "cyber", "--date", "2020-01-01",
                    "--sponsor", "Atlantis", "--json")
    assert code != 0 and "Atlantis" in out
