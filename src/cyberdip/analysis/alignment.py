"""Foreign-policy similarity between every pair of states, from roll-call votes, all at once.

Votes sit on a 0..1 scale (yes 1, abstain ½, no 0). For each pair only the roll calls where both
voted count (pairwise deletion). With d the distance between the two votes on a roll call:

- **agreement** (Voeten): 1 − mean |d|, so an abstention against a yes counts half;
- **S** (Signorino & Ritter 1999): 1 − 2·mean(d)/d_max, with d absolute (``s_abs``) or squared
  (``s_sq``); d_max = 1 on this scale, so agreement = (1 + S_abs)/2;
- **π** (Scott) and **κ** (Cohen), as adapted by Häge (2011): 1 − D_o/D_e, where D_o is the
  observed mean distance and D_e the distance expected by chance — from the two states' pooled
  vote distribution (π) or from each state's own (κ). Both use the same distance as S_abs.
  Where D_e = 0 (both always voted the same way) they are undefined: NaN.

Everything is matrix products over one-hot vote matrices, so all pairs cost a few BLAS calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Alignment:
    states: tuple[str, ...]
    joint: Matrix  # number of roll calls both states voted on
    agreement: Matrix
    s_abs: Matrix
    s_sq: Matrix
    pi: Matrix
    kappa: Matrix

    MEASURES = ("agreement", "s_abs", "s_sq", "pi", "kappa")

    def pair(self, a: str, b: str) -> dict[str, float]:
        i, j = self.states.index(a), self.states.index(b)
        values = {name: float(getattr(self, name)[i, j]) for name in self.MEASURES}
        return {"joint_votes": int(self.joint[i, j]), **values}


def alignment(votes: VoteMatrix) -> Alignment:
    """All five measures for every pair of states in ``votes``."""
    y = (votes.codes == YES).astype(np.float64)
    a = (votes.codes == ABSTAIN).astype(np.float64)
    n = (votes.codes == NO).astype(np.float64)
    present = y + a + n
    categories = (y, a, n)
    positions = (1.0, 0.5, 0.0)

    joint = present @ present.T
    # counts[k][l][i, j]: roll calls where i voted k and j voted l
    counts = [[ck @ cl.T for cl in categories] for ck in categories]
    distance_abs = np.zeros_like(joint)
    distance_sq = np.zeros_like(joint)
    for k, pk in enumerate(positions):
        for l_, pl in enumerate(positions):
            distance_abs += counts[k][l_] * abs(pk - pl)
            distance_sq += counts[k][l_] * (pk - pl) ** 2

    with np.errstate(invalid="ignore", divide="ignore"):
        observed = distance_abs / joint
        agreement = 1.0 - observed
        s_abs = 1.0 - 2.0 * observed
        s_sq = 1.0 - 2.0 * distance_sq / joint
        # marginal distributions over the joint roll calls: own[k][i, j] = share of i's votes that were k
        own = [ck @ present.T / joint for ck in categories]
        other = [present @ ck.T / joint for ck in categories]
        expected_kappa = np.zeros_like(joint)
        expected_pi = np.zeros_like(joint)
        for k, pk in enumerate(positions):
            for l_, pl in enumerate(positions):
                d = abs(pk - pl)
                expected_kappa += own[k] * other[l_] * d
                pooled_k = (own[k] + other[k]) / 2.0
                pooled_l = (own[l_] + other[l_]) / 2.0
                expected_pi += pooled_k * pooled_l * d
        kappa = np.where(expected_kappa > 0, 1.0 - observed / expected_kappa, np.nan)
        pi = np.where(expected_pi > 0, 1.0 - observed / expected_pi, np.nan)

    undefined = joint == 0
    for matrix in (agreement, s_abs, s_sq, pi, kappa):
        matrix[undefined] = np.nan
    return Alignment(votes.states, joint, agreement, s_abs, s_sq, pi, kappa)
