"""Benchmark: TAXII 2.1 servers side by side over loopback — cyberdip, medallion, OpenTAXII.

Each server runs as its own process (see taxii_servers.py) and is driven over HTTP only; cyberdip
may run in several configurations in one run (SQLite and/or PostgreSQL, 1 or more worker
processes), each its own column. Workload (ANCHORS.md), per server:
  - N STIX 2.1 indicators (~600 B, one TLP marking) posted in 100-object envelopes, each status
    polled until final when the server answers "pending";
  - the whole collection read with limit=1000, following `next`;
  - `match[type]` + `added_after` returning the last 10 % (following `next`);
  - GET by id from one client, 300 requests in a row (p50, p99);
  - GET by id from 8 concurrent connections for --duration seconds, each request a random object
    of the collection (taxii_load.py): by `wrk` (2 threads, taxii_get_by_id.lua) when it is
    installed, else by 8 httpx threads of this process, which cost ~0.6 ms of CPU per request and
    so hold back a fast server on a small machine; the run says which it used;
  - server memory (PSS summed over the server's process tree) after ingest, after the reads, peak;
  - a few conformance probes (version-less media type, malformed parameters, error bodies).
medallion's collection reads are quadratic in the collection's size, so it gets N/10 objects and
the figures are compared per object; OpenTAXII gets N.

What the figures mean:
  ingest obj/s        objects / the summed time from each POST until its status is final;
  envelope latency    median of the first and of the last 10 % of envelopes (growth = a cost
                      rising with the collection's size);
  whole collection    objects read / seconds, all pages;
  GET by id, 8 clients  answers of 200 per second, latency p50 / p99 of all answers (wrk's
                      "Latency Distribution"), errors = other statuses + socket errors, and how many
                      CPU cores the server and the load generator kept busy;
  server CPU per operation  user + system CPU of the server's process tree (workers and ended
                      children included, from /proc) during ingest, the whole-collection read and
                      the 8-client phase, per object ingested, object read and request answered;
                      wall-clock rates move with the machine's load, this barely does;
  database CPU per operation  the same for the PostgreSQL server cyberdip uses (its postmaster's
                      process tree: every client of it counts; the run notes when other programs
                      were connected), when cyberdip runs on PostgreSQL on this machine.
The last column sets the best cyberdip configuration against the best anchor, per row (CPU rows:
server + database CPU). Below the table, each figure goal of the issue (GET by id ≥ 1,500 req/s
with p99 < 10 ms and no errors at 8 clients; < 0.7 ms of CPU per GET by id; ingest ≥ 5,000
obj/s; reads ≥ 50,000 obj/s) is marked met or not met, with the best cyberdip configuration's figure.

Run:
  .venv/bin/python bench/bench_taxii.py [N] [--duration 20] [--only cyberdip,opentaxii]
      [--db sqlite] [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--workers 1,2,4]
  .venv/bin/python bench/bench_taxii.py --scale [--steps 100000,200000,...] [--window 10000] [--db URL]
N defaults to 20000. --db is cyberdip's database: "sqlite" (the default: a temporary SQLite file)
or a URL; repeat it, or separate values by commas, to measure cyberdip on each. A PostgreSQL URL
gets a fresh schema per configuration, dropped after. --workers lists the numbers of server
processes (`cyberdip serve --workers N`) to measure on each database (default 1).
--scale loads one cyberdip collection step by step (cumulative sizes) and prints, per step, the
ingest rate, the read rate of a fixed window (the newest --window objects), GET by id p50/p99 and
memory, to show the per-object cost stays flat; it runs once per cyberdip configuration.

The anchors are found through MEDALLION (the `medallion` command of a venv holding medallion==3.0.0)
and OPENTAXII_VENV (a venv holding opentaxii 0.10.0b1 and gunicorn); bench/taxii_setup_anchors.sh
makes both in /tmp. A missing anchor is skipped with the reason printed. To measure a stable
cyberdip while src/ changes, run this file with the Python of another checkout's venv: the
`cyberdip` command next to that interpreter is the one started.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import taxii_load
import taxii_servers
from taxii_load import get_by_id_load, percentile
from taxii_servers import TAXII, Server

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
ENVELOPE = 100
PAGE = 1000
Figures = dict[str, float]
ServerStart = Callable[[], AbstractContextManager[Server]]  # starts a server, stops it on exit


# ------------------------------------------------------------------------------------------------
# The objects


class Corpus:
    """Indicators numbered 0, 1, ...: each made on demand (a million need not sit in memory), its
    id derived from its number (a version-4 UUID whose low bits are the number)."""

    def __init__(self) -> None:
        self.base = random.getrandbits(128) & ~((1 << 40) - 1)

    def id(self, i: int) -> str:
        return f"indicator--{uuid.UUID(int=self.base | i, version=4)}"

    def object(self, i: int) -> dict[str, Any]:
        return {"type": "indicator", "spec_version": "2.1", "id": self.id(i),
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "name": f"benchmark indicator {i}", "description": "x" * 200,
                "pattern": f"[ipv4-addr:value = '10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']",
                "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [GREEN]}


# ------------------------------------------------------------------------------------------------
# Measuring


class MemorySampler:
    """Samples the server's memory in the background; `peak` is the largest sample."""

    def __init__(self, server: Server, every: float = 0.25) -> None:
        self.server, self.every, self.peak = server, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> float:
        value = self.server.memory_mb()
        self.peak = max(self.peak, value)
        return value

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _final_status(client: httpx.Client, server: Server, body: dict[str, Any]) -> dict[str, Any]:
    """Poll a status resource until it is no longer pending (§4.3)."""
    wait, deadline = 0.005, time.monotonic() + 600
    while body.get("status") == "pending":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name}: status {body.get('id')} still pending after 600 s")
        time.sleep(wait)
        wait = min(wait * 2, 0.5)
        response = client.get(f"{server.api_root}status/{body['id']}/")
        response.raise_for_status()
        body = response.json()
    return body


