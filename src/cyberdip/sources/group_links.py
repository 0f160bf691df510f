"""Threat groups from several sources: what an import returns, and links between the sources.

Vendors and catalogues name the same group differently (APT28, Fancy Bear, Sofacy, STRONTIUM...).
Each source keeps its own group record; :func:`link_groups` proposes :class:`GroupLink` records
between groups of *different* sources whose names or aliases coincide once normalised. Nothing is
merged: a link says on what basis it was made and who made it, so a person can overrule it.

Also here, because both group importers (:mod:`cyberdip.sources.misp`,
:mod:`cyberdip.sources.attack`) share them: :class:`ImportedGroups`, reading a (gzipped) JSON
file with errors that name it, and cutting a source's description down to a short summary.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cyberdip.model import Actor, AttributionClaim, Citation, GroupLink, Record
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.values import normalise_name

# ---------------------------------------------------------------------------------------------
# What a group import returns


@dataclass
class ImportedGroups:
    """What one group import read: group actors and attribution claims, ready for the store.

    ``warnings`` are things skipped or left out (revoked groups, unknown states, duplicates); the
    records returned are valid without them. ``counts`` says how many of what were read, made and
    skipped, for the import's summary.
    """

    source: str  # "misp" or "attack"
    format: str  # e.g. "misp-galaxy cluster v349", "stix-2.0"
    groups: list[Actor] = field(default_factory=list)
    claims: list[AttributionClaim] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> list[Record]:
        return [*self.groups, *self.claims]

    def count(self, key: str, by: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + by


# ---------------------------------------------------------------------------------------------
# Linking


#: Aliases too generic to say two groups are the same (compared after normalise_name).
GENERIC_ALIASES = frozenset({
    "unknown", "unknown actor", "unknown group", "unattributed", "unnamed", "unnamed actor", "unnamed group",
    "none", "n a", "na", "other", "apt", "apt group", "group", "team", "actor", "threat actor", "hacker",
    "hackers", "hacker group", "hacktivists", "anonymous hackers", "cybercriminals", "ransomware", "espionage",
})


def is_generic(alias: str) -> bool:
    """True for aliases that cannot identify a group: very short, only digits, or in :data:`GENERIC_ALIASES`."""
    key = normalise_name(alias)
    return len(key.replace(" ", "")) <= 2 or key.replace(" ", "").isdigit() or key in GENERIC_ALIASES


def source_of(group: Actor) -> str:
    """Which source a group record comes from: ``group:misp/apt28`` → ``misp``; groups of the
    curated dataset (``group:apt28``) → ``curated``."""
    local = group.id.split(":", 1)[1]
    return local.split("/", 1)[0] if "/" in local else "curated"


def link_groups(groups: Sequence[Actor], decided_by: str) -> list[GroupLink]:
    """Links between groups of different sources that share a normalised name or alias.

    The basis names the shared alias (``shared alias 'Fancy Bear'``, or ``shared aliases 'APT28',
    'Sofacy' and 12 more``). When a group matches several groups of the same other source, each
    of those links is still made but its basis says it is ambiguous and with what. Generic aliases
    (:func:`is_generic`) never link. Groups of the same source are never linked to each other
    (a source's own duplicates are its business). Each link cites the sources of both groups.
    """
    by_id: dict[str, Actor] = {}
    for group in groups:
        by_id.setdefault(group.id, group)
    # normalised alias -> source -> {group id -> the alias as that group spells it}
    index: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for group in by_id.values():
        for alias in [group.name, *group.aliases]:
            if not is_generic(alias):
                index[normalise_name(alias)][source_of(group)].setdefault(group.id, alias.strip())
    # (a, b) with a < b -> shared aliases (as a spells them)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for by_source in index.values():
        sources = sorted(by_source)
        for i, first in enumerate(sources):
            for second in sources[i + 1:]:
                for a_id, a_alias in by_source[first].items():
                    for b_id in by_source[second]:
                        pair = (a_id, b_id) if a_id < b_id else (b_id, a_id)
                        spelled = a_alias if pair[0] == a_id else by_source[second][b_id]
                        if spelled not in shared[pair]:
                            shared[pair].append(spelled)
    # group id -> other source -> partners there
    partners: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a_id, b_id in shared:
        partners[a_id][source_of(by_id[b_id])].append(b_id)
        partners[b_id][source_of(by_id[a_id])].append(a_id)

    links = []
    for (a_id, b_id), aliases in sorted(shared.items()):
        a, b = by_id[a_id], by_id[b_id]
        notes = []
        for one, other in ((a, b), (b, a)):
            rivals = sorted(set(partners[one.id][source_of(other)]) - {other.id})
            if rivals:
                shown = ", ".join(rivals[:3]) + (f" and {len(rivals) - 3} more" if len(rivals) > 3 else "")
                notes.append(f"{one.id} also matches {shown}")
        basis = _alias_basis(_best_first(aliases, a, b))
        if notes:
            basis += " (ambiguous: " + "; ".join(notes) + ")"
        links.append(GroupLink(a=a_id, b=b_id, status="same", basis=basis, decided_by=decided_by,
                               sources=_both_sources(a, b)))
    return links


def _best_first(aliases: list[str], a: Actor, b: Actor) -> list[str]:
    """Shared aliases with the groups' own names first: 'APT28' says more than 'Group 74'."""
    names = {normalise_name(a.name), normalise_name(b.name)}
    return sorted(aliases, key=lambda alias: (normalise_name(alias) not in names, aliases.index(alias)))


def _alias_basis(aliases: list[str]) -> str:
    if len(aliases) == 1:
        return f"shared alias '{aliases[0]}'"
    shown = ", ".join(f"'{alias}'" for alias in aliases[:3])
    more = len(aliases) - 3
    return f"shared aliases {shown}" + (f" and {more} more" if more > 0 else "")


def _both_sources(a: Actor, b: Actor) -> list[Citation]:
    seen: set[tuple[str, str | None]] = set()
    cited = []
    for citation in [*a.sources, *b.sources]:
        key = (str(citation.url), citation.locator)
        if key not in seen:
            seen.add(key)
            cited.append(citation)
    return cited


# ---------------------------------------------------------------------------------------------
# Shared by the group importers


def read_json(path: Path) -> Any:
    """The parsed content of a ``.json`` or gzipped ``.json.gz`` file; :class:`DataError` naming the
    file (and line) when it cannot be read or parsed."""
    if not path.is_file():
        raise DataError([Problem(str(path), "no such file")])
    try:
        with path.open("rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
        if gzipped:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return json.load(handle)
        with path.open("r", encoding="utf-8-sig") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(f"{path.name}:{exc.lineno}", f"malformed JSON: {exc.msg} (column {exc.colno})")]) \
            from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError([Problem(str(path), f"cannot read: {exc}")]) from None


