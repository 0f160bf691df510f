"""Roll-call votes as a matrix: the shape every vote analysis works on.

Rows are states, columns roll calls; each cell holds a :data:`YES`, :data:`ABSTAIN`, :data:`NO`
or :data:`NONE` code. NONE covers every way of not voting (absent, not a member, not recorded):
analyses delete those pairwise, never treat them as abstentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NONE, YES, ABSTAIN, NO = 0, 1, 2, 3
#: position of each vote on the 0..1 scale the similarity measures use (yes 1, abstain ½, no 0)
SCALE = {YES: 1.0, ABSTAIN: 0.5, NO: 0.0}

Codes = npt.NDArray[np.int8]


@dataclass(frozen=True)
class VoteMatrix:
    states: tuple[str, ...]
    rollcalls: tuple[str, ...]
    codes: Codes  # shape (len(states), len(rollcalls))

    def __post_init__(self) -> None:
        if self.codes.shape != (len(self.states), len(self.rollcalls)):
            raise ValueError(f"codes have shape {self.codes.shape}, expected "
                             f"({len(self.states)}, {len(self.rollcalls)})")

    @classmethod
    def from_triples(cls, states: Sequence[str], rollcalls: Sequence[str], state_index: npt.NDArray[np.intp],
                     rollcall_index: npt.NDArray[np.intp], codes: npt.NDArray[np.int8]) -> VoteMatrix:
        """Build from parallel arrays of (row index, column index, code)."""
        matrix = np.zeros((len(states), len(rollcalls)), dtype=np.int8)
        matrix[state_index, rollcall_index] = codes
        return cls(tuple(states), tuple(rollcalls), matrix)

    def columns(self, keep: Sequence[str]) -> VoteMatrix:
        """The same states over the given roll calls (in that order)."""
        position = {rc: i for i, rc in enumerate(self.rollcalls)}
        idx = np.array([position[rc] for rc in keep], dtype=np.intp)
        return VoteMatrix(self.states, tuple(keep), self.codes[:, idx])

    def rows(self, keep: Sequence[str]) -> VoteMatrix:
        position = {state: i for i, state in enumerate(self.states)}
        idx = np.array([position[s] for s in keep], dtype=np.intp)
        return VoteMatrix(tuple(keep), self.rollcalls, self.codes[idx, :])

    def voting_states(self) -> VoteMatrix:
        """Drop states that cast no vote in any of these roll calls."""
        keep = (self.codes != NONE).any(axis=1)
        return VoteMatrix(tuple(s for s, k in zip(self.states, keep, strict=True) if k), self.rollcalls,
                          self.codes[keep])

    def tally(self, rollcall: str) -> dict[str, int]:
        column = self.codes[:, self.rollcalls.index(rollcall)]
        return {"yes": int((column == YES).sum()), "no": int((column == NO).sum()),
                "abstain": int((column == ABSTAIN).sum()), "not_voting": int((column == NONE).sum())}
