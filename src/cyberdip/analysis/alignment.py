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

**Few votes.** On a handful of roll calls these figures say little: two states that voted together
on three texts have agreement 1 and, if both always voted yes, an undefined κ. Every figure carries
its number of joint votes; :func:`agreement_interval` gives a credible interval for agreement (the
Beta posterior with Jeffreys' prior, agreement read as a share of agreeing votes) and
:func:`kappa_interval` a bootstrap interval for κ (the roll calls resampled); below
:data:`MIN_JOINT_VOTES` joint votes a figure is flagged as resting on too few votes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix

Matrix = npt.NDArray[np.float64]

#: joint votes below which a pair's figures are flagged as resting on too few votes
MIN_JOINT_VOTES = 10
#: the probability inside the interval :func:`agreement_interval` gives
INTERVAL_LEVEL = 0.9


def agreement_interval(agreement: npt.ArrayLike, joint: npt.ArrayLike,
                       level: float = INTERVAL_LEVEL) -> tuple[Matrix, Matrix]:
    """The equal-tailed ``level`` credible interval of agreement: the Beta(½ + a·n, ½ + (1 − a)·n)
    posterior of a share observed as ``agreement`` (a) over ``joint`` (n) votes. NaN where n = 0."""
    from scipy.stats import beta  # imported on first use: the server does not need it to start

    a = np.asarray(agreement, dtype=np.float64)
    n = np.asarray(joint, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        agreeing = np.nan_to_num(a) * n
        low = beta.ppf((1 - level) / 2, 0.5 + agreeing, 0.5 + n - agreeing)
        high = beta.ppf(1 - (1 - level) / 2, 0.5 + agreeing, 0.5 + n - agreeing)
    none = n <= 0
    return np.where(none, np.nan, low), np.where(none, np.nan, high)


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
    yes, abstain, no = _one_hot(votes)
    present = yes + abstain + no
    # six products give every count needed: pairs of votes at distance 1 (yes/no) and ½
    # (yes/abstain, abstain/no), and how often i voted each way on the roll calls it shares with j
    joint = present @ present.T
    yes_no, yes_abstain, abstain_no = yes @ no.T, yes @ abstain.T, abstain @ no.T
    own_yes, own_abstain = yes @ present.T, abstain @ present.T
    far = yes_no + yes_no.T
    near = yes_abstain + yes_abstain.T + abstain_no + abstain_no.T
    own = (own_yes, own_abstain, joint - own_yes - own_abstain)
    return Alignment(votes.states, joint, *_measures(joint, far, near, own, (own[0].T, own[1].T, own[2].T)))


def alignment_with(votes: VoteMatrix, state: str) -> Alignment:
    """The five measures between one state and every state in ``votes`` (one row of
    :func:`alignment`, at the cost of a row: the partner finder needs no more)."""
    yes, abstain, no = _one_hot(votes)
    present = yes + abstain + no
    i = votes.states.index(state)
    one = slice(i, i + 1)
    joint = present[one] @ present.T
    far = yes[one] @ no.T + no[one] @ yes.T
    near = yes[one] @ abstain.T + abstain[one] @ yes.T + abstain[one] @ no.T + no[one] @ abstain.T
    own_yes, own_abstain = yes[one] @ present.T, abstain[one] @ present.T
    other_yes, other_abstain = present[one] @ yes.T, present[one] @ abstain.T
    own = (own_yes, own_abstain, joint - own_yes - own_abstain)
    other = (other_yes, other_abstain, joint - other_yes - other_abstain)
    return Alignment(votes.states, joint, *_measures(joint, far, near, own, other))


#: resamples of the roll calls behind a κ interval
RESAMPLES = 200


def kappa_interval(votes: VoteMatrix, level: float = INTERVAL_LEVEL, resamples: int = RESAMPLES,
                   seed: int = 0) -> tuple[Matrix, Matrix]:
    """The percentile bootstrap interval of κ for every pair: the roll calls resampled with
    replacement ``resamples`` times (a fixed seed, so the same votes give the same interval).
    NaN where κ is undefined in more than half the resamples. Costs ``resamples`` alignments: for
    a handful of states, not for the whole Assembly."""
    rng = np.random.default_rng(seed)
    columns = votes.codes.shape[1]
    draws = np.full((resamples, len(votes.states), len(votes.states)), np.nan)
    for k in range(resamples):
        chosen: npt.NDArray[np.intp] = rng.integers(0, max(columns, 1), size=columns)
        resampled = VoteMatrix(votes.states, tuple(votes.rollcalls[int(c)] for c in chosen), votes.codes[:, chosen])
        draws[k] = alignment(resampled).kappa
    defined = np.isfinite(draws).sum(axis=0) > resamples / 2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pairs never defined: NaN, kept as such below
        low = np.nanpercentile(np.where(np.isfinite(draws), draws, np.nan), 100 * (1 - level) / 2, axis=0)
        high = np.nanpercentile(np.where(np.isfinite(draws), draws, np.nan), 100 * (1 + level) / 2, axis=0)
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


@dataclass(frozen=True)
class Coincidence:
    """The US State Department's voting coincidence (its annual *Voting Practices in the United
    Nations*): identical votes over identical plus opposite ones, yes and no only, abstentions and
    absences left out; and the variant that counts an abstention against a yes or no as half."""

    states: tuple[str, ...]
    identical: Matrix
    opposite: Matrix
    partial: Matrix  # one abstained, the other voted yes or no
    coincidence: Matrix
    with_partial: Matrix


def coincidence(votes: VoteMatrix) -> Coincidence:
    """Voting coincidence between every pair of states (NaN where they never voted yes or no together)."""
    yes, abstain, no = _one_hot(votes)
    decided = yes + no
    identical = yes @ yes.T + no @ no.T
    opposite = yes @ no.T + no @ yes.T
    partial = abstain @ decided.T + decided @ abstain.T
    with np.errstate(invalid="ignore", divide="ignore"):
        plain = np.where(identical + opposite > 0, identical / (identical + opposite), np.nan)
        half = np.where(identical + opposite + partial > 0,
                        (identical + 0.5 * partial) / (identical + opposite + partial), np.nan)
    return Coincidence(votes.states, identical, opposite, partial, plain, half)


def _one_hot(votes: VoteMatrix) -> tuple[Matrix, Matrix, Matrix]:
    yes, abstain, no = ((votes.codes == code).astype(np.float64) for code in (YES, ABSTAIN, NO))
    return yes, abstain, no


def _measures(joint: Matrix, far: Matrix, near: Matrix, own: tuple[Matrix, Matrix, Matrix],
              other: tuple[Matrix, Matrix, Matrix]) -> tuple[Matrix, Matrix, Matrix, Matrix, Matrix]:
    """agreement, S_abs, S_sq, π and κ from the counts: ``far`` and ``near`` count the shared roll
    calls where the votes differ by 1 and by ½; ``own``/``other`` count each side's yes, abstain
    and no on them."""
    distance_abs = far + 0.5 * near
    distance_sq = far + 0.25 * near
    positions = (1.0, 0.5, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = distance_abs / joint
        agreement = 1.0 - observed
        s_abs = 1.0 - 2.0 * observed
        s_sq = 1.0 - 2.0 * distance_sq / joint
        # each state's vote distribution over the roll calls it shares with the other
        mine = [count / joint for count in own]
        theirs = [count / joint for count in other]
        expected_kappa = np.zeros_like(joint)
        expected_pi = np.zeros_like(joint)
        for k, pk in enumerate(positions):
            for l_, pl in enumerate(positions):
                d = abs(pk - pl)
                expected_kappa += mine[k] * theirs[l_] * d
                expected_pi += (mine[k] + theirs[k]) / 2.0 * (mine[l_] + theirs[l_]) / 2.0 * d
        kappa = np.where(expected_kappa > 0, 1.0 - observed / expected_kappa, np.nan)
        pi = np.where(expected_pi > 0, 1.0 - observed / expected_pi, np.nan)
    undefined = joint == 0
    for matrix in (agreement, s_abs, s_sq, pi, kappa):
        matrix[undefined] = np.nan
    return agreement, s_abs, s_sq, pi, kappa
