"""Benchmark: importing the full UN vote history (1946-2026), all-pairs alignment over it, and the
backtest of the vote forecasts. Targets: import < 60 s on SQLite; all pairs, four measures, full
history < 1 s including loading; the backtest < 60 s.

Each figure is printed beside a straightforward baseline measured in the same run:
- import: pandas reading the same CSVs and writing one row per vote with ``DataFrame.to_sql``
  (no validation, no state mapping) — what a quick script would do;
- alignment: the textbook per-pair Python loop, timed on a sample of pairs and scaled to all pairs.

Run: .venv/bin/python bench/bench_votes.py
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import UN_VOTES, require_data, scratch_database, timed

from cyberdip.analysis.alignment import alignment
from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix
from cyberdip.services import forecasts, loading, vote_imports, votes
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench


def baseline_import() -> None:
    with tempfile.TemporaryDirectory() as folder:
        connection = sqlite3.connect(Path(folder) / "baseline.db")
        calls = pd.read_csv(UN_VOTES / "un_roll_calls.csv.gz")
        rows = pd.read_csv(UN_VOTES / "un_votes.csv.gz", keep_default_na=False)
        calls.to_sql("rollcalls", connection, index=False)
        rows.to_sql("votes", connection, index=False)
        connection.commit()
        connection.close()


def loop_measures(matrix: VoteMatrix, i: int, j: int) -> tuple[float, float, float, float]:
    """Agreement, S, π and κ for one pair, the way a first script computes them."""
    scale = {YES: 1.0, ABSTAIN: 0.5, NO: 0.0}
    a, b = [], []
    for x, y in zip(matrix.codes[i], matrix.codes[j], strict=True):
        if x and y:
            a.append(scale[int(x)])
            b.append(scale[int(y)])
    if not a:
        return (np.nan,) * 4
    observed = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
    values = (1.0, 0.5, 0.0)
    pa = [a.count(v) / len(a) for v in values]
    pb = [b.count(v) / len(b) for v in values]
    pooled = [(p + q) / 2 for p, q in zip(pa, pb, strict=True)]
    exp_k = sum(pa[k] * pb[m] * abs(values[k] - values[m]) for k in range(3) for m in range(3))
    exp_p = sum(pooled[k] * pooled[m] * abs(values[k] - values[m]) for k in range(3) for m in range(3))
    return 1 - observed, 1 - 2 * observed, 1 - observed / exp_p if exp_p else np.nan, \
        1 - observed / exp_k if exp_k else np.nan


def main() -> None:
    require_data()
    print("UN votes 1946-2026: the shipped snapshot (6,849 roll calls), and the public files it is made of")
    with scratch_database() as url, scratch_database() as raw_url:
        raw = Workbench.open(Settings(database_url=raw_url))
        loading.init_database(raw)
        undl = UN_VOTES.parent / "un-votes-2019-2026" / "unga_recorded_votes_s74-80_dgacm.csv.gz"
        timed("cyberdip import unga: unvotes 1946-2019 + UN 2019-2026 files", lambda: (
            vote_imports.import_unga(raw, UN_VOTES), vote_imports.import_unga(raw, undl)))
        raw.close()
        bench = Workbench.open(Settings(database_url=url))
        loading.init_database(bench)
        summary, ours = timed("cyberdip init's vote import: the shipped snapshot (validated, tagged, SQLite)",
                              lambda: vote_imports.import_shipped_votes(bench))
        _, base = timed("baseline: pandas read_csv + to_sql of the 1946-2019 files (no checks)", baseline_import)
        assert summary is not None
        print(f"  -> {summary.votes:,} votes; ratio cyberdip / baseline = {ours / base:.2f} (target: under 60 s)")

        with bench.reading() as connection:
            _, seconds = timed("cyberdip backtest: every cyber vote since 2018 forecast from the votes before it",
                               lambda: forecasts.backtest(connection))
            print(f"  -> target: under 60 s ({seconds:.1f} s)")

        print("All pairs, four measures (agreement, S, π, κ), full history")
        with bench.reading() as connection:
            matrix, _ = votes.vote_matrix(connection, votes.Selection())  # warm the page cache once

            def load_and_measure() -> object:
                with bench.reading() as again:
                    loaded, _ = votes.vote_matrix(again, votes.Selection())
                return alignment(loaded)

            _, ours = timed("cyberdip: load matrix from the store + all pairs", load_and_measure)
            timed("cyberdip: all pairs only (matrix in memory)", lambda: alignment(matrix))
            n = len(matrix.states)
            pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
            sample = random.Random(7).sample(pairs, 300)
            _, loop = timed("baseline: per-pair Python loop, 300 sampled pairs", lambda: [
                loop_measures(matrix, i, j) for i, j in sample])
            full_loop = loop * len(pairs) / len(sample)
            print(f"  -> {n} states, {len(pairs):,} pairs; baseline scaled to all pairs: {full_loop:.1f} s; "
                  f"speed-up {full_loop / ours:.0f}x (target: under 1 s including loading)")
        bench.close()


if __name__ == "__main__":
    main()
