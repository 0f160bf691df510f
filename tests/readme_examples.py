"""The README's console examples, run for real.

Each ``$ cyberdip ...`` line of a console block in README.md is run here through the CLI at the
width the README is printed at, with its ``| head -N``, ``| tail -N`` or ``| jq`` applied, and its printed lines
are what the README must show. `tests/e2e/test_readme_figures.py` compares them;
``python tests/readme_examples.py CURATED_DB_URL VOTED_DB_URL`` rewrites the README from them (the
voted database as ``cyberdip init`` makes it: the curated dataset and the shipped UN votes).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app

README = Path(__file__).resolve().parents[1] / "README.md"
SHARED_DATA = Path(os.environ.get("CYBERDIP_SHARED_DATA") or README.parent.parent / "shared" / "data")
#: the terminal width the README's console examples are printed at
COLUMNS = "100"
#: commands that need the UN votes imported
NEEDS_VOTES = ("align", "blocs", "ideal-points", "partners", "coalition", "votes", "forecast", "backtest")
#: commands whose example is checked by a test of its own (they change or create a database)
CHECKED_ELSEWHERE = ("init", "import unga", "import records")


@dataclass(frozen=True)
class Example:
    command: str  # as typed after "$ "
    shown: list[str]  # the lines the README prints after it
    block: int  # which console block


def examples(text: str | None = None) -> list[Example]:
    found = []
    blocks = re.findall(r"```console\n(.*?)```", text if text is not None else README.read_text(encoding="utf-8"), re.S)
    for number, block in enumerate(blocks):
        lines = block.rstrip("\n").split("\n")
        for index, line in enumerate(lines):
            if line.startswith("$ cyberdip "):
                shown = []
                for following in lines[index + 1:]:
                    if following.startswith("$ "):
                        break
                    shown.append(following.rstrip())
                found.append(Example(line[2:], shown, number))
    return found


def yaml_file(name: str) -> str:
    """The content of a YAML block the README introduces with a ``# name`` first line."""
    for block in re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        if block.startswith(f"# {name}\n"):
            return str(block)
    raise LookupError(f"README.md has no yaml block starting with '# {name}'")


@contextmanager
def _inside(folder: Path):  # type: ignore[no-untyped-def]
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run(example: Example, database_url: str) -> list[str]:
    """What the command prints, after its pipe, as README lines."""
    command, _, pipe = example.command.partition(" | ")
    words = shlex.split(command)[1:]
    with tempfile.TemporaryDirectory() as folder, _inside(Path(folder)):
        for word in words:
            if word.endswith(".yaml") and not Path(word).exists():
                Path(word).write_text(yaml_file(word), encoding="utf-8")
        result = CliRunner().invoke(app, words, env={"COLUMNS": COLUMNS, "CYBERDIP_DB": database_url})
    lines = [line.rstrip() for line in result.output.rstrip("\n").split("\n")]
    if pipe.startswith("tail -"):
        lines = lines[-int(pipe.removeprefix("tail -")):]
    elif pipe.startswith("head -"):
        lines = lines[:int(pipe.removeprefix("head -"))]
    elif pipe.startswith("jq "):
        lines = [_jq(json.loads(result.output), shlex.split(pipe)[1])]
    return lines


def _jq(value: object, program: str) -> str:
    """The few jq programs the README uses: ``.a.b | length``."""
    path, _, function = (part.strip() for part in program.partition("|"))
    for key in path.strip(".").split("."):
        value = value[key]  # type: ignore[index]
    return str(len(value)) if function == "length" else json.dumps(value)  # type: ignore[arg-type]


def database_for(example: Example, curated_url: str, voted_url: str) -> str | None:
    name = example.command.split()[1]
    if any(example.command.startswith(f"cyberdip {skip}") for skip in CHECKED_ELSEWHERE):
        return None
    return voted_url if name in NEEDS_VOTES else curated_url


def rewrite(curated_url: str, voted_url: str) -> None:
    """Put each example's real output in the README."""
    text = README.read_text(encoding="utf-8")
    for example in examples(text):
        url = database_for(example, curated_url, voted_url)
        if url is None:
            continue
        old = "$ " + example.command + "\n" + "".join(line + "\n" for line in example.shown)
        new = "$ " + example.command + "\n" + "".join(line + "\n" for line in run(example, url))
        text = text.replace(old, new, 1)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    rewrite(sys.argv[1], sys.argv[2])
