"""What every command shares: the consoles, the output options, opening the workbench, failing
clearly, and printing rows as a table, JSON or CSV.

Nothing heavy is imported here at module level: ``cyberdip --help`` must not load the services,
SQLAlchemy, numpy or pydantic. They are imported inside the functions that need them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from cyberdip.services.workbench import Workbench

console = Console()
errors = Console(stderr=True)

FORMATS = ("table", "json", "csv")

JsonOption = typer.Option(False, "--json", help="Print only JSON on stdout (the same as --format json).")
FormatOption = typer.Option(None, "--format", help="table (default), json or csv (the table's rows and columns, "
                            "full text).", metavar="table|json|csv")


def output_format(fmt: str | None, as_json: bool) -> str:
    """The chosen output format; ``--json`` is ``--format json``."""
    if fmt is None:
        return "json" if as_json else "table"
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose {', '.join(FORMATS[:-1])} or {FORMATS[-1]}, not {fmt!r}",
                                 param_hint="--format")
    if as_json and fmt != "json":
        raise typer.BadParameter(f"--json and --format {fmt} contradict each other", param_hint="--format")
    return fmt


@contextmanager
def workbench(as_json: bool = False) -> Iterator[Workbench]:
    """Open the workbench from the environment; turn known failures into clear exits."""
    from cyberdip.model.errors import DataError, NotFound
    from cyberdip.services.settings import Settings
    from cyberdip.services.workbench import NotInitialised, Workbench

    bench = Workbench.open(Settings.from_env())
    try:
        yield bench
    except NotFound as exc:
        fail(_not_found_message(bench, exc.ref, exc.suggestions), as_json, suggestions=exc.suggestions)
    except NotInitialised as exc:
        fail(str(exc), as_json)
    except DataError as exc:
        problems = [str(p) for p in exc.problems]
        fail(f"{len(problems)} problem(s); nothing was written.", as_json, problems=problems, code=2)
    finally:
        bench.close()


def _not_found_message(bench: Workbench, ref: str, suggestions: Sequence[str]) -> str:
    """"No record matches 'Germanny'. Did you mean Germany (state:DEU)?" — suggestions named."""
    if not suggestions:
        return f"No record matches {ref!r}."
    return f"No record matches {ref!r}. Did you mean {named(bench, suggestions)}?"


def named(bench: Workbench, ids: Sequence[str]) -> str:
    """``Germany (state:DEU), Guernsey (state:GGY)``: ids with their names, when they can be read."""
    from cyberdip.services import catalogue

    try:
        with bench.reading() as connection:
            names = catalogue.names(connection, ids)
    except Exception:
        names = {}
    return ", ".join(f"{names[i]} ({i})" if names.get(i) and names[i] != i else i for i in ids)


def fail(message: str, as_json: bool, code: int = 1, **extra: Any) -> NoReturn:
    if as_json:
        print(json.dumps({"error": message, **extra}, ensure_ascii=False))
    else:
        errors.print(f"[bold red]error:[/] {message}", highlight=False)
        for problem in extra.get("problems", []):
            errors.print(f"  - {problem}", highlight=False, markup=False)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    from pydantic_core import to_jsonable_python

    print(json.dumps(to_jsonable_python(value), ensure_ascii=False, indent=2))


def date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}", param_hint=option) from None


# ------------------------------------------------------------------------------------------------
# Checking filters before a service gets them


def check_filter(connection: Connection, value: str | None, kind: str, option: str, as_json: bool) -> None:
    """A filter naming a record of ``kind`` (``--matter``, ``--norm``) must name a known one: else
    fail, suggesting records of that kind or, when none is close, listing them all."""
    if value is None:
        return
    if kind == "matter" and "," in value:  # several matters, each checked
        for part in value.split(","):
            check_filter(connection, part.strip(), kind, option, as_json)
        return
    from cyberdip.model.errors import NotFound
    from cyberdip.services import catalogue

    try:
        found = catalogue.resolve(connection, value)
    except NotFound:
        found = None
    if found is not None and found.kind == kind:
        return
    close = [hit.id for hit in catalogue.search(connection, value, limit=5, kinds=[kind])]
    if found is not None:
        message = f"{option}: {found.name} ({found.id}) is not a {kind}."
    else:
        message = f"No {kind} matches {value!r}."
    if close:
        names = catalogue.names(connection, close)
        fail(f"{message} Did you mean {', '.join(f'{names.get(i, i)} ({i})' for i in close)}?", as_json,
             suggestions=close)
    known = [row["id"] for row in catalogue.list_records(connection, kind)]
    fail(f"{message} Choose from: {', '.join(known)}", as_json, suggestions=known)


def check_kinds(connection: Connection, kinds: Sequence[str], as_json: bool) -> None:
    """``--kind`` values must be record kinds or subkinds the knowledge base knows."""
    from cyberdip.model.values import ID_PREFIXES
    from cyberdip.services import catalogue

    if not kinds:
        return
    known = set(ID_PREFIXES.values())
    for subkinds in catalogue.statistics(connection)["by_subkind"].values():
        known.update(s for s in subkinds if s)
    unknown = [k for k in kinds if k not in known]
    if unknown:
        fail(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}", as_json,
             suggestions=sorted(known))


# ------------------------------------------------------------------------------------------------
# Rows as a table, JSON or CSV


#: columns whose cells are single long words (ids, URLs, fingerprints): kept whole when they fit
WHOLE_WORD_COLUMNS = frozenset({"id", "list", "partner", "agency", "fingerprint (SHA-256)", "source"})


@dataclass
class Grid:
    """One table: its columns and rows of plain text, printed by Rich or written as CSV."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None
    styles: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def add(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def table(self, width: int) -> Table:
        """A Rich table for a terminal ``width`` wide. Nothing is ever cut short: text wraps at
        spaces, and a word wider than its column folds onto the next line. Id columns (ids, URLs,
        fingerprints) keep their longest id whole when the other columns can still keep their
        longest words, else they fold, but never narrower than a third of the width; the other
        columns share the rest, each as wide as its longest word when it can."""
        table = Table(title=self.title, **self.options)
        widths = self._widths(width, table)
        for index, column in enumerate(self.columns):
            table.add_column(column, overflow="fold", style=self.styles.get(column), width=widths[index])
        for row in self.rows:
            table.add_row(*row)
        return table

    def _widths(self, width: int, table: Table) -> list[int | None]:
        count = len(self.columns)
        borders = (count + 1) if table.show_edge else (count - 1)
        available = width - borders - 2 * count  # one space of padding each side of every cell
        cells = [[column, *(row[i] for row in self.rows)] for i, column in enumerate(self.columns)]
        longest = [max(cell_len(line) for cell in column for line in cell.split("\n")) for column in cells]
        if sum(longest) <= available or available < 3 * count:
            return [None] * count  # it fits (or nothing will): Rich's own layout
        words = [max((cell_len(word) for cell in column for word in cell.split()), default=1) for column in cells]
        ids = [i for i, column in enumerate(self.columns) if column in WHOLE_WORD_COLUMNS]
        others = [i for i in range(count) if i not in ids]
        widths: list[int] = [0] * count
        if ids:  # ids whole if the other columns keep their longest words, else folded within a third
            share = max(available - sum(words[i] for i in others), available // 3) // len(ids)
            for i in ids:
                widths[i] = max(3, min(longest[i], share))
        rest = available - sum(widths)
        if others and sum(words[i] for i in others) <= rest:
            spare = rest - sum(words[i] for i in others)
            want = sum(longest[i] - words[i] for i in others) or 1
            for i in others:
                widths[i] = words[i] + spare * (longest[i] - words[i]) // want
        elif others:  # not every longest word fits: short columns stay whole, the longest words fold
            cap = max(3, rest // len(others))
            while sum(min(words[i], cap + 1) for i in others) <= rest:
                cap += 1
            for i in others:
                widths[i] = min(words[i], cap)
        return list(widths)


def emit(fmt: str, *grids: Grid) -> None:
    """Print the grids as tables, or write them as CSV (several: one block each, separated by a
    blank line)."""
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        for number, grid in enumerate(grids):
            if number:
                sys.stdout.write("\n")
            writer.writerow(grid.columns)
            writer.writerows(grid.rows)
        return
    for grid in grids:
        console.print(grid.table(console.width))
