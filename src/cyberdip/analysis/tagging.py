"""Which policy matters a roll call is about, from its symbol and title.

Datasets file the UN cyber resolutions under their own issue codes ("economic development",
"arms control"); cyberdip tags them from the phrases each matter lists in its ``keywords``
(e.g. "information and telecommunications in the context of international security"), so the
ICT security series lands in the cyber matters whatever the source says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cyberdip.model.values import normalise_name


@dataclass(frozen=True)
class MatterRule:
    matter: str
    phrases: tuple[str, ...]  # normalised

    @classmethod
    def of(cls, matter: str, keywords: Sequence[str]) -> MatterRule:
        return cls(matter, tuple(p for p in (normalise_name(k) for k in keywords) if p))


def tag(symbol: str, text: str, rules: Sequence[MatterRule]) -> list[str]:
    """Matter ids whose phrases occur (as whole words) in the symbol or text."""
    haystack = f" {normalise_name(symbol)} {normalise_name(text)} "
    return [rule.matter for rule in rules if any(f" {phrase} " in haystack for phrase in rule.phrases)]
