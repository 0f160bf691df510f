"""How strongly the public record attributes an operation to a state, derived from the claims.

Claims are never merged into fact. For each state named, the strength is the best kind of
evidence behind it, in this order (strongest first):

1. ``several_governments`` — formal statements, indictments or sanctions by two or more
   governments or international organisations;
2. ``one_government`` — such a step by one government or international organisation;
3. ``industry`` — technical reports by security companies or researchers;
4. ``media`` — press reports, or claims whose basis is not stated;
5. ``self`` — only the attacker's own claim.

Claims naming a threat group count for a state when another claim attributes that group to the
state. Claims naming different states make the attribution ``contested``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cyberdip.model import AttributionClaim

LEVELS = ("none", "self", "media", "industry", "one_government", "several_governments")
#: each level in words, for people
LEVEL_WORDS = {"several_governments": "by several governments", "one_government": "by one government",
               "industry": "in industry reports only", "media": "in media reports only",
               "self": "claimed by the attacker only", "none": "not attributed"}
_OFFICIAL = {"government", "international_organization"}
_FORMAL_TYPES = {"political_statement", "indictment", "sanctions"}


@dataclass(frozen=True)
class Strength:
    state: str
    level: str
    claimants: tuple[str, ...]
    claims: tuple[str, ...]
    contested_by: tuple[str, ...]  # other states named for the same operation

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)

    def caveat(self) -> str:
        who = ", ".join(self.claimants) or "no one"
        text = {
            "several_governments": f"attributed by several governments or organisations ({who})",
            "one_government": f"attributed by one government or organisation ({who})",
            "industry": f"attributed only in industry or research reports ({who})",
            "media": f"attributed only in media reports or without a stated basis ({who})",
            "self": "claimed only by the attacker itself",
            "none": "no public attribution to this state",
        }[self.level]
        if self.contested_by:
            text += f"; other claims name {', '.join(self.contested_by)}"
        return text


def _level(claim: AttributionClaim) -> int:
    kind, kind_of_claim = claim.claimant_kind.value, claim.type.value
    if kind == "self" or kind_of_claim == "self_attribution":
        return LEVELS.index("self")
    if kind in _OFFICIAL and kind_of_claim in _FORMAL_TYPES | {"technical_report"}:
        return LEVELS.index("one_government")
    if kind in ("company", "researcher") and kind_of_claim == "technical_report" and claim.basis:
        return LEVELS.index("industry")
    return LEVELS.index("media")


def strengths(claims: Sequence[AttributionClaim], group_sponsors: dict[str, list[AttributionClaim]],
              group_states: dict[str, set[str]] | None = None) -> list[Strength]:
    """Attribution strength for every state the claims (directly or through a group) name.

    ``group_sponsors`` maps a group id to the claims attributing that group to a state;
    ``group_states`` maps a group to the states the incident record itself alleges stand behind
    it (its ``nexus``), used when no claim links the group to a state.
    """
    per_state: dict[str, list[tuple[int, AttributionClaim, str]]] = defaultdict(list)
    for claim in claims:
        if claim.attributed_to.startswith("state:"):
            per_state[claim.attributed_to].append((_level(claim), claim, _who(claim)))
        elif claim.attributed_to.startswith("group:"):
            sponsors = [s for s in group_sponsors.get(claim.attributed_to, []) if s.attributed_to.startswith("state:")]
            for sponsor in sponsors:
                # through a group: as strong as the weaker of the two links
                level = min(_level(claim), _level(sponsor))
                per_state[sponsor.attributed_to].append((level, claim, _who(claim)))
            if not sponsors:
                for state in (group_states or {}).get(claim.attributed_to, set()):
                    per_state[state].append((_level(claim), claim, _who(claim)))
    result = []
    for state, entries in per_state.items():
        # governments are counted once however many of their agencies spoke
        official = {c.claimant_state or who for level, c, who in entries
                    if c.claimant_kind.value in _OFFICIAL and level >= LEVELS.index("one_government")}
        best = max(level for level, _, _ in entries)
        if best >= LEVELS.index("one_government") and len(official) >= 2:
            best = LEVELS.index("several_governments")
        others = tuple(sorted(s for s in per_state if s != state))
        result.append(Strength(state, LEVELS[best], tuple(sorted({who for _, _, who in entries})),
                               tuple(sorted({c.id for _, c, _ in entries})), others))
    result.sort(key=lambda s: (-s.rank, s.state))
    return result


def _who(claim: AttributionClaim) -> str:
    return claim.claimant or claim.claimant_name or "unknown"
