"""Alignment measures on hand-made votes, where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from cyberdip.analysis.alignment import Alignment, alignment, alignment_with
from cyberdip.analysis.votes import ABSTAIN, NO, NONE, YES, VoteMatrix


def matrix(rows: dict[str, list[int]]) -> VoteMatrix:
    return VoteMatrix(tuple(rows), tuple(f"rc{i}" for i in range(len(next(iter(rows.values()))))),
                      np.array(list(rows.values()), dtype=np.int8))


def test_abstention_counts_half_and_absences_are_deleted_pairwise() -> None:
    result = alignment(matrix({
        "A": [YES, YES, NO, YES, NONE],
        "B": [YES, ABSTAIN, YES, NONE, NO],
    }))
    pair = result.pair("A", "B")
    assert pair["joint_votes"] == 3  # roll calls 4 and 5 have an absence
    assert pair["agreement"] == 1 - (0 + 0.5 + 1) / 3
    assert pair["s_abs"] == 1 - 2 * (1.5 / 3)
    assert pair["s_sq"] == 1 - 2 * (0 + 0.25 + 1) / 3


def test_kappa_and_pi_against_hand_computation() -> None:
    result = alignment(matrix({"A": [YES, YES, NO, NO], "B": [YES, NO, NO, NO]}))
    pair = result.pair("A", "B")
    observed = 1 / 4
    # A: yes 1/2, no 1/2; B: yes 1/4, no 3/4; distance 1 between yes and no
    expected_kappa = 0.5 * 0.75 + 0.5 * 0.25
    pooled_yes = (0.5 + 0.25) / 2
    expected_pi = 2 * pooled_yes * (1 - pooled_yes)
    assert np.isclose(pair["kappa"], 1 - observed / expected_kappa)
    assert np.isclose(pair["pi"], 1 - observed / expected_pi)


def test_undefined_when_nothing_could_disagree() -> None:
    result = alignment(matrix({"A": [YES, YES, YES], "B": [YES, YES, YES], "C": [NONE, NONE, NONE]}))
    pair = result.pair("A", "B")
    assert pair["agreement"] == 1.0 and np.isnan(pair["kappa"]) and np.isnan(pair["pi"])
    assert np.isnan(result.pair("A", "C")["agreement"])  # no joint votes at all


def test_symmetric_with_unit_diagonal() -> None:
    rng = np.random.default_rng(3)
    codes = rng.choice([NONE, YES, ABSTAIN, NO], size=(12, 40)).astype(np.int8)
    result = alignment(VoteMatrix(tuple(map(str, range(12))), tuple(map(str, range(40))), codes))
    for name in result.MEASURES:
        values = getattr(result, name)
        assert np.allclose(values, values.T, equal_nan=True)
        assert np.allclose(np.diag(values), 1.0)


def test_one_states_row_equals_its_row_of_all_pairs() -> None:
    rng = np.random.default_rng(7)
    codes = rng.choice([0, 1, 2, 3, 8], size=(12, 40)).astype(np.int8)
    votes = VoteMatrix(tuple(f"state:S{i:02d}" for i in range(12)), tuple(f"rc{k}" for k in range(40)), codes)
    everyone = alignment(votes)
    for state in ("state:S00", "state:S07"):
        row = alignment_with(votes, state)
        i = votes.states.index(state)
        assert np.array_equal(row.joint[0], everyone.joint[i])
        for measure in Alignment.MEASURES:
            np.testing.assert_allclose(getattr(row, measure)[0], getattr(everyone, measure)[i], equal_nan=True)


def test_agreement_intervals_are_wide_on_few_votes_and_narrow_on_many() -> None:
    from cyberdip.analysis.alignment import agreement_interval

    low, high = agreement_interval(np.array([1.0, 1.0, 0.5, 0.0]), np.array([2, 200, 100, 0]))
    assert 0.4 < low[0] < 0.5 and high[0] == pytest.approx(1.0, abs=1e-3)  # two votes alike say little
    assert low[1] > 0.98  # two hundred say a lot
    assert low[2] < 0.5 < high[2] and high[2] - low[2] < 0.2
    assert np.isnan(low[3]) and np.isnan(high[3])  # no joint vote: no interval


def test_kappa_intervals_come_from_resampled_roll_calls() -> None:
    from cyberdip.analysis.alignment import kappa_interval

    rng = np.random.default_rng(3)
    a = rng.choice([YES, NO, ABSTAIN], size=60).astype(np.int8)
    close = np.where(rng.random(60) < 0.9, a, NO).astype(np.int8)  # agrees with a nine times in ten
    apart = rng.choice([YES, NO, ABSTAIN], size=60).astype(np.int8)
    votes = VoteMatrix(("a", "b", "c"), tuple(f"r{i}" for i in range(60)), np.vstack([a, close, apart]))
    low, high = kappa_interval(votes)
    kappa = alignment(votes).kappa
    assert low[0, 1] <= kappa[0, 1] <= high[0, 1] and low[0, 1] > 0.5  # close: well above chance
    assert low[0, 2] < 0 < high[0, 2] or abs(kappa[0, 2]) < high[0, 2] - low[0, 2]  # unrelated: chance
    again = kappa_interval(votes)
    assert np.array_equal(low, again[0], equal_nan=True)  # the same votes give the same interval
