"""Benchmark: server response times of the web workbench's pages over a real loopback socket.

The embedded default data (the curated dataset) plus the full UN vote history (`--votes`, default
on when the shared data is present), served by `cyberdip serve`'s app in a uvicorn thread; each page
fetched `--rounds` times after one warm-up, one client. Prints p50/p95/max per page and the share of
pages under the 200 ms p95 target.

Run: .venv/bin/python bench/bench_web.py [--rounds 30] [--no-votes]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import UN_VOTES, scratch_database
from tests.support import serving

from cyberdip.interfaces.asgi import create_app
from cyberdip.services import loading, vote_imports
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench

TARGET_MS = 200.0
PAGES = [
    "/", "/search?q=cert", "/r/state:DEU", "/r/state:USA", "/r/state:CHN", "/r/org:nato", "/r/org:un",
    "/r/instrument:un-gge-2015-report", "/r/incident:notpetya-2017", "/r/incident:estonia-ddos-2007",
    "/incidents", "/incidents?actor=state:RUS", "/norms", "/timeline", "/timeline?from=2015&to=2016",
    "/alignment", "/alignment?states=USA,GBR,FRA,RUS,CHN&sessions=73", "/alignment?states=DEU&section=partners",
    "/sharing",
    "/r/state:DEU?download=memberships&format=csv",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-votes", action="store_true")
    args = parser.parse_args()
    with scratch_database() as url:
        workbench = Workbench.open(Settings(database_url=url))
        loading.init_database(workbench)
        if not args.no_votes and UN_VOTES.is_dir():
            vote_imports.import_unga(workbench, UN_VOTES)
            print(f"data: curated dataset + UN votes from {UN_VOTES}")
        else:
            print("data: curated dataset only")
        with serving(create_app(workbench)) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                                  timeout=60) as client:
            rows = []
            for path in PAGES:
                first = client.get(path)
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                rows.append((path, first.status_code, statistics.median(times), p95, times[-1], len(response.content)))
        workbench.close()
    print("\n| page | status | p50 ms | p95 ms | max ms | bytes |\n|---|---|---|---|---|---|")
    for path, status, p50, p95, worst, size in rows:
        flag = "" if p95 < TARGET_MS else " ⚠"
        print(f"| `{path}` | {status} | {p50:.1f} | {p95:.1f}{flag} | {worst:.1f} | {size:,} |")
    under = sum(1 for row in rows if row[3] < TARGET_MS)
    print(f"\n{under}/{len(rows)} pages under {TARGET_MS:.0f} ms at p95 ({args.rounds} rounds each, one client)")


if __name__ == "__main__":
    main()
