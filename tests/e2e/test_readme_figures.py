"""The README's figures come from the commands it shows: they are run here on the shipped dataset
and compared line by line, so the README cannot drift from the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app
from cyberdip.sources.curated import load_curated

README = Path(__file__).resolve().parents[2] / "README.md"
#: the terminal width the README's console examples are printed at
COLUMNS = "100"


def console_outputs(command: str) -> list[list[str]]:
    """The printed lines that follow each ``$ command`` in the README's console blocks."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        lines = block.rstrip("\n").split("\n")
        for index, line in enumerate(lines):
            if line == f"$ {command}":
                output = []
                for following in lines[index + 1:]:
                    if following.startswith("$ "):
                        break
                    output.append(following)
                found.append(output)
    return found


def run(loaded_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    monkeypatch.setenv("CYBERDIP_DB", loaded_url)
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": COLUMNS})
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.output.rstrip("\n").split("\n")]


def test_init_counts_are_the_shipped_records() -> None:
    total = len(load_curated())
    first, again = console_outputs("cyberdip init")
    assert first[-1] == f"Curated dataset: {total} added, 0 changed, 0 removed, 0 unchanged"
    assert again[-1] == f"Curated dataset: 0 added, 0 changed, 0 removed, {total} unchanged"


@pytest.mark.parametrize("command", [["stats"], ["sources"]])
def test_console_examples_print_what_the_command_prints(loaded_url: str, monkeypatch: pytest.MonkeyPatch,
                                                        command: list[str]) -> None:
    printed = run(loaded_url, monkeypatch, *command)
    shown = " ".join(command)
    last_lines = [output[-1:] for output in console_outputs(f"cyberdip {shown} | tail -1")]
    examples = console_outputs(f"cyberdip {shown}") + last_lines
    assert examples, f"the README shows no `cyberdip {shown}`"
    for example in examples:
        expected = printed[-len(example):]
        assert [line.rstrip() for line in example] == expected
