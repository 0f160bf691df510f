"""Benchmark: ideal points for every session of the UN General Assembly history.

Run as ``.venv/bin/python bench/bench_idealpoints.py [--data DIR] [--jobs N] [--baseline-sessions 1,2]``.

Prints the time to estimate every session from the `unvotes` tables in the shared data folder
(``CYBERDIP_SHARED_DATA``, default ``../shared/data``), then fits the same model the
straightforward way — scipy's L-BFGS-B with a finite-difference gradient and no preconditioning —
on a few small sessions, times the fast estimator on the same sessions, and prints the ratio and
what the baseline would take for the whole history at that ratio. The finite-difference gradient
costs one objective evaluation per parameter, so the ratio grows with session size: the small
sessions used here make the extrapolation a lower bound.

Each fit is a small problem (a few hundred parameters), so BLAS threads only add synchronisation:
on a machine with other work running, OpenBLAS's threads inside L-BFGS-B made the whole history
four times slower. The benchmark therefore runs BLAS single-threaded (unless
``OPENBLAS_NUM_THREADS`` is already set) and uses the cores by fitting sessions in parallel
processes (``--jobs``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads OpenBLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import gzip
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from cyberdip.analysis import idealpoints
from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix

CODES = {"yes": YES, "abstain": ABSTAIN, "no": NO}
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("CYBERDIP_SHARED_DATA") or ROOT.parent / "shared" / "data")


def load_sessions(folder: Path) -> dict[int, VoteMatrix]:
    """One vote matrix per session; rows are ISO alpha-2 codes (names where there is none)."""
    with gzip.open(folder / "un_roll_calls.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        session_of = {row["rcid"]: int(row["session"]) for row in csv.DictReader(handle)}
    triples: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    with gzip.open(folder / "un_votes.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            triples[session_of[row["rcid"]]].append(
                (row["country_code"] or row["country"], row["rcid"], CODES[row["vote"]]))
    sessions = {}
    for session, votes in sorted(triples.items()):
        states = sorted({v[0] for v in votes})
        rollcalls = sorted({v[1] for v in votes}, key=int)
        row = {s: i for i, s in enumerate(states)}
        col = {r: i for i, r in enumerate(rollcalls)}
        sessions[session] = VoteMatrix.from_triples(
            states, rollcalls,
            np.array([row[v[0]] for v in votes], dtype=np.intp),
            np.array([col[v[1]] for v in votes], dtype=np.intp),
            np.array([v[2] for v in votes], dtype=np.int8))
    return sessions


def estimate_all(sessions: dict[int, VoteMatrix]) -> tuple[float, dict[int, idealpoints.IdealPoints], list[str]]:
    fits: dict[int, idealpoints.IdealPoints] = {}
    skipped = []
    began = time.perf_counter()
    for session, votes in sessions.items():
        try:
            fits[session] = idealpoints.estimate(votes, anchor="US")
        except ValueError as exc:
            skipped.append(f"session {session}: {exc}")
    return time.perf_counter() - began, fits, skipped


def _fit(votes: VoteMatrix) -> idealpoints.IdealPoints | None:
    try:
        return idealpoints.estimate(votes, anchor="US")
    except ValueError:
        return None


def estimate_parallel(sessions: dict[int, VoteMatrix], jobs: int) -> float:
    """Wall time to fit every session in ``jobs`` worker processes (pool start-up included)."""
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # largest sessions first, so no worker is left with a big one at the end
        ordered = sorted(sessions.values(), key=lambda m: -int((m.codes != 0).sum()))
        list(pool.map(_fit, ordered))
    return time.perf_counter() - began


def baseline(votes: VoteMatrix) -> tuple[float, np.ndarray]:
    """The same posterior, minimised with a finite-difference gradient from the same start."""
    codes, *_ = idealpoints._informative(votes, 10)
    problem = idealpoints._Problem(codes, idealpoints.PRIOR_SD_DISCRIMINATION)
    began = time.perf_counter()
    result = minimize(lambda theta: problem.objective(theta)[0], problem.start(), method="L-BFGS-B",
                      options={"maxiter": 5000, "maxfun": 10**7, "gtol": 1e-4, "ftol": 1e-8})
    elapsed = time.perf_counter() - began
    x = problem.unpack(result.x)[0]
    return elapsed, (x - x.mean()) / x.std()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="worker processes for the parallel run (1: skip it)")
    parser.add_argument("--baseline-sessions", default="1,2")
    args = parser.parse_args()

    began = time.perf_counter()
    sessions = load_sessions(args.data / "un-votes")
    n_votes = sum(int((m.codes != 0).sum()) for m in sessions.values())
    n_rollcalls = sum(len(m.rollcalls) for m in sessions.values())
    print(f"loaded {len(sessions)} sessions, {n_rollcalls} roll calls, {n_votes} votes "
          f"in {time.perf_counter() - began:.1f} s")

    total, fits, skipped = estimate_all(sessions)
    print(f"estimate, all sessions: {total:.2f} s ({len(fits)} fitted, "
          f"{sum(not f.converged for f in fits.values())} not converged)")
    for line in skipped:
        print("  skipped", line)
    if args.jobs > 1:
        print(f"estimate, all sessions, {args.jobs} processes: {estimate_parallel(sessions, args.jobs):.2f} s")

    chosen = [int(s) for s in args.baseline_sessions.split(",")]
    fast = slow = 0.0
    for session in chosen:
        votes = sessions[session]
        began = time.perf_counter()
        fit = idealpoints.estimate(votes, anchor="US")
        fast_one = time.perf_counter() - began
        slow_one, points = baseline(votes)
        sign = 1.0 if float(np.dot(points, fit.points)) >= 0 else -1.0
        difference = float(np.abs(sign * points - fit.points).max())
        print(f"  session {session}: estimate {fast_one:.3f} s, finite-difference baseline {slow_one:.2f} s "
              f"(largest difference in points {difference:.4f})")
        fast += fast_one
        slow += slow_one
    ratio = slow / fast
    print(f"baseline / estimate on sessions {args.baseline_sessions}: {ratio:.0f}x; "
          f"baseline extrapolated to all sessions at that ratio: {total * ratio:.0f} s (a lower bound)")


if __name__ == "__main__":
    main()