def ingest(client: httpx.Client, server: Server, corpus: Corpus, start: int, stop: int,
           boundary: int | None = None) -> tuple[float, list[float]]:
    """POST objects [start, stop) in envelopes of up to 100, each status followed until final; an
    envelope boundary falls at `boundary` so that an `added_after` split there is exact. Returns
    obj/s and each envelope's latency in ms (POST until its status is final; making and encoding
    the envelope is not counted)."""
    cuts = sorted({start, stop, *([boundary] if boundary and start < boundary < stop else [])})
    latencies: list[float] = []
    failures = 0
    for low, high in itertools.pairwise(cuts):
        for i in range(low, high, ENVELOPE):
            size = min(i + ENVELOPE, high) - i
            body = json.dumps({"objects": [corpus.object(j) for j in range(i, i + size)]}).encode()
            sent = time.perf_counter()
            response = client.post(server.objects_url, content=body, headers={"Content-Type": TAXII})
            if response.status_code != 202:
                raise RuntimeError(f"{server.name}: POST answered {response.status_code}: {response.text[:300]}")
            status = _final_status(client, server, response.json())
            latencies.append((time.perf_counter() - sent) * 1000)
            stored = status.get("success_count")
            failures += size - int(stored) if stored is not None else int(status.get("failure_count") or 0)
    if failures:
        server.notes.append(f"{failures} objects not stored (status success_count / failure_count)")
    return (stop - start) / (sum(latencies) / 1000), latencies


try:  # the client parses every page it reads: a fast parser keeps it from limiting what is measured
    from orjson import loads as parse
except ImportError:  # pragma: no cover - the standard library's parser, several times slower
    from json import loads as parse


def read_pages(client: httpx.Client, server: Server, params: dict[str, str | int]) -> int:
    """GET the collection's objects page by page (limit=1000), following `next`; the number read."""
    count, query = 0, {**params, "limit": PAGE}
    while True:
        response = client.get(server.objects_url, params=query)
        if response.status_code != 200:
            raise RuntimeError(f"{server.name}: GET objects answered {response.status_code}: {response.text[:300]}")
        body = parse(response.content)
        count += len(body.get("objects", []))
        if not body.get("more") or not body.get("next"):
            return count
        query = {**params, "limit": PAGE, "next": body["next"]}


def added_last(client: httpx.Client, server: Server, object_id: str) -> str | None:
    """The X-TAXII-Date-Added-Last of one object (§5.6 Get an Object)."""
    response = client.get(f"{server.objects_url}{object_id}/")
    return response.headers.get("X-TAXII-Date-Added-Last") if response.status_code == 200 else None


