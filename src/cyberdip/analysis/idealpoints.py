"""One-dimensional ideal points from one session of roll-call votes (ordinal item response).

Each state i has an ideal point x_i; each roll call j a discrimination b_j and two cutpoints
c_j1 < c_j2. Votes are ordered no < abstain < yes and follow an ordered logit:

    P(vote ≥ abstain) = σ(b_j·x_i − c_j1),    P(vote = yes) = σ(b_j·x_i − c_j2),

so P(no) = 1 − σ(b_j·x_i − c_j1) and P(abstain) is the difference of the two. Only cells holding a
vote count: :data:`~cyberdip.analysis.votes.NONE` is missing, never an abstention. The order of
the cutpoints is built in by fitting g_j with c_j2 = c_j1 + exp(g_j).

The estimate is the maximum a posteriori under Gaussian priors — x ~ N(0, 1), b ~ N(0, σ_b²),
c_j1 ~ N(0, 5²), g_j ~ N(0, 2²) — found by L-BFGS-B with the analytic gradient. σ_b defaults to
1: over the whole 1946–2019 history that gave the closest agreement with the Bailey–Strezhnev–
Voeten series (larger values let a few lopsided roll calls, where only the United States and
Israel vote no, stretch the scale). The log-likelihood and its gradient are evaluated over flat
arrays of the observed cells, sorted by vote so each category computes only its own terms;
gathers form b_j·x_i and ``np.bincount`` sums the derivatives back per state and per roll call,
so an evaluation is a few array passes, with no loop over votes. The abstention term is computed
in log space, log(σ(a) − σ(d)) = log σ(a) + log σ(−d) + log(1 − e^{−(a−d)}), which stays finite
in the tails.

Starting values come from the first principal component of the centred vote matrix (yes 1,
abstain ½, no 0, missing cells at the roll call's mean), with discriminations from the per-roll-call
regression on it and cutpoints from each roll call's vote shares. The optimiser works on
parameters rescaled by the square root of the (Fisher) curvature at that start, a diagonal
preconditioner that puts states with many votes and roll calls with few on the same footing and
cuts the number of iterations by about a third.

Before fitting, roll calls without variation (every vote cast the same way) and states with fewer
than ``min_votes`` votes on the remaining roll calls are dropped, repeatedly until neither
changes; both are reported. After fitting, the ideal points are standardised to mean 0 and
standard deviation 1, and the roll-call parameters are transformed with them (b·s, c − b·μ) so
that :func:`predict` works on the standardised scale. The scale's sign is arbitrary in the model;
it is fixed by making the ``anchor`` state's point positive.

Each fit is small (a few hundred parameters), and L-BFGS-B's own linear algebra goes through BLAS:
with a multi-threaded OpenBLAS on a machine that is busy with other work, thread synchronisation
made fits about four times slower. Callers fitting many sessions should run BLAS single-threaded
(``OPENBLAS_NUM_THREADS=1``) and spread sessions over processes instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cyberdip.analysis.votes import ABSTAIN, NO, NONE, SCALE, YES, VoteMatrix

Vector = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

#: prior standard deviations of discriminations, lower cutpoints and log cutpoint gaps
PRIOR_SD_DISCRIMINATION = 1.0
PRIOR_SD_CUTPOINT = 5.0
PRIOR_SD_LOG_GAP = 2.0


@dataclass(frozen=True)
class IdealPoints:
    states: tuple[str, ...]
    points: Vector  # standardised: mean 0, sd 1 (population); the anchor state is positive
    rollcalls: tuple[str, ...]
    discrimination: Vector  # per roll call, on the standardised scale
    cut_low: Vector  # P(vote >= abstain) = sig(discrimination*point - cut_low)
    cut_high: Vector  # P(vote = yes) = sig(discrimination*point - cut_high)
    dropped_states: tuple[str, ...]  # fewer than min_votes votes on informative roll calls
    dropped_rollcalls: tuple[str, ...]  # no variation among the votes cast
    log_likelihood: float  # of the kept votes at the estimate (priors excluded)
    converged: bool

    def point(self, state: str) -> float:
        return float(self.points[self.states.index(state)])


def estimate(votes: VoteMatrix, *, anchor: str, min_votes: int = 10,
             prior_sd_discrimination: float = PRIOR_SD_DISCRIMINATION) -> IdealPoints:
    """Ideal points of the states in ``votes`` (one session), signed so that ``anchor`` is positive.

    Raises ``ValueError`` when nothing is left to estimate after dropping, or when the anchor is
    not among the kept states.
    """
    codes, states, rollcalls, dropped_states, dropped_rollcalls = _informative(votes, min_votes)
    if len(states) < 2 or len(rollcalls) == 0:
        raise ValueError(f"nothing to estimate: {len(states)} states and {len(rollcalls)} roll calls "
                         f"with variation remain (min_votes={min_votes})")
    if anchor not in states:
        reason = "was dropped (too few votes)" if anchor in dropped_states else "is not in the vote matrix"
        raise ValueError(f"anchor {anchor!r} {reason}")

    problem = _Problem(codes, prior_sd_discrimination)
    start = problem.start()
    scale = 1.0 / np.sqrt(problem.curvature(start))

    def scaled(phi: Vector) -> tuple[float, Vector]:
        value, gradient = problem.objective(phi * scale)
        return value, gradient * scale

    # ftol: stop when an iteration improves the log posterior by less than 1e-8 of itself; the
    # standardised points are then within about 0.002 of the exact optimum
    from scipy.optimize import minimize  # imported when first fitted: ~50 MB a server need not hold

    result = minimize(scaled, start / scale, jac=True, method="L-BFGS-B",
                      options={"maxiter": 5000, "maxfun": 10000, "gtol": 1e-4, "ftol": 1e-8})
    theta = np.asarray(result.x, dtype=np.float64) * scale
    x, b, c1, g = problem.unpack(theta)
    log_likelihood = problem.log_likelihood(theta)

    mean, sd = float(x.mean()), float(x.std())
    sd = sd if sd > 0 else 1.0
    points = (x - mean) / sd
    cut_low = c1 - b * mean
    cut_high = c1 + np.exp(g) - b * mean
    discrimination = b * sd
    if points[states.index(anchor)] < 0:
        points, discrimination = -points, -discrimination
    return IdealPoints(states, points, rollcalls, discrimination, cut_low, cut_high, dropped_states,
                       dropped_rollcalls, log_likelihood, bool(result.success))


def predict(ideal: IdealPoints, rollcall: str) -> Vector:
    """Probabilities of [yes, abstain, no] for every state of ``ideal`` on ``rollcall``: shape (n_states, 3).

    Raises ``KeyError`` for a roll call that was not fitted (unknown or dropped).
    """
    try:
        j = ideal.rollcalls.index(rollcall)
    except ValueError:
        why = " (dropped: no variation)" if rollcall in ideal.dropped_rollcalls else ""
        raise KeyError(f"roll call {rollcall!r} was not fitted{why}") from None
    eta = ideal.discrimination[j] * ideal.points
    at_least_abstain = expit(eta - ideal.cut_low[j])
    yes = expit(eta - ideal.cut_high[j])
    return np.column_stack([yes, at_least_abstain - yes, 1.0 - at_least_abstain])


def expit(z: Vector) -> Vector:
    """The logistic function, without overflow for large |z| (what scipy.special.expit computes)."""
    out: Vector = np.exp(-np.logaddexp(0.0, -z))
    return out


def _informative(votes: VoteMatrix, min_votes: int) -> tuple[
        npt.NDArray[np.int8], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Drop roll calls without variation and states with too few votes, until neither changes."""
    codes = votes.codes
    rows = np.ones(codes.shape[0], dtype=bool)
    cols = np.ones(codes.shape[1], dtype=bool)
    while True:
        sub = codes[np.ix_(rows, cols)]
        cast = [(sub == code).any(axis=0) for code in (YES, ABSTAIN, NO)]
        varied = (np.sum(cast, axis=0) >= 2)
        new_cols = cols.copy()
        new_cols[cols] = varied
        counts = (codes[np.ix_(rows, new_cols)] != NONE).sum(axis=1)
        new_rows = rows.copy()
        new_rows[rows] = counts >= min_votes
        if (new_rows == rows).all() and (new_cols == cols).all():
            break
        rows, cols = new_rows, new_cols
    return (codes[np.ix_(rows, cols)],
            tuple(s for s, k in zip(votes.states, rows, strict=True) if k),
            tuple(r for r, k in zip(votes.rollcalls, cols, strict=True) if k),
            tuple(s for s, k in zip(votes.states, rows, strict=True) if not k),
            tuple(r for r, k in zip(votes.rollcalls, cols, strict=True) if not k))


