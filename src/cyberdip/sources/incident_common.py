"""What the incident importers (EuRepoC, CFR, DCID) share: the result type, CSV reading with
``file:line`` positions, list-literal parsing and the effect vocabulary.

Two kinds of trouble are told apart. A row that cannot be read at all (no id, an unreadable date,
more cells than the header) is an *error*: every error of a file is collected and raised together
as :class:`DataError`, and nothing is returned. A known quirk of a published dataset that the
importer can work round (a column-shifted row, mis-encoded characters, an end date before the
start date, a country name the knowledge base does not know) is a *warning*: the sound part of
the row is imported and the warning, with its ``file:line``, is returned in
:attr:`ImportedIncidents.warnings`.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cyberdip.model import Actor, AttributionClaim, Incident, Response, slug
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.records import Effect

#: Maps a country name as a dataset spells it to a state id of the knowledge base, or None.
StateResolver = Callable[[str], str | None]

ImportedRecord = Incident | AttributionClaim | Actor | Response


@dataclass
class ImportedIncidents:
    """What one incident import read: records ready for the store, warnings, and counts."""

    dataset: str
    records: list[ImportedRecord] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def of(self, kind: type[ImportedRecord]) -> list[ImportedRecord]:
        return [record for record in self.records if isinstance(record, kind)]

    @property
    def incidents(self) -> list[Incident]:
        return [r for r in self.records if isinstance(r, Incident)]

    @property
    def claims(self) -> list[AttributionClaim]:
        return [r for r in self.records if isinstance(r, AttributionClaim)]

    @property
    def actors(self) -> list[Actor]:
        return [r for r in self.records if isinstance(r, Actor)]


#: Values that datasets use for "we do not know"; treated as blank.
MISSING = frozenset({"", "not available", "unknown", "n/a", "na", "none", "nan", "[]", "['not available']"})


def blank(value: str | None) -> bool:
    return value is None or value.strip().casefold() in MISSING


def parse_list(raw: str | None) -> list[str]:
    """A Python list literal in a string (``"['Armenia', 'Azerbaijan']"``, nested lists flattened)
    as its non-blank strings; a plain string is one item. Never evaluates code: only literals are
    accepted (:func:`ast.literal_eval`), anything else raises ValueError."""
    text = (raw or "").strip()
    if not text:
        return []
    if not text.startswith("["):
        return [] if blank(text) else [text]
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"unreadable list {text[:60]!r}: {exc.__class__.__name__}") from None
    out: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, list | tuple):
            for inner in item:
                walk(inner)
        elif isinstance(item, str):
            if not blank(item):
                out.append(item.strip())
        elif item is not None:
            raise ValueError(f"unexpected {type(item).__name__} in list {text[:60]!r}")

    walk(value)
    return out


def split_values(raw: str | None, sep: str = ";") -> list[str]:
    """``"a; b; a"`` → ``["a", "b"]``: split, stripped, blanks dropped, first occurrence kept."""
    return unique(part.strip() for part in (raw or "").split(sep) if not blank(part))


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def iso_date(raw: str) -> str:
    """``2017-03-01`` or ``3/1/2017`` (US month/day/year) as ISO; ValueError otherwise."""
    raw = raw.strip()
    for form in ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(raw, form).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {raw!r}")


def make_slug(text: str, fallback: str) -> str:
    made = slug(text)[:80].strip("-")
    return made or fallback


class UniqueIds:
    """Hands out ids, suffixing ``-2``, ``-3``... when a base id was already given out: two
    incidents are never merged because their names slug alike."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, base: str) -> str:
        self._seen[base] += 1
        n = self._seen[base]
        return base if n == 1 else f"{base}-{n}"


