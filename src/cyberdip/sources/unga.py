"""UN General Assembly roll-call votes from the files researchers actually have.

Four formats, told apart by their header:

- **unvotes** — the R package's tables (``un_votes``, ``un_roll_calls``, optionally
  ``un_roll_call_issues``), CSV, gzipped or not; ISO alpha-2 country codes, votes yes/no/abstain
  (absences are simply missing rows);
- **voeten** — Voeten's Dataverse table: one row per state and roll call, Correlates-of-War codes,
  votes 1 yes, 2 abstain, 3 no, 8 absent, 9 not a member;
- **undl** — the UN Digital Library export: one row per member state and resolution, ISO alpha-3
  codes (``ms_code``), votes Y, N, A, or blank/NV/X for not voting; its agenda item becomes the
  roll call's description and its UNBIS subject terms the dataset's issues, and both are tagged;
- **snapshot** — cyberdip's own compact file (gzipped JSON): the roll calls as stored, each with
  one character per state for its vote (see :func:`write_snapshot`); cyberdip ships one.

Every reader yields :class:`RollCall` records (each citing the dataset) and vote rows; a bad row
is reported with its file and line, and nothing is returned unless every row is understood.
Mapping a country to one of the knowledge base's states is the caller's: pass a
:class:`StateLookup` built from the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cyberdip.model import Citation, RollCall
from cyberdip.model.errors import DataError, Problem

YES, ABSTAIN, NO, ABSENT, NON_MEMBER = 1, 2, 3, 8, 9
UN = "org:un"

#: Continuing states whose votes our knowledge base files under today's state.
CONTINUITY_BY_NAME = {
    "federal republic of germany": "state:DEU",
    "yemen arab republic": "state:YEM",
    "zanzibar": "state:TZA",
}
CONTINUITY_BY_COW = {260: "state:DEU", 678: "state:YEM", 511: "state:TZA"}
#: The Socialist Federal Republic of Yugoslavia until 1992; from 1 November 2000 the FR Yugoslavia,
#: then Serbia and Montenegro, then Serbia held the seat (same ISO "YU" and COW 345 in the data).
SERBIA_SEAT_FROM = "2000-11-01"

UNVOTES_SOURCE = Citation(
    url="https://github.com/dgrtwo/unvotes",
    title="unvotes: United Nations General Assembly Voting Data (R package)",
    publisher="David Robinson, from data by Erik Voeten, Anton Strezhnev and Michael Bailey",
    published="2021",
)
VOETEN_SOURCE = Citation(
    url="https://hdl.handle.net/1902.1/12379",
    title="United Nations General Assembly Voting Data",
    publisher="Harvard Dataverse (Erik Voeten, Anton Strezhnev, Michael Bailey)",
    published="2009",
)
UNDL_SOURCE = Citation(
    url="https://digitallibrary.un.org/record/4060887",
    title="United Nations General Assembly Voting Data",
    publisher="United Nations Dag Hammarskjöld Library",
    published="2024",
)


@dataclass(frozen=True)
class StateLookup:
    """How country codes and names in vote files map to state ids of the knowledge base."""

    by_iso2: dict[str, str]
    by_iso3: dict[str, str]
    by_cow: dict[int, str]
    by_name: dict[str, str]  # normalised names and aliases

    def resolve(self, *, iso2: str = "", iso3: str = "", cow: int | None = None, name: str = "",
                date: str = "") -> str | None:
        if iso2 == "YU" or cow == 345:
            return "state:SRB" if date >= SERBIA_SEAT_FROM else "state:YUG"
        key = name.strip().casefold()
        if key in CONTINUITY_BY_NAME and not (iso2 or iso3):
            return CONTINUITY_BY_NAME[key]
        if cow is not None and cow in CONTINUITY_BY_COW:
            return CONTINUITY_BY_COW[cow]
        return (
            (self.by_iso2.get(iso2) if iso2 else None)
            or (self.by_iso3.get(iso3) if iso3 else None)
            or (self.by_cow.get(cow) if cow is not None else None)
            or self.by_name.get(key)
        )


@dataclass
class VoteData:
    """What one import read: roll calls and votes, ready for the store."""

    format: str
    rollcalls: list[RollCall] = field(default_factory=list)
    votes: list[tuple[str, str, int]] = field(default_factory=list)  # (rollcall id, state id, code)


Tagger = Callable[[str, str], list[str]]  # (symbol, text) -> matter ids


def detect_format(path: Path) -> str:
    """``unvotes``, ``voeten``, ``undl`` or ``snapshot``, from the header of the file (or the folder's
    votes file)."""
    if path.name.endswith((".json.gz", ".json")):
        return "snapshot"
    file = _votes_file(path) if path.is_dir() else path
    header = set(_header(file))
    if {"rcid", "ccode", "vote"} <= header:
        return "voeten"
    if {"rcid", "country_code", "vote"} <= header:
        return "unvotes"
    if {"undl_id", "ms_code", "ms_vote"} <= header:
        return "undl"
    raise DataError([Problem(str(file), "not a UN vote file I know: expected the unvotes, Voeten or UN Digital "
                             f"Library columns, found {', '.join(sorted(header)) or 'no header'}")])


def read_votes(path: Path, lookup: StateLookup, tag: Tagger) -> VoteData:
    """Read any supported UN vote file or folder."""
    readers = {"unvotes": read_unvotes, "voeten": read_voeten, "undl": read_undl, "snapshot": read_snapshot}
    return readers[detect_format(path)](path, lookup, tag)


# ---------------------------------------------------------------------------------------------


def read_unvotes(path: Path, lookup: StateLookup, tag: Tagger) -> VoteData:
    votes_file = _votes_file(path) if path.is_dir() else path
    folder = votes_file.parent
    calls_file = _sibling(folder, "un_roll_calls")
    issues_file = _find(folder, "un_roll_call_issues")
    problems: list[Problem] = []
    issues: dict[str, list[str]] = {}
    if issues_file:
        for _where, row in _rows(issues_file, problems):
            issues.setdefault(row.get("rcid", "").strip(), []).append(row.get("issue", "").strip())
    data = VoteData("unvotes")
    dates: dict[str, str] = {}
    for where, row in _rows(calls_file, problems):
        try:
            rcid = str(int(row["rcid"]))
            date = _iso_date(row["date"])
            symbol = normalise_symbol(row.get("unres", ""))
            title = (row.get("short") or "").strip() or (row.get("descr") or "").strip() or f"Roll call {rcid}"
            text = subject_text(row.get("short", ""), row.get("descr", ""))
            data.rollcalls.append(RollCall(
                id=f"rollcall:unga-{rcid}", body=UN, session=int(row["session"]), date=date,
                symbol=symbol or None, title=title[:500], description=(row.get("descr") or None),
                important=_flag(row.get("importantvote")), amendment=bool(_flag(row.get("amend"))),
                paragraph=bool(_flag(row.get("para"))), matters=tag(symbol, text),
                dataset_issues=issues.get(rcid, []),
                sources=[UNVOTES_SOURCE.model_copy(update={"locator": f"rcid {rcid}"})],
            ))
            dates[rcid] = date
        except (KeyError, ValueError) as exc:
            problems.append(Problem(where, f"bad roll call row: {_reason(exc)}"))
    codes = {"yes": YES, "no": NO, "abstain": ABSTAIN}
    unknown: dict[str, int] = {}
    resolved: dict[tuple[str, str], str | None] = {}
    for where, row in _rows(votes_file, problems):
        rcid = row.get("rcid", "").strip()
        if rcid not in dates:
            problems.append(Problem(where, f"vote for roll call {rcid!r}, which {calls_file.name} does not list"))
            continue
        vote = codes.get(row.get("vote", "").strip().casefold())
        if vote is None:
            problems.append(Problem(where, f"unknown vote {row.get('vote')!r} (expected yes, no or abstain)"))
            continue
        key = (row.get("country_code", "").strip(), row.get("country", ""))
        if key[0] == "YU":  # the one code whose state depends on the date
            state = lookup.resolve(iso2="YU", date=dates[rcid])
        else:
            if key not in resolved:
                resolved[key] = lookup.resolve(iso2=key[0], name=key[1])
            state = resolved[key]
        if state is None:
            label = f"{row.get('country')} ({row.get('country_code')})"
            unknown[label] = unknown.get(label, 0) + 1
            continue
        data.votes.append((f"rollcall:unga-{rcid}", state, vote))
    _report_unknown(votes_file, unknown, problems)
    _finish(problems)
    return data


def read_voeten(path: Path, lookup: StateLookup, tag: Tagger) -> VoteData:
    file = _votes_file(path) if path.is_dir() else path
    problems: list[Problem] = []
    data = VoteData("voeten")
    seen: set[str] = set()
    unknown: dict[str, int] = {}
    for where, row in _rows(file, problems):
        try:
            rcid = str(int(row["rcid"]))
            vote = int(row["vote"])
            cow = int(row["ccode"])
            # one roll call of the 2016 release (rcid 4592) has no date: its year is the best we know
            date = _iso_date(row["date"]) if row.get("date", "").strip() else str(int(row["year"]))
        except (KeyError, ValueError) as exc:
            problems.append(Problem(where, f"bad row: {_reason(exc)}"))
            continue
        if vote not in (YES, ABSTAIN, NO, ABSENT, NON_MEMBER):
            problems.append(Problem(where, f"unknown vote code {vote} (expected 1, 2, 3, 8 or 9)"))
            continue
        if rcid not in seen:
            seen.add(rcid)
            symbol = normalise_symbol(row.get("unres", ""))
            data.rollcalls.append(RollCall(
                id=f"rollcall:unga-{rcid}", body=UN, session=int(row["session"]), date=date,
                symbol=symbol or None, title=f"Roll call {rcid}" + (f" on {symbol}" if symbol else ""),
                important=_flag(row.get("importantvote")), matters=tag(symbol, ""),
                sources=[VOETEN_SOURCE.model_copy(update={"locator": f"rcid {rcid}"})],
            ))
        state = lookup.resolve(cow=cow, date=date)
        if state is None:
            if vote != NON_MEMBER:  # rows for entities that were not members are not votes
                unknown[f"COW {cow}"] = unknown.get(f"COW {cow}", 0) + 1
            continue
        data.votes.append((f"rollcall:unga-{rcid}", state, vote))
    _report_unknown(file, unknown, problems)
    _finish(problems)
    return data


def read_undl(path: Path, lookup: StateLookup, tag: Tagger) -> VoteData:
    file = _votes_file(path) if path.is_dir() else path
    problems: list[Problem] = []
    data = VoteData("undl")
    seen: set[str] = set()
    codes = {"Y": YES, "N": NO, "A": ABSTAIN, "": ABSENT, "NV": ABSENT, "X": ABSENT}
    unknown: dict[str, int] = {}
    for where, row in _rows(file, problems):
        try:
            date = _iso_date(row["date"])
            undl_id = _undl_key(row.get("undl_id", ""), row.get("resolution", ""))
            raw_vote = (row.get("ms_vote") or "").strip().upper()
            if raw_vote not in codes:
                raise ValueError(f"unknown vote {raw_vote!r} (expected Y, N, A, or blank/NV for not voting)")
            vote = codes[raw_vote]
        except (KeyError, ValueError) as exc:
            problems.append(Problem(where, f"bad row: {_reason(exc)}"))
            continue
        rollcall_id = f"rollcall:undl-{undl_id}"
        if undl_id not in seen:
            seen.add(undl_id)
            symbol = normalise_symbol(row.get("resolution", ""))
            title = (row.get("title") or "").strip() or f"Vote on {symbol or undl_id}"
            session = _session(row.get("session", ""), symbol) or _session_of_date(date)
            agenda = (row.get("agenda_title") or "").strip()
            subjects = [term.strip().title() for term in (row.get("subjects") or "").split("|") if term.strip()]
            data.rollcalls.append(RollCall(
                id=rollcall_id, body=UN, session=session, date=date, symbol=symbol or None, title=title[:500],
                description=f"Agenda item: {agenda}" if agenda else None, dataset_issues=subjects,
                matters=tag(symbol, subject_text(title, agenda, " | ".join(subjects))),
                sources=[UNDL_SOURCE.model_copy(update={"locator": f"record {undl_id}"})
                         if undl_id.isdigit() else UNDL_SOURCE.model_copy(update={"locator": symbol})],
            ))
        state = lookup.resolve(iso3=(row.get("ms_code") or "").strip().upper(), name=row.get("ms_name", ""),
                               date=date)
        if state is None:
            label = f"{row.get('ms_name')} ({row.get('ms_code')})"
            unknown[label] = unknown.get(label, 0) + 1
            continue
        data.votes.append((rollcall_id, state, vote))
    _report_unknown(file, unknown, problems)
    _finish(problems)
    return data


# ---------------------------------------------------------------------------------------------

SNAPSHOT_FORMAT = "cyberdip-unga-snapshot/1"
#: a vote code as one character of a snapshot: "." no vote recorded (not yet or no longer a member)
_CODE_CHARS = {0: ".", YES: "Y", ABSTAIN: "A", NO: "N", ABSENT: "X", NON_MEMBER: "-"}
_CHAR_CODES = {char: code for code, char in _CODE_CHARS.items()}


def write_snapshot(path: Path, calls: Sequence[RollCall], states: Sequence[str], codes: npt.NDArray[np.int8],
                   about: dict[str, object]) -> None:
    """Write roll calls and their votes (``codes`` shaped (states, calls), 0 where none is
    recorded) as a snapshot; ``about`` says where they come from and on what terms."""
    rows = []
    for j, call in enumerate(calls):
        kept = call.model_dump(mode="json", exclude={"matters"}, exclude_defaults=True)
        rows.append({**kept, "votes": "".join(_CODE_CHARS[int(code)] for code in codes[:, j])})
    document = {"format": SNAPSHOT_FORMAT, "about": about, "states": list(states), "rollcalls": rows}
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))


def snapshot_about(path: Path) -> dict[str, object]:
    """What a snapshot says of itself (provenance, terms, period)."""
    return dict(_load_snapshot(path).get("about") or {})


def read_snapshot(path: Path, lookup: StateLookup, tag: Tagger) -> VoteData:
    document = _load_snapshot(path)
    problems: list[Problem] = []
    known = {*lookup.by_iso2.values(), *lookup.by_iso3.values(), *lookup.by_cow.values(), *lookup.by_name.values()}
    states = list(document.get("states") or [])
    unknown = [state for state in states if state not in known]
    if unknown:
        problems.append(Problem(str(path), f"states not in the knowledge base: {', '.join(unknown[:10])}"))
    data = VoteData("snapshot")
    for number, row in enumerate(document.get("rollcalls") or [], start=1):
        where = f"{path.name}: roll call {number}"
        try:
            votes = row.pop("votes")
            if len(votes) != len(states) or set(votes) - set(_CHAR_CODES):
                raise ValueError(f"expected {len(states)} vote characters of {''.join(_CHAR_CODES)}")
            call = RollCall.model_validate(row)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            problems.append(Problem(where, f"bad roll call: {_reason(exc)}"))
            continue
        matters = tag(call.symbol or "", subject_text(call.title, call.description or "",
                                                       " | ".join(call.dataset_issues)))
        data.rollcalls.append(call.model_copy(update={"matters": matters}))
        data.votes.extend((call.id, state, _CHAR_CODES[char]) for state, char in zip(states, votes, strict=True)
                          if char != "." and state not in unknown)
    _finish(problems)
    return data


def _load_snapshot(path: Path) -> dict[str, Any]:
    try:
        with _open(path) as handle:
            document = json.load(handle)
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile, json.JSONDecodeError) as exc:
        raise DataError([Problem(str(path), f"cannot read the vote snapshot: {exc}")]) from None
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise DataError([Problem(str(path), f"not a cyberdip vote snapshot (expected format {SNAPSHOT_FORMAT})")])
    return document


# ---------------------------------------------------------------------------------------------

_SYMBOL = re.compile(r"^(?:A/RES/|R/)(\d+)/(\S+)$", re.IGNORECASE)


def subject_text(*texts: str) -> str:
    """What a roll call is about, for tagging: its titles and descriptions, except those that are
    excerpts of the meeting's verbatim record ("The President: ..."), which name every agenda item
    taken up around the vote, not the text voted on."""
    return " ".join(text for text in texts if text and "The President:" not in text)


def normalise_symbol(raw: str) -> str:
    """``R/73/27`` and ``A/RES/73/27`` both become ``A/RES/73/27``; anything else is kept."""
    raw = raw.strip()
    match = _SYMBOL.match(raw)
    return f"A/RES/{match.group(1)}/{match.group(2)}" if match else raw


def _undl_key(raw_id: str, symbol: str) -> str:
    """The Digital Library record number, or (files that leave it blank, such as the DGACM-derived
    file of sessions 74-80) a slug of the resolution symbol, unique per roll call there."""
    raw_id = (raw_id or "").strip()
    if raw_id:
        return str(int(raw_id))
    slug = re.sub(r"[^a-z0-9]+", "-", symbol.strip().casefold()).strip("-")
    if not slug:
        raise ValueError("neither undl_id nor resolution is given")
    return slug


def _session(raw: str, symbol: str) -> int | None:
    raw = (raw or "").strip()
    if raw.upper().startswith("ES"):
        return None  # an emergency special session (ES-10, ES-11): filed under the regular session
    digits = re.sub(r"\D", "", raw)
    if digits:
        return int(digits)
    match = _SYMBOL.match(symbol)
    return int(match.group(1)) if match and match.group(1).isdigit() else None


def _session_of_date(iso_date: str) -> int:
    """The regular session in progress on a date: the Nth session opens in September 1945 + N."""
    year, month = int(iso_date[:4]), int(iso_date[5:7])
    return year - 1945 if month >= 9 else year - 1946


def _iso_date(raw: str) -> str:
    raw = raw.strip()
    for form in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(raw, form).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {raw!r}")


def _flag(raw: str | None) -> bool | None:
    raw = (raw or "").strip()
    if raw in ("", "NA"):
        return None
    return raw not in ("0", "0.0", "false", "FALSE")


def _reason(exc: Exception) -> str:
    return f"missing column {exc}" if isinstance(exc, KeyError) else str(exc)


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def _header(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError([Problem(str(path), "no such file")])
    try:
        with _open(path) as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise DataError([Problem(str(path), f"cannot read: {exc}")]) from None


def _rows(path: Path, problems: list[Problem]) -> Iterator[tuple[str, dict[str, str]]]:
    """Each row as a dict with its ``file:line``; rows with more cells than columns are reported.

    Built on ``csv.reader`` (lists are several times cheaper than ``DictReader``'s dicts on the
    million-row vote tables); the dict is made with one ``zip``.
    """
    try:
        with _open(path) as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            width = len(header)
            for cells in reader:
                if len(cells) > width:
                    problems.append(Problem(f"{path.name}:{reader.line_num}", "more cells than the header has columns"))
                    continue
                # a short row reads its missing cells as absent (empty), which the readers then check
                yield f"{path.name}:{reader.line_num}", dict(zip(header, cells, strict=False))
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile, csv.Error) as exc:
        problems.append(Problem(path.name, f"cannot read: {exc}"))


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.gz"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _sibling(folder: Path, stem: str) -> Path:
    found = _find(folder, stem)
    if found is None:
        raise DataError([Problem(str(folder), f"{stem}.csv (or .csv.gz) is needed beside the votes file")])
    return found


def _votes_file(folder: Path) -> Path:
    for stem in ("un_votes", "UNVotesPublished", "votes"):
        found = _find(folder, stem)
        if found:
            return found
    csvs = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.csv.gz"))
    if len(csvs) == 1:
        return csvs[0]
    raise DataError([Problem(str(folder), "cannot tell which file holds the votes: name it un_votes.csv, or "
                             "pass the file itself")])


def _report_unknown(file: Path, unknown: dict[str, int], problems: list[Problem]) -> None:
    for label, count in sorted(unknown.items()):
        problems.append(Problem(file.name, f"{count} vote(s) by {label}, which matches no state in the knowledge base"))


def _finish(problems: list[Problem]) -> None:
    if problems:
        raise DataError(problems)
