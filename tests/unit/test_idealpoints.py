"""Ideal points on synthetic votes drawn from the model itself."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import expit

from cyberdip.analysis import idealpoints
from cyberdip.analysis.idealpoints import IdealPoints, estimate, predict
from cyberdip.analysis.votes import ABSTAIN, NO, NONE, YES, VoteMatrix

N_STATES, N_ROLLCALLS = 40, 120


def simulate(seed: int = 1, missing: float = 0.1) -> tuple[VoteMatrix, np.ndarray]:
    """Votes from the ordered logit with known ideal points; state s00 lowest, s39 highest."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, N_STATES)
    b = rng.choice([-1.0, 1.0], N_ROLLCALLS) * rng.uniform(1.0, 3.0, N_ROLLCALLS)
    c1 = rng.uniform(-2.0, 1.0, N_ROLLCALLS)
    c2 = c1 + rng.uniform(0.3, 2.0, N_ROLLCALLS)
    eta = np.outer(x, b)
    u = rng.uniform(size=eta.shape)
    codes = np.where(u < expit(eta - c2), YES, np.where(u < expit(eta - c1), ABSTAIN, NO)).astype(np.int8)
    codes[rng.uniform(size=codes.shape) < missing] = NONE
    states = tuple(f"s{i:02d}" for i in range(N_STATES))
    rollcalls = tuple(f"r{j:03d}" for j in range(N_ROLLCALLS))
    return VoteMatrix(states, rollcalls, codes), x


@pytest.fixture(scope="module")
def fitted() -> tuple[IdealPoints, np.ndarray]:
    votes, truth = simulate()
    return estimate(votes, anchor="s39"), truth


def test_recovers_the_known_ordering(fitted: tuple[IdealPoints, np.ndarray]) -> None:
    ideal, truth = fitted
    assert ideal.converged
    assert ideal.states == tuple(f"s{i:02d}" for i in range(N_STATES))
    assert np.corrcoef(ideal.points, truth)[0, 1] > 0.97
    ranks = np.argsort(np.argsort(ideal.points))
    assert np.corrcoef(ranks, np.arange(N_STATES))[0, 1] > 0.97
    # the extremes come out as the extremes
    assert set(np.argsort(ideal.points)[:3]) <= set(range(6))
    assert set(np.argsort(ideal.points)[-3:]) <= set(range(N_STATES - 6, N_STATES))


def test_points_are_standardised(fitted: tuple[IdealPoints, np.ndarray]) -> None:
    ideal, _ = fitted
    assert ideal.points.mean() == pytest.approx(0.0, abs=1e-9)
    assert ideal.points.std() == pytest.approx(1.0)
    n = len(ideal.rollcalls)
    assert ideal.discrimination.shape == ideal.cut_low.shape == ideal.cut_high.shape == (n,)
    assert (ideal.cut_high > ideal.cut_low).all()


def test_sign_follows_the_anchor() -> None:
    votes, _ = simulate()
    high = estimate(votes, anchor="s39")
    low = estimate(votes, anchor="s00")
    assert high.point("s39") > 0 > high.point("s00")
    assert low.point("s00") > 0 > low.point("s39")
    np.testing.assert_allclose(low.points, -high.points, atol=1e-3)
    np.testing.assert_allclose(low.discrimination, -high.discrimination, atol=1e-2)
    np.testing.assert_allclose(predict(low, "r005"), predict(high, "r005"), atol=1e-3)