_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "inc", "ltd", "co", "corp", "no", "vs", "al", "approx", "st", "mr",
                            "dr", "jr", "sr", "u.s", "u.k", "u.n"})
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_CITATION = re.compile(r"\(Citation:[^)]*\)")

SUMMARY_LIMIT = 299


def short_summary(text: str | None, limit: int = SUMMARY_LIMIT) -> str | None:
    """The first sentence of a source's description, shortened to at most ``limit`` characters.

    Markdown links keep their text and ATT&CK's ``(Citation: ...)`` markers are dropped: the record
    cites the source, and a summary is a pointer to it, not a copy.
    """
    if not text:
        return None
    text = _CITATION.sub("", _MARKDOWN_LINK.sub(r"\1", text))
    text = " ".join(text.split())
    if not text:
        return None
    sentence = text
    for match in _SENTENCE_END.finditer(text):
        word = text[: match.start()].rsplit(" ", 1)[-1].lstrip("([\"'").casefold()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):  # "Mr.", "U.S.", "J. Smith"
            continue
        sentence = text[: match.start() + 1]
        break
    if len(sentence) > limit:
        cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
        sentence = cut + "…"
    return sentence


def first_error(exc: Exception) -> str:
    """The first validation error as ``field: reason`` (or the exception's text)."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"])
        return f"{location}: {error['msg']}" if location else str(error["msg"])
    return str(exc)
