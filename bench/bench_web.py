"""Benchmark: the web workbench's pages and API routes, over a real loopback socket.

Default: the embedded curated dataset plus the UN vote history 1946-2019, served in-process; each
page fetched `--rounds` times after one visit.

`--full`: everything the README documents importing (curated data, UN votes 1946-2019 and the
recorded votes of sessions 74-80, EuRepoC, CFR, DCID, MISP, MITRE ATT&CK), each import timed; then
`cyberdip serve` is started as its own process (as a user would, on the loaded database), the time
until it says it is ready is measured, and every URL is visited once (first visits after a start),
then warm, with 1 client and with 8 concurrent clients. Targets: first-visit p95 < 300 ms, warm
p95 < 100 ms, ready < 10 s.

Run: .venv/bin/python bench/bench_web.py [--rounds 30] [--no-votes] | --full [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import SHARED, UN_VOTES, scratch_database
from tests.support import free_port, serving

from cyberdip.interfaces.asgi import create_app
from cyberdip.services import loading, threat_imports, vote_imports
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench

TARGET_MS = 200.0
FIRST_TARGET_MS, WARM_TARGET_MS, READY_TARGET_S = 300.0, 100.0, 10.0
PAGES = [
    "/", "/search?q=cert", "/r/state:DEU", "/r/state:USA", "/r/state:CHN", "/r/org:nato", "/r/org:un",
    "/r/instrument:un-gge-2015-report", "/r/incident:notpetya-2017", "/r/incident:estonia-ddos-2007",
    "/incidents", "/incidents?actor=state:RUS", "/norms", "/timeline", "/timeline?from=2015&to=2016",
    "/alignment", "/alignment?states=USA,GBR,FRA,RUS,CHN&sessions=73", "/alignment?states=DEU&section=partners",
    "/sharing",
    "/r/state:DEU?download=memberships&format=csv",
]
#: the five states with the most records about them, the largest organisation, lists, the timeline,
#: the alignment views, and every kind of /api route
FULL_URLS = [
    "/", "/r/state:USA", "/r/state:RUS", "/r/state:CHN", "/r/state:GBR", "/r/state:UKR", "/r/state:DEU",
    "/r/state:IRN", "/r/state:PRK", "/r/state:CRI", "/r/org:un", "/r/org:nato", "/r/org:eu",
    "/r/initiative:paris-call", "/r/instrument:budapest-convention", "/r/instrument:un-gge-2015-report",
    "/r/incident:notpetya-2017", "/r/incident:wannacry-2017", "/r/group:apt28", "/r/agency:deu-bsi",
    "/incidents", "/incidents?actor=state:RUS", "/norms", "/timeline", "/timeline?from=2015&to=2016",
    "/search?q=China", "/search?q=OEWG", "/sources", "/alignment",
    "/alignment?states=USA,GBR,FRA,RUS,CHN&sessions=79", "/alignment?states=DEU&section=partners",
    "/alignment?section=blocs&sessions=79",
    "/api", "/api/records/state:USA", "/api/records/state:RUS", "/api/records/org:un", "/api/search?q=cert",
    "/api/incidents", "/api/incidents?actor=state:CHN", "/api/claims?by=state:GBR&against=state:RUS",
    "/api/timeline?from=2020", "/api/ideal-points?session=79", "/api/align?state=USA&state=RUS&session=79",
    "/api/partners/state:DEU", "/api/record/state:RUS", "/api/record/state:USA", "/api/assess/incident:notpetya-2017",
    "/api/sources", "/api/norms",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share) - 1)]


def quick(args: argparse.Namespace) -> None:
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
                rows.append((path, first.status_code, statistics.median(times), percentile(times, 0.95),
                             max(times), len(response.content)))
        workbench.close()
    print("\n| page | status | p50 ms | p95 ms | max ms | bytes |\n|---|---|---|---|---|---|")
    for path, status, p50, p95, worst, size in rows:
        flag = "" if p95 < TARGET_MS else " ⚠"
        print(f"| `{path}` | {status} | {p50:.1f} | {p95:.1f}{flag} | {worst:.1f} | {size:,} |")
    under = sum(1 for row in rows if row[3] < TARGET_MS)
    print(f"\n{under}/{len(rows)} pages under {TARGET_MS:.0f} ms at p95 ({args.rounds} rounds each, one client)")


def load_everything(url: str) -> None:
    incidents = SHARED / "cyber-incidents"
    steps = [
        ("curated dataset (cyberdip init)", lambda wb: loading.init_database(wb)),
        ("UN votes 1946-2019", lambda wb: vote_imports.import_unga(wb, UN_VOTES)),
        ("UN votes sessions 74-80", lambda wb: vote_imports.import_unga(
            wb, SHARED / "un-votes-2019-2026" / "unga_recorded_votes_s74-80_dgacm.csv.gz")),
        ("EuRepoC", lambda wb: threat_imports.import_incidents(wb, "eurepoc", incidents / "eurepoc")),
        ("CFR Cyber Operations Tracker", lambda wb: threat_imports.import_incidents(
            wb, "cfr", incidents / "cfr-cyber-operations-tracker" / "cyber-operations-incidents.csv")),
        ("DCID 2.0", lambda wb: threat_imports.import_incidents(wb, "dcid", incidents / "dcid")),
        ("MISP threat actors", lambda wb: threat_imports.import_groups(
            wb, "misp", SHARED / "misp-galaxy" / "clusters" / "threat-actor.json")),
        ("MITRE ATT&CK", lambda wb: threat_imports.import_groups(
            wb, "attack", SHARED / "mitre-attack" / "enterprise-attack-18.1.stix21-derived.json.gz")),
    ]
    workbench = Workbench.open(Settings(database_url=url))
    try:
        print("| import | seconds |\n|---|---|")
        for label, step in steps:
            start = time.perf_counter()
            step(workbench)
            print(f"| {label} | {time.perf_counter() - start:.1f} |")
    finally:
        workbench.close()


def start_server(url: str, port: int) -> tuple[subprocess.Popen[str], float]:
    """`cyberdip serve` on the database; seconds until it answers, with its progress lines echoed."""
    env = {**os.environ, "CYBERDIP_DB": url}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "cyberdip", "serve", "--port", str(port)], env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        if "Starting on" in line or "First start" in line or "up to date" in line or "Uvicorn running" in line:
            print(f"  server: {line.strip()}")
        if "Uvicorn running" in line or "Application startup complete" in line:
            break
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api", timeout=5)
            return process, time.perf_counter() - start
        except httpx.HTTPError:
            time.sleep(0.05)


def visit(client: httpx.Client, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    response = client.get(path)
    return response.status_code, (time.perf_counter() - start) * 1000


def full(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'full.db'}"
        load_everything(url)
        port = free_port()
        process, ready = start_server(url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                first = {path: visit(client, path) for path in FULL_URLS}
                warm: dict[str, list[float]] = {path: [] for path in FULL_URLS}
                for _ in range(args.rounds):
                    for path in FULL_URLS:
                        warm[path].append(visit(client, path)[1])

            def crawl(_: int) -> list[float]:
                with httpx.Client(base_url=base, timeout=120) as own:
                    return [visit(own, path)[1] for _ in range(args.rounds) for path in FULL_URLS]

            with ThreadPoolExecutor(8) as pool:
                concurrent = [t for times in pool.map(crawl, range(8)) for t in times]
        finally:
            process.terminate()
            process.wait(10)
    print(f"\nready {ready:.1f} s after `cyberdip serve` started (target < {READY_TARGET_S:.0f} s)\n")
    print("| URL | status | first ms | warm p50 ms | warm p95 ms |\n|---|---|---|---|---|")
    for path in FULL_URLS:
        status, first_ms = first[path]
        flag = "" if first_ms < FIRST_TARGET_MS else " ⚠"
        print(f"| `{path}` | {status} | {first_ms:.0f}{flag} | {statistics.median(warm[path]):.0f} | "
              f"{percentile(warm[path], 0.95):.0f} |")
    firsts = [ms for _, ms in first.values()]
    warms = [t for times in warm.values() for t in times]
    print(f"\n{len(FULL_URLS)} URLs; first visits p50 {statistics.median(firsts):.0f} ms, p95 "
          f"{percentile(firsts, 0.95):.0f} ms (target < {FIRST_TARGET_MS:.0f}); warm, 1 client: p50 "
          f"{statistics.median(warms):.0f} ms, p95 {percentile(warms, 0.95):.0f} ms (target < {WARM_TARGET_MS:.0f}); "
          f"warm, 8 clients: p50 {statistics.median(concurrent):.0f} ms, p95 {percentile(concurrent, 0.95):.0f} ms")
    errors = [path for path, (status, _) in first.items() if status >= 400]
    if errors:
        print(f"errors: {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--no-votes", action="store_true")
    parser.add_argument("--full", action="store_true", help="every importer, a real server process, 1 and 8 clients")
    args = parser.parse_args()
    if args.full:
        args.rounds = args.rounds or 5
        full(args)
    else:
        args.rounds = args.rounds or 30
        quick(args)


if __name__ == "__main__":
    main()