def tail(client: httpx.Client, server: Server, corpus: Corpus, after_index: int) -> tuple[float, int]:
    """`match[type]=indicator` + `added_after` = the date added of object `after_index`, following
    `next`: seconds and objects returned."""
    since = added_last(client, server, corpus.id(after_index))
    if since is None:
        server.notes.append("GET object by id sends no X-TAXII-Date-Added-Last header")
        return float("nan"), 0
    began = time.perf_counter()
    count = read_pages(client, server, {"match[type]": "indicator", "added_after": since})
    return time.perf_counter() - began, count


def get_by_id(client: httpx.Client, server: Server, ids: list[str]) -> list[float]:
    latencies = []
    for object_id in ids:
        began = time.perf_counter()
        response = client.get(f"{server.objects_url}{object_id}/")
        latencies.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or len(response.json().get("objects", [])) != 1:
            server.notes.append(f"GET by id answered {response.status_code}: {' '.join(response.text.split())[:100]}")
            break
    return latencies


def cpu_now(server: Server) -> tuple[float, float | None]:
    """CPU seconds used so far by the server's process tree and by its database server (None when
    it has none of its own on this machine)."""
    seconds = server.cpu_seconds(), server.database_cpu_seconds()
    if seconds[1] is not None and server.database and server.database.other_clients():
        server.notes.append("other programs were connected to the PostgreSQL server while it was measured: "
                            "its CPU counts their work too")
    return seconds


def cpu_per_operation(server: Server, since: tuple[float, float | None], operations: int, what: str) -> Figures:
    """ms of server CPU, and of database CPU when measured, per operation since `since`:
    figures "cpu WHAT" and "db cpu WHAT"."""
    server_cpu, database_cpu = cpu_now(server)
    figures = {f"cpu {what}": (server_cpu - since[0]) * 1000 / max(operations, 1)}
    if database_cpu is not None and since[1] is not None:
        figures[f"db cpu {what}"] = (database_cpu - since[1]) * 1000 / max(operations, 1)
    return figures


def concurrent_get_by_id(server: Server, corpus: Corpus, n: int, clients: int, duration: float) -> Figures:
    """`clients` concurrent connections GET random objects by id for `duration` s (taxii_load)."""
    since, began = cpu_now(server), time.perf_counter()
    load = get_by_id_load(server, [corpus.id(i) for i in range(n)], clients, duration)
    elapsed = time.perf_counter() - began
    server_busy = (server.cpu_seconds() - since[0]) / elapsed
    if load.examples:
        server.notes.append(f"concurrent GET by id errors, e.g. {'; '.join(load.examples[:3])}")
    return cpu_per_operation(server, since, load.requests, "get") | {
        "conc req/s": load.ok_per_second, "conc p50": load.p50_ms, "conc p99": load.p99_ms,
        "conc errors": float(load.errors), "conc server cpu": server_busy,
        "conc client cpu": load.client_cpu_seconds / elapsed}


def probes(client: httpx.Client, server: Server) -> None:
    """A few conformance details where the anchors are known to slip; each failure becomes a note."""
    url = server.objects_url
    checks: list[tuple[str, Callable[[], httpx.Response], Callable[[httpx.Response], bool]]] = [
        ("Accept: application/taxii+json (no version) is refused",
         lambda: client.get(url, params={"limit": 1}, headers={"Accept": "application/taxii+json"}),
         lambda r: r.status_code == 200),
        ("limit=abc does not answer 400",
         lambda: client.get(url, params={"limit": "abc"}), lambda r: r.status_code == 400),
        ("added_after=yesterday does not answer 400",
         lambda: client.get(url, params={"added_after": "yesterday"}), lambda r: r.status_code == 400),
        ("unknown object does not answer 404",
         lambda: client.get(f"{url}indicator--{uuid.uuid4()}/"), lambda r: r.status_code == 404),
        ("error bodies lack a title",
         lambda: client.get(f"{server.api_root}collections/{uuid.uuid4()}/"),
         lambda r: r.status_code >= 400 and _json(r).get("title") is not None),
    ]
    for failure, request, good in checks:
        try:
            response = request()
            if not good(response):
                server.notes.append(f"{failure} (HTTP {response.status_code})")
        except httpx.HTTPError as exc:
            server.notes.append(f"{failure} ({exc!r})")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# ------------------------------------------------------------------------------------------------
# One server, the whole workload


@dataclass
class Outcome:
    name: str
    figures: Figures
    notes: list[str]

    @property
    def ours(self) -> bool:
        return self.name.startswith("cyberdip")

    @property
    def configuration(self) -> str:
        """"PostgreSQL, 2 workers" for "cyberdip (PostgreSQL, 2 workers)"."""
        return self.name.removeprefix("cyberdip (").removesuffix(")")


