"""Name matching for search and did-you-mean suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_SHORTEST_FUZZY = 3


@dataclass(frozen=True)
class Match:
    record_id: str
    name: str
    score: float


def fuzzy_matches(query: str, candidates: Sequence[tuple[str, str, str]], *, limit: int = 10,
                  cutoff: float = 70.0) -> list[Match]:
    """Best matches of a normalised ``query`` among (record id, name, normalised name) candidates,
    one per record, best first. Scores run 0–100.

    Codes of three letters or fewer (ISO codes, acronyms) only ever match exactly: fuzzy scores on
    them are noise ("USA" is not "SA").
    """
    pool = [c for c in candidates if len(c[2]) > _SHORTEST_FUZZY]
    if len(query) <= _SHORTEST_FUZZY or not pool:
        return []
    choices = [norm for _, _, norm in pool]
    hits = process.extract(query, choices, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=cutoff)
    best: dict[str, Match] = {}
    for _, score, index in hits:
        record_id, name, _ = pool[index]
        if record_id not in best or best[record_id].score < score:
            best[record_id] = Match(record_id, name, float(score))
    return sorted(best.values(), key=lambda m: (-m.score, m.record_id))[:limit]


def whole_word_matches(query: str, candidates: Sequence[tuple[str, str, str]]) -> list[Match]:
    """Candidates whose normalised name contains the normalised ``query`` as whole words:
    "budapest convention" is in "convention on cybercrime budapest convention"."""
    if not query:
        return []
    needle = f" {query} "
    found: dict[str, Match] = {}
    for record_id, name, norm in candidates:
        if needle in f" {norm} " and record_id not in found:
            found[record_id] = Match(record_id, name, 95.0)
    return sorted(found.values(), key=lambda m: m.record_id)