def _first_component(centred: Vector, iterations: int = 500, tolerance: float = 1e-9) -> Vector:
    """Left singular vector of the largest singular value, by power iteration.

    Matrix-vector products only: a LAPACK SVD would be no faster at this size and, with a
    multi-threaded BLAS on a busy machine, can be a hundred times slower. The start is each
    state's centred mean vote, already close to the answer when one dimension dominates.
    """
    u: Vector = centred.sum(axis=1)
    if not u.any():
        u = np.ones(centred.shape[0])
    u = u / np.linalg.norm(u)
    for _ in range(iterations):
        w: Vector = centred @ (centred.T @ u)
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            break
        w = w / norm
        done = float(np.abs(w - u).max()) < tolerance
        u = w
        if done:
            break
    return u


def _log_sigmoid(z: Vector) -> tuple[Vector, Vector]:
    """log σ(z) and σ(−z), from one exp and one log1p: both stay accurate far into the tails."""
    e = np.exp(-np.abs(z))
    log_sigma = np.minimum(z, 0.0) - np.log1p(e)
    complement = np.where(z >= 0.0, e, 1.0) / (1.0 + e)
    return log_sigma, complement


class _Problem:
    """The negative log posterior over the flat parameter vector [x (n), b (m), c1 (m), g (m)].

    The observed cells are kept as flat index arrays sorted by vote (yes, then no, then abstain),
    so each category computes only the terms its probability needs.
    """

    def __init__(self, codes: npt.NDArray[np.int8], prior_sd_discrimination: float) -> None:
        self.codes = codes
        self.n, self.m = codes.shape
        cells = [np.nonzero(codes == code) for code in (YES, NO, ABSTAIN)]
        self.n_yes, self.n_no = len(cells[0][0]), len(cells[1][0])
        self.i: Index = np.concatenate([c[0] for c in cells]).astype(np.intp)
        self.j: Index = np.concatenate([c[1] for c in cells]).astype(np.intp)
        yes, no = slice(0, self.n_yes), slice(self.n_yes, self.n_yes + self.n_no)
        abstain = slice(self.n_yes + self.n_no, None)
        self.yes, self.no, self.abstain = yes, no, abstain
        # roll call of each cell whose probability involves c1 (no, abstain) and c2 (yes, abstain)
        self.j_low: Index = self.j[self.n_yes:]
        self.j_high: Index = np.concatenate([self.j[yes], self.j[abstain]])
        self.precision_b = 1.0 / prior_sd_discrimination ** 2
        self.precision_c = 1.0 / PRIOR_SD_CUTPOINT ** 2
        self.precision_g = 1.0 / PRIOR_SD_LOG_GAP ** 2

    def unpack(self, theta: Vector) -> tuple[Vector, Vector, Vector, Vector]:
        n, m = self.n, self.m
        return theta[:n], theta[n:n + m], theta[n + m:n + 2 * m], theta[n + 2 * m:]

    def start(self) -> Vector:
        """First principal component for x, regression slopes for b, vote shares for cutpoints."""
        present = self.codes != NONE
        score = np.zeros(self.codes.shape)
        for code, value in SCALE.items():
            score[self.codes == code] = value
        count = present.sum(axis=0)
        column_mean = (score * present).sum(axis=0) / count
        centred = np.where(present, score - column_mean, 0.0)
        x = _first_component(centred)
        x = (x - x.mean()) / (x.std() or 1.0)
        # slope of the vote score on x, scaled from the 0..1 score to the logit scale (~ 4 at the middle)
        xc = np.where(present, x[:, None], 0.0)
        slope = (centred * xc).sum(axis=0) / np.maximum((xc ** 2).sum(axis=0), 1e-9)
        b = np.clip(4.0 * slope, -3.0, 3.0)
        # shares with one pseudo-vote per category keep the logits finite
        share_no = ((self.codes == NO).sum(axis=0) + 1.0) / (count + 3.0)
        share_yes = ((self.codes == YES).sum(axis=0) + 1.0) / (count + 3.0)
        c1 = np.log(share_no / (1.0 - share_no))  # sig(-c1) = P(vote >= abstain) at x = 0
        c2 = -np.log(share_yes / (1.0 - share_yes))
        g = np.log(np.maximum(c2 - c1, 0.1))
        return np.concatenate([x, b, c1, g])

    def curvature(self, theta: Vector) -> Vector:
        """Diagonal of the expected information plus the prior precisions: the preconditioner."""
        x, b, c1, g = self.unpack(theta)
        i, j = self.i, self.j
        gap = np.exp(g)
        eta = x[i] * b[j]
        p1 = expit(eta - c1[j])
        p2 = expit(eta - c1[j] - gap[j])
        low = p1 * (1.0 - p1)  # weight of the c1 boundary (no and abstain cells)
        high = p2 * (1.0 - p2)  # weight of the c2 boundary (yes and abstain cells)
        low[self.yes] = 0.0
        high[self.no] = 0.0
        w = low + high
        m, n = self.m, self.n
        return np.concatenate([np.bincount(i, weights=w * b[j] ** 2, minlength=n) + 1.0,
                               np.bincount(j, weights=w * x[i] ** 2, minlength=m) + self.precision_b,
                               np.bincount(j, weights=w, minlength=m) + self.precision_c,
                               np.bincount(j, weights=high, minlength=m) * gap ** 2 + self.precision_g])

    def log_prior(self, theta: Vector) -> float:
        x, b, c1, g = self.unpack(theta)
        return -0.5 * float(x @ x + self.precision_b * (b @ b) + self.precision_c * (c1 @ c1)
                            + self.precision_g * (g @ g))

    def log_likelihood(self, theta: Vector) -> float:
        return -self.objective(theta)[0] - self.log_prior(theta)

    def objective(self, theta: Vector) -> tuple[float, Vector]:
        """Negative log posterior and its gradient."""
        x, b, c1, g = self.unpack(theta)
        i, j, yes, no, abstain = self.i, self.j, self.yes, self.no, self.abstain
        gap = np.exp(g)
        c2 = c1 + gap
        bj = b[j]
        xi = x[i]
        eta = xi * bj
        # yes: log sig(d), d = eta - c2        no: log sig(-a), a = eta - c1
        log_yes, q2_yes = _log_sigmoid(eta[yes] - c2[j[yes]])
        log_no, p1_no = _log_sigmoid(c1[j[no]] - eta[no])
        # abstain: log(sig(a) - sig(d)) = log sig(a) + log sig(-d) + log(1 - e^{-gap})
        a = eta[abstain] - c1[j[abstain]]
        d = a - gap[j[abstain]]
        log_p1, q1 = _log_sigmoid(a)
        log_q2, p2 = _log_sigmoid(-d)
        log_spread = np.log(-np.expm1(-np.maximum(gap, 1e-300)))  # per roll call
        spread_j = log_spread[j[abstain]]
        log_lik = float(log_yes.sum() + log_no.sum() + (log_p1 + log_q2 + spread_j).sum())
        value = -log_lik - self.log_prior(theta)

        # d log-lik / d eta: yes 1 - p2; no -p1; abstain 1 - p1 - p2
        d_eta = np.concatenate([q2_yes, -p1_no, q1 - p2])
        # d log-lik / d c1 and d c2 (c2 = c1 + gap); for abstain, with s = 1 - e^{-gap}:
        #   d/dc1 = -(1 - p1)/((1 - p2)*s),  d/dc2 = p2/(p1*s)   (both ratios lie in [0, 1])
        log_p2 = log_q2 + d
        log_q1 = log_p1 - a
        d_c1 = np.concatenate([p1_no, -np.exp(log_q1 - log_q2 - spread_j)])
        d_c2 = np.concatenate([-q2_yes, np.exp(log_p2 - log_p1 - spread_j)])

        m, n = self.m, self.n
        grad_x = np.bincount(i, weights=d_eta * bj, minlength=n)
        grad_b = np.bincount(j, weights=d_eta * xi, minlength=m)
        sum_c1 = np.bincount(self.j_low, weights=d_c1, minlength=m)
        sum_c2 = np.bincount(self.j_high, weights=d_c2, minlength=m)
        grad = np.concatenate([grad_x - x, grad_b - self.precision_b * b,
                               sum_c1 + sum_c2 - self.precision_c * c1, sum_c2 * gap - self.precision_g * g])
        return value, -grad