def workload(server: Server, n: int, duration: float) -> Figures:
    corpus = Corpus()
    boundary = n - n // 10  # the last 10 %
    figures: Figures = {"objects": n}
    with MemorySampler(server) as memory, httpx.Client(timeout=3600, headers=server.headers) as client:
        figures["mem start"] = memory.sample()
        since = cpu_now(server)
        rate, envelopes = ingest(client, server, corpus, 0, n, boundary)
        figures |= cpu_per_operation(server, since, n, "ingest")
        tenth = max(1, len(envelopes) // 10)
        figures |= {"ingest obj/s": rate, "envelope first ms": statistics.median(envelopes[:tenth]),
                    "envelope last ms": statistics.median(envelopes[-tenth:])}
        figures["mem ingest"] = memory.sample()
        print(f"    {server.name}: ingested {n:,} in {n / rate:.1f} s", flush=True)

        began, since = time.perf_counter(), cpu_now(server)
        count = read_pages(client, server, {})
        figures["read s"] = time.perf_counter() - began
        figures |= cpu_per_operation(server, since, count, "read")
        figures["read obj/s"] = count / figures["read s"]
        if count != n:
            server.notes.append(f"whole-collection read returned {count:,} objects, not {n:,}")
        print(f"    {server.name}: read all in {figures['read s']:.1f} s", flush=True)

        seconds, returned = tail(client, server, corpus, boundary - 1)
        figures |= {"tail ms": seconds * 1000, "tail objects": returned}
        if returned != n - boundary:
            server.notes.append(f"match[type]+added_after returned {returned:,} objects, not the last {n - boundary:,}")

        ids = [corpus.id(i) for i in random.sample(range(n), min(n, 300))]
        get_by_id(client, server, ids[:20])  # warm up
        single = get_by_id(client, server, ids)
        figures |= {"get p50": percentile(single, 0.5), "get p99": percentile(single, 0.99)}
        figures |= concurrent_get_by_id(server, corpus, n, 8, duration)
        figures["mem reads"] = memory.sample()
        probes(client, server)
    figures["mem peak"] = memory.peak
    return figures


def measure(name: str, start: ServerStart, n: int, duration: float) -> Outcome | None:
    print(f"  {name}: {n:,} objects ...", flush=True)
    try:
        with start() as server:
            figures = workload(server, n, duration)
            return Outcome(name, figures, server.notes)
    except Exception as exc:  # report and go on with the other servers
        print(f"  {name} FAILED: {exc.__class__.__name__}: {exc}", flush=True)
        return None


# ------------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Row:
    label: str
    show: Callable[[Figures], str]
    value: Callable[[Figures], float] | None = None  # the figure compared, per object where sizes differ
    higher_is_better: bool = True


def _f(key: str, digits: int = 1) -> Callable[[Figures], str]:
    return lambda f: f"{f[key]:,.{digits}f}"


def total_cpu(what: str) -> Callable[[Figures], float]:
    """ms of CPU per operation, server and database together (the database's when measured)."""
    return lambda f: f[f"cpu {what}"] + f.get(f"db cpu {what}", 0.0)


def _database_cpu(f: Figures) -> str:
    if "db cpu get" not in f:
        return "—"
    return f"{f['db cpu ingest']:.3f} / {f['db cpu read']:.3f} / {f['db cpu get']:.3f}"


ROWS = [
    Row("objects in the collection", lambda f: f"{f['objects']:,.0f}"),
    Row("ingest until every status is final (obj/s)", _f("ingest obj/s", 0), lambda f: f["ingest obj/s"]),
    Row("envelope latency, first → last 10 % (ms)",
        lambda f: f"{f['envelope first ms']:,.0f} → {f['envelope last ms']:,.0f}",
        lambda f: f["envelope last ms"], False),
    Row("whole collection, limit=1000 + next (s)", _f("read s", 2)),
    Row("whole collection (obj/s)", _f("read obj/s", 0), lambda f: f["read obj/s"]),
    Row("match[type] + added_after, last 10 % (ms, objects)",
        lambda f: f"{f['tail ms']:,.1f} ({f['tail objects']:,.0f})",
        lambda f: f["tail ms"] / max(f["tail objects"], 1), False),
    Row("GET by id, one client, p50 / p99 (ms)", lambda f: f"{f['get p50']:,.2f} / {f['get p99']:,.2f}",
        lambda f: f["get p50"], False),
    Row("GET by id, 8 clients (req/s)", _f("conc req/s", 0), lambda f: f["conc req/s"]),
    Row("GET by id, 8 clients, p50 / p99 (ms)", lambda f: f"{f['conc p50']:,.1f} / {f['conc p99']:,.1f}",
        lambda f: f["conc p99"], False),
    Row("GET by id, 8 clients, errors", _f("conc errors", 0), lambda f: f["conc errors"], False),
    Row("GET by id, 8 clients, CPU cores busy: server / load generator",
        lambda f: f"{f['conc server cpu']:.2f} / {f['conc client cpu']:.2f}"),
    Row("server CPU per ingested object (ms)", _f("cpu ingest", 3), total_cpu("ingest"), False),
    Row("server CPU per object read (ms)", _f("cpu read", 3), total_cpu("read"), False),
    Row("server CPU per GET by id, 8 clients (ms)", _f("cpu get", 3), total_cpu("get"), False),
    Row("database CPU per operation (ms): ingested object / object read / GET by id", _database_cpu),
    Row("memory MB: start → after ingest → after reads",
        lambda f: f"{f['mem start']:,.0f} → {f['mem ingest']:,.0f} → {f['mem reads']:,.0f}"),
    Row("memory MB, peak", _f("mem peak", 0), lambda f: f["mem peak"], False),
]


def best(outcomes: list[Outcome], value: Callable[[Figures], float], higher_is_better: bool = True) -> Outcome:
    return (max if higher_is_better else min)(outcomes, key=lambda o: value(o.figures))


def compare(row: Row, ours: list[Outcome], anchors: list[Outcome]) -> str:
    """The best cyberdip configuration against the best anchor, on this row's figure."""
    if row.value is None or not ours or not anchors:
        return ""
    mine, best_anchor = best(ours, row.value, row.higher_is_better), best(anchors, row.value, row.higher_is_better)
    value, theirs = row.value(mine.figures), row.value(best_anchor.figures)
    if value == theirs:
        verdict = f"same as {best_anchor.name}"
    elif min(value, theirs) <= 0:  # zero errors against some
        verdict = f"{'better' if (value > theirs) == row.higher_is_better else 'worse'} than {best_anchor.name}"
    else:
        ratio = value / theirs if row.higher_is_better else theirs / value
        verdict = (f"{ratio:,.1f}× better than {best_anchor.name}" if ratio >= 1
                   else f"{1 / ratio:,.1f}× worse than {best_anchor.name}")
    return f"{mine.configuration}: {verdict}"


def table(names: list[str], outcomes: list[Outcome]) -> str:
    """One column per server in `names` ("—" where it failed), then cyberdip's best against the best anchor."""
    by_name = {o.name: o for o in outcomes}
    ours, anchors = [o for o in outcomes if o.ours], [o for o in outcomes if not o.ours]
    lines = ["| figure | " + " | ".join(names) + " | cyberdip vs best anchor |",
             "|---|" + "---|" * (len(names) + 1)]
    for row in ROWS:
        cells = [row.show(by_name[name].figures) if name in by_name else "—" for name in names]
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {compare(row, ours, anchors)} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Goal:
    """A figure goal of the issue: whether a configuration meets it, how configurations rank on it
    (higher is better), and the figures shown."""

    text: str
    met: Callable[[Figures], bool]
    rank: Callable[[Figures], float]
    show: Callable[[Figures], str]


GOALS = [
    Goal("GET by id ≥ 1,500 req/s with p99 < 10 ms and 0 errors at 8 clients",
         lambda f: f["conc req/s"] >= 1500 and f["conc p99"] < 10 and f["conc errors"] == 0,
         lambda f: f["conc req/s"],
         lambda f: f"{f['conc req/s']:,.0f} req/s, p99 {f['conc p99']:,.1f} ms, {f['conc errors']:,.0f} errors"),
    Goal("server CPU (+ database CPU) < 0.7 ms per GET by id", lambda f: total_cpu("get")(f) < 0.7,
         lambda f: -total_cpu("get")(f), lambda f: f"{total_cpu('get')(f):.3f} ms"),
    Goal("ingest ≥ 5,000 validated obj/s", lambda f: f["ingest obj/s"] >= 5000, lambda f: f["ingest obj/s"],
         lambda f: f"{f['ingest obj/s']:,.0f} obj/s"),
    Goal("reads ≥ 50,000 obj/s", lambda f: f["read obj/s"] >= 50000, lambda f: f["read obj/s"],
         lambda f: f"{f['read obj/s']:,.0f} obj/s"),
]


def goal_lines(ours: list[Outcome]) -> list[str]:
    """Per goal: met or not by the best cyberdip configuration (one meeting it, when any does)."""
    lines = []
    for goal in GOALS:
        meeting = [o for o in ours if goal.met(o.figures)]
        shown = best(meeting or ours, goal.rank)
        lines.append(f"  {goal.text}: {'met' if meeting else 'not met'} — {shown.name}: {goal.show(shown.figures)}")
    return lines


# ------------------------------------------------------------------------------------------------
# Scale mode: one cyberdip collection, loaded step by step


def scale(start: ServerStart, name: str, steps: list[int], window: int) -> None:
    print(f"\n{name}: one collection loaded step by step. Window read: the newest {window:,} objects "
          "(match[type] + added_after, limit=1000, following next). GET by id: 300 random objects of the whole "
          "collection, one client.")
    print("| objects | ingest obj/s | envelope p50 / p99 ms | window read obj/s | GET by id p50 / p99 ms "
          "| memory MB | elapsed s |")
    print("|---|---|---|---|---|---|---|", flush=True)
    corpus, loaded = Corpus(), 0
    with start() as server, MemorySampler(server) as memory, \
            httpx.Client(timeout=3600, headers=server.headers) as client:
        began = time.perf_counter()
        for target in steps:
            if target <= loaded:
                continue
            rate, envelopes = ingest(client, server, corpus, loaded, target, target - window)
            loaded = target
            expected = min(window, loaded)
            if window < loaded:
                seconds, returned = tail(client, server, corpus, loaded - window - 1)
            else:
                clock = time.perf_counter()
                returned = read_pages(client, server, {})
                seconds = time.perf_counter() - clock
            if returned != expected:
                server.notes.append(f"at {loaded:,} objects the window read returned {returned:,}, not {expected:,}")
            single = get_by_id(client, server, [corpus.id(i) for i in random.sample(range(loaded), 300)])
            print(f"| {loaded:,} | {rate:,.0f} | {percentile(envelopes, 0.5):,.0f} / {percentile(envelopes, 0.99):,.0f}"
                  f" | {returned / seconds:,.0f} | {percentile(single, 0.5):.2f} / {percentile(single, 0.99):.2f}"
                  f" | {memory.sample():,.0f} | {time.perf_counter() - began:,.0f} |", flush=True)
    print(f"peak memory {memory.peak:,.0f} MB (PSS of the server's process tree)")
    for note in dict.fromkeys(server.notes):
        print(f"  note: {note}")


# ------------------------------------------------------------------------------------------------


def database_urls(values: list[str] | None) -> list[str | None]:
    """--db values, each one URL or several separated by commas; "sqlite" (None here) is a
    temporary SQLite file."""
    parts = [part.strip() for value in values or ["sqlite"] for part in value.split(",") if part.strip()]
    return [None if part == "sqlite" else part for part in parts]


def cyberdip_servers(urls: list[str | None], workers: list[int]) -> list[tuple[str, ServerStart]]:
    """cyberdip on every database with every number of workers: (column name, how to start it)."""
    return [(taxii_servers.cyberdip_name(url, count), partial(taxii_servers.cyberdip, url, count))
            for url in urls for count in workers]


def anchor_servers(chosen: set[str]) -> list[tuple[str, ServerStart]]:
    """medallion and OpenTAXII when chosen and installed (else the reason is printed)."""
    servers: list[tuple[str, ServerStart]] = []
    if "medallion" in chosen:
        command = os.environ.get("MEDALLION") or shutil.which("medallion")
        if command:
            servers.append(("medallion", partial(taxii_servers.medallion, command)))
        else:
            print("  medallion skipped: set MEDALLION to the `medallion` command of a venv holding medallion==3.0.0 "
                  "(bench/taxii_setup_anchors.sh makes /tmp/medv)")
    if "opentaxii" in chosen:
        venv = os.environ.get("OPENTAXII_VENV")
        if venv and (Path(venv) / "bin" / "gunicorn").exists():
            servers.append(("OpenTAXII", partial(taxii_servers.opentaxii, venv)))
        else:
            print(f"  OpenTAXII skipped: {'no gunicorn in ' + venv if venv else 'OPENTAXII_VENV is not set'}; "
                  "it must name a venv holding opentaxii 0.10.0b1 and gunicorn (bench/taxii_setup_anchors.sh "
                  "makes /tmp/otv)")
    return servers


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=20000, help="objects per server (medallion gets N/10)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of concurrent GET by id")
    parser.add_argument("--only", default="", help="comma-separated: cyberdip, medallion, opentaxii")
    parser.add_argument("--db", action="append", help="cyberdip's database: sqlite (a temporary file) or a URL; "
                        "repeat it or separate by commas to measure several (PostgreSQL: a fresh schema each)")
    parser.add_argument("--workers", default="1", help="comma-separated numbers of cyberdip server processes")
    parser.add_argument("--scale", action="store_true", help="load step by step and show per-object cost")
    parser.add_argument("--steps", default=",".join(str(k * 100_000) for k in range(1, 11)),
                        help="--scale: cumulative collection sizes (default 100000,...,1000000)")
    parser.add_argument("--window", type=int, default=10000, help="--scale: objects read per window read")
    args = parser.parse_args()
    args.chosen = {s.strip().lower() for s in args.only.split(",") if s.strip()} or (
        {"cyberdip"} if args.scale else {"cyberdip", "medallion", "opentaxii"})
    unknown = args.chosen - {"cyberdip", "medallion", "opentaxii"}
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    try:
        args.workers = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    except ValueError:
        parser.error(f"--workers: not a list of numbers: {args.workers}")
    if not args.workers or min(args.workers) < 1:
        parser.error("--workers: give numbers of at least 1")
    args.db = database_urls(args.db)
    if len({taxii_servers.cyberdip_name(url) for url in args.db}) < len(args.db):
        parser.error("--db: give one SQLite and one PostgreSQL database at most")
    return args


