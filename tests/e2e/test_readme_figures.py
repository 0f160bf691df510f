"""The README's figures and console examples come from the commands it shows: each is run here on
the shipped dataset (with the UN votes where it needs them) and compared line by line, so the
README cannot drift from the data. `python tests/readme_examples.py CURATED_URL VOTED_URL`
rewrites the README after a deliberate change."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberdip.services import loading
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench
from cyberdip.sources.curated import load_curated
from tests import readme_examples
from tests.readme_examples import Example, examples, run

CURATED = [e for e in examples() if readme_examples.database_for(e, "curated", "voted") == "curated"]
VOTED = [e for e in examples() if readme_examples.database_for(e, "curated", "voted") == "voted"]


def example_id(example: Example) -> str:
    return example.command.removeprefix("cyberdip ")[:60]


def test_the_readme_shows_examples_of_both_kinds() -> None:
    assert len(CURATED) >= 10 and len(VOTED) >= 5


@pytest.mark.parametrize("example", CURATED, ids=example_id)
def test_console_examples_print_what_the_command_prints(loaded_url: str, example: Example) -> None:
    assert example.shown == run(example, loaded_url)


@pytest.mark.parametrize("example", VOTED, ids=example_id)
def test_vote_examples_print_what_the_command_prints(shipped_votes_url: str, example: Example) -> None:
    assert example.shown == run(example, shipped_votes_url)


def test_init_counts_are_the_shipped_records() -> None:
    total = len(load_curated())
    first, again = (e.shown for e in examples() if e.command == "cyberdip init")
    assert first[-1] == f"Curated dataset: {total} added, 0 changed, 0 removed, 0 unchanged"
    assert again[-1] == f"Curated dataset: 0 added, 0 changed, 0 removed, {total} unchanged"


def test_the_vote_import_example_is_what_an_import_prints(tmp_path: Path, shared_data: Path) -> None:
    [example] = [e for e in examples() if e.command.startswith("cyberdip import unga ")]
    url = f"sqlite:///{tmp_path / 'votes.db'}"
    bench = Workbench.open(Settings(database_url=url))
    loading.init_database(bench)
    bench.close()
    local = Example(example.command.replace("../shared/data/", str(shared_data) + "/"), example.shown, example.block)
    assert example.shown == run(local, url)


def test_the_records_import_example_adds_the_readme_file(workbench: Workbench) -> None:
    [example] = [e for e in examples() if e.command.startswith("cyberdip import records ")]
    loading.init_database(workbench)
    assert example.shown == run(example, workbench.settings.database_url)
