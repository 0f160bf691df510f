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
                  cutoff: float = 80.0) -> list[Match]:
    """Names within a few typos of a normalised ``query`` (candidates are (record id, name,
    normalised name)), one per record, best first. Scores run 0–100.

    Codes of three letters or fewer (ISO codes, acronyms) only ever match exactly: fuzzy scores on
    them are noise ("USA" is not "SA").
    """
    pool = [c for c in candidates if len(c[2]) > _SHORTEST_FUZZY]
    if len(query) <= _SHORTEST_FUZZY or not pool:
        return []
    choices = [norm for _, _, norm in pool]
    hits = process.extract(query, choices, scorer=fuzz.QRatio, limit=limit * 4, score_cutoff=cutoff)
    best: dict[str, Match] = {}
    for _, score, index in hits:
        record_id, name, _ = pool[index]
        if record_id not in best or best[record_id].score < score:
            best[record_id] = Match(record_id, name, float(score))
    return sorted(best.values(), key=lambda m: (-m.score, m.record_id))[:limit]


def word_matches(query: str, candidates: Sequence[tuple[str, str, str]]) -> list[Match]:
    """Candidates whose name has, for every word of the normalised ``query``, a word starting with
    it: "budapest convention" and "threat intel" both find their records; a name containing the
    query as consecutive whole words scores higher than one with the words scattered."""
    words = query.split()
    if not words:
        return []
    phrase = f" {query} "
    found: dict[str, Match] = {}
    for record_id, name, norm in candidates:
        tokens = norm.split()
        if all(any(token.startswith(word) for token in tokens) for word in words):
            score = 85.0 if phrase in f" {norm} " else 82.0
            if record_id not in found or found[record_id].score < score:
                found[record_id] = Match(record_id, name, score)
    return sorted(found.values(), key=lambda m: (-m.score, m.record_id))