def test_predict_rows_are_probabilities(fitted: tuple[IdealPoints, np.ndarray]) -> None:
    ideal, _ = fitted
    for rollcall in ideal.rollcalls[:10]:
        p = predict(ideal, rollcall)
        assert p.shape == (N_STATES, 3)
        assert (p >= 0).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_log_likelihood_is_that_of_the_standardised_parameters(fitted: tuple[IdealPoints, np.ndarray]) -> None:
    """predict() on the standardised scale reproduces the fitted likelihood: the transform is exact."""
    ideal, _ = fitted
    votes, _ = simulate()
    column = {code: k for k, code in enumerate((YES, ABSTAIN, NO))}
    total = 0.0
    for j, rollcall in enumerate(votes.rollcalls):
        p = predict(ideal, rollcall)
        for i, code in enumerate(votes.codes[:, j]):
            if code != NONE:
                total += np.log(p[i, column[int(code)]])
    assert total == pytest.approx(ideal.log_likelihood, rel=1e-9)


def test_predictions_follow_the_votes(fitted: tuple[IdealPoints, np.ndarray]) -> None:
    ideal, _ = fitted
    votes, _ = simulate()
    codes = votes.codes
    predicted = np.stack([predict(ideal, r).argmax(axis=1) for r in votes.rollcalls], axis=1)
    observed = codes != NONE
    as_column = np.select([codes == YES, codes == ABSTAIN, codes == NO], [0, 1, 2])
    assert (predicted == as_column)[observed].mean() > 0.75


def test_unanimous_rollcalls_and_sparse_states_are_dropped() -> None:
    votes, _ = simulate()
    codes = votes.codes.copy()
    unanimous = np.full((N_STATES, 1), YES, dtype=np.int8)
    unanimous[::3] = NONE  # missing cells are not votes: still unanimous
    lone = np.full((N_STATES, 1), NONE, dtype=np.int8)
    lone[4] = NO  # a single vote has no variation either
    codes = np.hstack([codes, unanimous, lone])
    codes[7, 9:] = NONE  # s07 voted on 9 roll calls only
    augmented = VoteMatrix(votes.states, (*votes.rollcalls, "unanimous", "lone"), codes)

    ideal = estimate(augmented, anchor="s39", min_votes=10)
    assert set(ideal.dropped_rollcalls) == {"unanimous", "lone"}
    assert ideal.dropped_states == ("s07",)
    assert "unanimous" not in ideal.rollcalls and "s07" not in ideal.states
    assert len(ideal.points) == N_STATES - 1
    with pytest.raises(KeyError, match="dropped"):
        predict(ideal, "unanimous")

    kept = estimate(augmented, anchor="s39", min_votes=5)
    assert kept.dropped_states == ()


def test_abstention_is_not_missing() -> None:
    """A roll call of yes and abstentions varies; one of yes and missing cells does not."""
    votes, _ = simulate()
    codes = votes.codes.copy()
    codes[:, 0] = YES
    codes[:5, 0] = ABSTAIN
    codes[:, 1] = YES
    codes[:5, 1] = NONE
    ideal = estimate(VoteMatrix(votes.states, votes.rollcalls, codes), anchor="s39")
    assert "r000" in ideal.rollcalls
    assert ideal.dropped_rollcalls == ("r001",)
    # the abstainers are the lowest states: the model should find abstention likelier for them
    p = predict(ideal, "r000")
    assert p[:5, 1].mean() > p[-5:, 1].mean()


def test_unusable_input_is_refused() -> None:
    votes, _ = simulate()
    with pytest.raises(ValueError, match="anchor"):
        estimate(votes, anchor="nowhere")
    with pytest.raises(ValueError, match="nothing to estimate"):
        estimate(votes, anchor="s39", min_votes=10_000)
    with pytest.raises(KeyError):
        predict(estimate(votes, anchor="s39"), "no such roll call")


def test_gradient_is_analytic_and_right() -> None:
    votes, _ = simulate(seed=3)
    problem = idealpoints._Problem(votes.codes, idealpoints.PRIOR_SD_DISCRIMINATION)
    theta = problem.start() + np.random.default_rng(0).normal(0.0, 0.3, size=problem.start().shape)
    error = check_grad(lambda t: problem.objective(t)[0], lambda t: problem.objective(t)[1], theta)
    assert error < 1e-4 * max(1.0, float(np.linalg.norm(problem.objective(theta)[1])))
