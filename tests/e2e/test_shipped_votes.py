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
    code, out = cli(shipped_url, "votes", "A/RES/75/240", "--json")
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
