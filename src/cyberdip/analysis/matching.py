"""Name matching for search and did-you-mean suggestions."""

from __future__ import annotations

from bisect import bisect_left
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


class NameIndex:
    """Every record's names (record id, name, normalised name), with their words sorted so that the
    names having a word that starts with a given prefix are found by bisection, not by a scan."""

    def __init__(self, candidates: Sequence[tuple[str, str, str]]) -> None:
        self.candidates = list(candidates)
        pairs = sorted((token, i) for i, (_, _, norm) in enumerate(self.candidates) for token in set(norm.split()))
        self._tokens = [token for token, _ in pairs]
        self._owners = [i for _, i in pairs]
        self._fuzzy_pool = [c for c in self.candidates if len(c[2]) > _SHORTEST_FUZZY]

    def _starting_with(self, prefix: str) -> set[int]:
        low = bisect_left(self._tokens, prefix)
        high = bisect_left(self._tokens, prefix + "\U0010ffff")
        return set(self._owners[low:high])

    def word_matches(self, query: str) -> list[Match]:
        """Names having, for every word of the normalised ``query``, a word starting with it:
        "budapest convention" and "threat intel" both find their records; a name containing the
        query as consecutive whole words scores higher than one with the words scattered."""
        words = query.split()
        if not words:
            return []
        chosen = set.intersection(*(self._starting_with(word) for word in words))
        phrase = f" {query} "
        found: dict[str, Match] = {}
        for i in chosen:
            record_id, name, norm = self.candidates[i]
            score = 85.0 if phrase in f" {norm} " else 82.0
            if record_id not in found or found[record_id].score < score:
                found[record_id] = Match(record_id, name, score)
        return sorted(found.values(), key=lambda m: (-m.score, m.record_id))

    def fuzzy_matches(self, query: str, *, limit: int = 10) -> list[Match]:
        """See :func:`fuzzy_matches`."""
        return fuzzy_matches(query, self._fuzzy_pool, limit=limit)
