"""Which incident records of different datasets describe the same incident.

Datasets name incidents differently ("NotPetya", "NotPetya_A", "The Russian state-sponsored APT
Sandworm ... wiper-campaign called "NotPetya" ..."), date them differently (first sighting,
disclosure, attribution) and split them differently (DCID keeps one record per pair of states).
Two records are compared only if their names share a distinctive word: one that is not generic
("attack", "campaign", "ransomware") and that few incident names use. The evidence then decides:

- **same**: a distinctive word shared, and the dates within 60 days of each other, or within
  200 days with an attributed actor or a victim in common;
- **possibly same** (a person decides): a distinctive word shared and the dates within 400 days
  or unknown; or only a word that narrows down without naming (a sector, a people: "Vietnamese",
  "think tanks") shared, and the dates within 60 days.

Records of one dataset are never linked to each other: a dataset's own split is its decision.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cyberdip.model.values import date_floor

#: words that say what kind of incident it was, not which one
GENERIC = frozenset({
    "about", "accessed", "across", "activity", "actor", "actors", "affected",
    "affecting", "against", "alleged", "allegedly", "also", "apt", "attack", "attacked", "attackers",
    "attacks", "attributed", "before", "breach", "breached", "called", "campaign", "campaigns", "chinese",
    "claimed", "compromise", "compromised", "computer", "computers", "critical", "cyber", "cyberattack",
    "cyberattacks", "cyberespionage", "data", "ddos", "defacement", "denial", "destructive", "disrupted",
    "disruption", "during", "election", "elections", "email", "emails", "entities", "espionage", "exfiltrated",
    "exploit", "exploited", "file", "files", "first", "following", "from", "government", "governmental",
    "governments", "group", "groups", "hack", "hacked", "hacker", "hackers", "hacking", "information",
    "infrastructure", "infrastructures", "intrusion", "intrusions", "iranian", "korean", "leak", "leaked",
    "malicious", "malware", "military", "ministry", "national", "networks", "north", "operation",
    "operations", "phishing", "private", "public", "ransomware", "research", "russian", "service",
    "services", "since", "sponsored", "spyware", "state", "states", "stole", "stolen", "systems", "targeted",
    "targeting", "targets", "theft", "their", "these", "this", "through", "used", "using", "various", "victims",
    "websites", "were", "where", "which", "while", "wiper", "with", "worldwide"
})
#: words that narrow an incident down (a sector, a people, a year) without naming it: shared,
#: they suggest a link when the dates are close, never decide one
WEAK = frozenset({
    "accounts", "african", "american", "arab", "asian", "bank", "banks", "british", "canadian", "chain",
    "companies", "company", "customers", "database", "defence", "defense", "east", "energy", "european",
    "financial", "foreign", "french", "german", "grid", "health", "hospital", "hospitals", "indian", "israeli",
    "japanese", "middle", "network", "pakistani", "power", "presidential", "provider", "providers", "saudi",
    "southeast", "supply", "taiwanese", "tanks", "telecom", "telecommunications", "think", "turkish",
    "ukrainian", "users", "vietnamese",
})
#: a word used in more incident names than this identifies no single incident
MAX_NAMES_PER_WORD = 12
SAME_DAYS, SAME_WITH_PARTIES_DAYS, RELATED_DAYS = 60, 200, 400
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class IncidentFacts:
    """What matching reads of an incident record."""

    id: str
    dataset: str
    name: str
    start: str | None
    aliases: tuple[str, ...] = ()
    victims: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Match:
    a: str
    b: str
    status: Literal["same", "possibly_same"]
    basis: str


def words(text: str) -> set[str]:
    """The distinctive-looking words of a name: four letters or more, not generic, not a number."""
    return {w for w in _WORD.findall(text.casefold().replace("_", " "))
            if len(w) >= 4 and w not in GENERIC and not w.isdigit()}


def match_incidents(incoming: Sequence[IncidentFacts], known: Sequence[IncidentFacts], *,
                    weak: frozenset[str] = frozenset()) -> list[Match]:
    """Links between each incoming record and the known ones (and the other incoming ones) of
    other datasets. ``weak`` adds words that narrow down without naming (e.g. the words of
    states' names) to :data:`WEAK`."""
    weak = WEAK | weak
    everyone = {f.id: f for f in [*known, *incoming]}
    index: dict[str, set[str]] = defaultdict(set)
    for facts in everyone.values():
        for word in _words_of(facts):
            index[word].add(facts.id)
    rare = {word: ids for word, ids in index.items() if len(ids) <= MAX_NAMES_PER_WORD}
    found: dict[tuple[str, str], Match] = {}
    for facts in incoming:
        shared_by: dict[str, set[str]] = defaultdict(set)
        for word in _words_of(facts):
            for named in rare.get(word, ()):
                shared_by[named].add(word)
        for other_id, shared in shared_by.items():
            other = everyone[other_id]
            first, second = sorted((facts.id, other_id))
            if other.dataset == facts.dataset or (first, second) in found:
                continue
            decided = _decide(facts, other, sorted(shared), strong=bool(shared - weak))
            if decided is not None:
                found[(first, second)] = Match(first, second, *decided)
    return sorted(found.values(), key=lambda m: (m.a, m.b))


def _words_of(facts: IncidentFacts) -> set[str]:
    return set().union(words(facts.name), *(words(alias) for alias in facts.aliases))


def _decide(a: IncidentFacts, b: IncidentFacts, shared: list[str], *,
            strong: bool) -> tuple[Literal["same", "possibly_same"], str] | None:
    gap = _days_apart(a.start, b.start)
    parties = sorted((a.actors & b.actors) | (a.victims & b.victims))
    if (gap is not None and gap > RELATED_DAYS) or (not strong and (gap is None or gap > SAME_DAYS)):
        return None
    evidence = [f"name{'s' if len(shared) > 1 else ''} share {', '.join(repr(w) for w in shared)}"]
    evidence.append(f"dates {a.start} and {b.start} ({gap} days apart)" if gap is not None else "a date unknown")
    if parties:
        evidence.append(f"in common: {', '.join(parties[:4])}")
    same = strong and gap is not None and (gap <= SAME_DAYS or (bool(parties) and gap <= SAME_WITH_PARTIES_DAYS))
    return ("same" if same else "possibly_same"), "; ".join(evidence)


def _days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    return abs((date_floor(a) - date_floor(b)).days)


def clusters(links: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Each record's cluster of records linked as the same incident (links are transitive)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        groups[root(x)].add(x)
    return {x: groups[root(x)] for x in parent}