def main() -> None:
    args = parse_arguments()
    servers = cyberdip_servers(args.db, args.workers) if "cyberdip" in args.chosen else []
    servers += anchor_servers(args.chosen)

    if args.scale:
        steps = sorted({int(s) for s in args.steps.split(",") if s.strip()})
        for name, start in servers:
            scale(start, name, steps, args.window)
        return

    print(f"TAXII 2.1 over loopback: N = {args.n:,} indicators in {ENVELOPE}-object envelopes; "
          f"{args.duration:g} s of GET by id from 8 clients by {taxii_load.generator()}")
    load = os.getloadavg()[0]
    outcomes = []
    for name, start in servers:
        size = max(ENVELOPE, args.n // 10) if name == "medallion" else args.n
        if outcome := measure(name, start, size, args.duration):
            outcomes.append(outcome)
    print()
    print(f"load average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
          + (" — other work shared the machine; figures are noisy" if max(load, os.getloadavg()[0]) > 1 else ""))
    print(table([name for name, _ in servers], outcomes))
    print()
    explain(outcomes)
    ours = [o for o in outcomes if o.ours]
    if ours:
        print("goals of the issue, for the best cyberdip configuration:")
        print("\n".join(goal_lines(ours)))
    for outcome in outcomes:
        for note in dict.fromkeys(outcome.notes):
            print(f"  {outcome.name}: {note}")


def explain(outcomes: list[Outcome]) -> None:
    """What the table's figures are, below it."""
    on_postgres = any("db cpu get" in o.figures for o in outcomes)
    if any(o.name == "medallion" for o in outcomes):
        print("medallion holds N/10 objects (its reads are quadratic in the collection's size): compare it per "
              "object (obj/s; the 10 % query per object returned); its latencies are at its smaller size.")
    print("memory: PSS summed over the server's process tree (shared pages counted once), from /proc"
          + ("; the PostgreSQL server's own memory is not included." if on_postgres else "."))
    print(f"8 clients: {taxii_load.generator()}, on the same cores as the servers; "
          "req/s counts answers of 200, errors other statuses and socket errors.")
    print("server CPU per operation: user + system time of the server's process tree (workers included) during "
          "ingest, the whole-collection read and the 8-client phase, divided by objects ingested, objects read, "
          "requests answered.")
    if on_postgres:
        print("database CPU: the same for the whole PostgreSQL server (its postmaster's process tree, other clients "
              "included); \"cyberdip vs best anchor\" compares server + database CPU.")


if __name__ == "__main__":
    main()