class StateNames:
    """Resolves country names through the caller's resolver, remembering the names it could not
    map (with how often they occurred) so they can be reported once, with counts."""

    def __init__(self, resolve: StateResolver, ignore: Iterable[str] = ()) -> None:
        self._resolve = resolve
        self._cache: dict[str, str | None] = {}
        self._ignore = {name.casefold() for name in ignore}
        self.unmapped: Counter[str] = Counter()

    def __call__(self, name: str) -> str | None:
        name = name.strip().strip('"').strip()
        if blank(name) or name.casefold() in self._ignore:
            return None
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        state = self._cache[name]
        if state is None:
            self.unmapped[name] += 1
        return state

    def quiet(self, name: str) -> str | None:
        """Resolve without counting a failure (for cells that may or may not hold a country)."""
        name = name.strip()
        if blank(name):
            return None
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        return self._cache[name]

    def report(self, where: str, what: str, into: list[Problem], min_count: int = 1) -> None:
        """One warning per unmapped name seen at least ``min_count`` times, one for the rest."""
        rest: list[str] = []
        for name, count in sorted(self.unmapped.items(), key=lambda item: (-item[1], item[0])):
            if count >= min_count:
                into.append(Problem(where, f"{what} {name!r} ({count}×) matches no state in the knowledge base; "
                                    "left out"))
            else:
                rest.append(name)
        if rest:
            shown = "; ".join(rest[:15]) + ("; ..." if len(rest) > 15 else "")
            into.append(Problem(where, f"{len(rest)} other {what} name(s), each seen fewer than {min_count} times, "
                                f"match no state and were left out: {shown}"))

    def many(self, cell: str) -> list[str]:
        """States named in a comma-separated cell; the whole cell is tried first, since some names
        hold a comma themselves ("Palestine, State of", "Korea, Republic of")."""
        if not blank(cell) and "," in cell and (whole := self.quiet(cell)):
            return [whole]
        parts = (_CONNECTIVE.sub("", part.strip()).rstrip(".").strip() for part in cell.split(","))
        return unique(s for part in parts if (s := self(part)))


def add_effects(effects: list[Effect], *new: Effect) -> None:
    for effect in new:
        if effect not in effects:
            effects.append(effect)


def summary_text(description: str, fallback: str) -> str:
    """A summary of at least the 20 characters an Incident needs."""
    text = " ".join(description.split())
    return text if len(text) >= 20 else f"{fallback}: {text}" if text else fallback


@dataclass(frozen=True)
class Row:
    where: str  # file:line
    line: int
    cells: list[str]
    values: dict[str, str]


def read_rows(path: Path, required: Iterable[str], errors: list[Problem]) -> Iterator[Row]:
    """Each data row with its ``file:line`` (the line the row starts on). A missing file or missing
    columns raise :class:`DataError` at once; rows with more cells than the header has columns are
    still yielded (some datasets shift cells), with ``values`` keyed by the header."""
    if not path.is_file():
        raise DataError([Problem(str(path), "no such file")])
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            missing = [name for name in required if name not in header]
            if missing:
                raise DataError([Problem(path.name, f"missing column(s) {', '.join(missing)}; found "
                                         f"{', '.join(header) or 'no header'}")])
            start = reader.line_num + 1
            for cells in reader:
                where = f"{path.name}:{start}"
                line = start
                start = reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                yield Row(where, line, cells, dict(zip(header, cells, strict=False)))
    except UnicodeDecodeError as exc:
        raise DataError([Problem(path.name, f"not UTF-8 text: {exc}")]) from None
    except csv.Error as exc:
        errors.append(Problem(path.name, f"cannot read the CSV: {exc}"))
    except OSError as exc:
        raise DataError([Problem(str(path), f"cannot read: {exc}")]) from None


def finish(result: ImportedIncidents, errors: list[Problem]) -> ImportedIncidents:
    """Raise every error at once, or count what was read and return it."""
    if errors:
        raise DataError(errors)
    for record in result.records:
        result.counts[type(record).__name__.lower()] += 1
    result.counts["warnings"] = len(result.warnings)
    return result


_BAD_TEXT = re.compile(r"\?\?|\ufffd|[A-Za-z]\?[A-Za-z]|\s\?[a-z]")


def misencoded(text: str) -> bool:
    """Characters lost in an export: ``Children?? Hospital``, ``as?Pawn Storm``, U+FFFD."""
    return bool(_BAD_TEXT.search(text))


_CONNECTIVE = re.compile(r"^(?:and|the)\s+", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19[89]|20[0-3])\d)(?!\d)")


def year_hint(*texts: str) -> str | None:
    """The earliest plausible year (1980–2039) named in the texts (dates, descriptions, source
    URLs): the best start we can give an incident whose dataset row has no start date. Callers
    use it only at year precision and say so in the record's notes and a warning."""
    years = [match.group(1) for text in texts for match in _YEAR.finditer(text or "")]
    return min(years) if years else None
