"""Concurrent GET by id for bench_taxii.py: `wrk` when it is installed, else threads of this process.

wrk (2 threads, 8 connections, --latency, taxii_get_by_id.lua) costs a few µs of CPU per request;
httpx threads cost ~0.6 ms each, so on a small machine they, not the server, set the pace. Both
report the same figures: answers of 200 per second, p50 / p99 latency, errors (other statuses and
socket errors) and the CPU the load generator used.
"""

from __future__ import annotations

import random
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from taxii_servers import Server

WRK_THREADS = 2
LUA_SCRIPT = Path(__file__).with_name("taxii_get_by_id.lua")
SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass
class Load:
    """What one run of the load generator saw."""

    ok_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int  # answered, whatever the status
    errors: int  # statuses other than 200, plus socket errors
    client_cpu_seconds: float
    examples: list[str] = field(default_factory=list)  # a few of the errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


def generator() -> str:
    """Which load generator `get_by_id_load` uses, as printed with the results."""
    if shutil.which("wrk"):
        return f"wrk ({WRK_THREADS} threads, one connection per client)"
    return "httpx threads of this process, one connection each (wrk is not installed)"


def get_by_id_load(server: Server, ids: list[str], clients: int, duration: float) -> Load:
    """`clients` connections GET objects picked at random from `ids` for `duration` seconds."""
    run = wrk_load if shutil.which("wrk") else threads_load
    return run(server, ids, clients, duration)


# ------------------------------------------------------------------------------------------------
# wrk


def wrk_load(server: Server, ids: list[str], clients: int, duration: float) -> Load:
    url = urlsplit(server.objects_url)
    with tempfile.NamedTemporaryFile("w", prefix="taxii-ids-", suffix=".txt") as id_file:
        id_file.write("\n".join(ids) + "\n")
        id_file.flush()
        headers = [option for name, value in server.headers.items() for option in ("-H", f"{name}: {value}")]
        command = ["wrk", "-t", str(WRK_THREADS), "-c", str(clients), "-d", f"{duration:g}s", "--timeout", "60s",
                   "--latency", *headers, "-s", str(LUA_SCRIPT), f"{url.scheme}://{url.netloc}/",
                   "--", id_file.name, url.path]
        output, cpu = _run_measuring_cpu(command)
    return parse_wrk(output, cpu)


def _run_measuring_cpu(command: list[str]) -> tuple[str, float]:
    """Run a command to its end; its output and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _seconds(text: str) -> float:
    """A duration as wrk prints it: 950.00us, 4.21ms, 1.02s, 1.50m."""
    number = text.rstrip("usmh")
    return float(number) * SECONDS[text[len(number):]]


def _search(pattern: str, output: str) -> re.Match[str]:
    found = re.search(pattern, output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{output}")
    return found


def parse_wrk(output: str, client_cpu_seconds: float) -> Load:
    """Read wrk's report: the "N requests in Ts" line, the Latency Distribution, socket errors and the
    lines taxii_get_by_id.lua adds (statuses other than 200)."""
    requests, elapsed = _search(r"^\s*(\d+) requests in ([\d.]+\w+)", output).groups()
    p50 = _search(r"^\s*50%\s+(\S+)", output).group(1)
    p99 = _search(r"^\s*99%\s+(\S+)", output).group(1)
    bad = int(_search(r"^bad statuses: (\d+)", output).group(1))
    socket = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    socket_errors = sum(int(n) for n in re.findall(r"\d+", socket.group(1))) if socket else 0
    examples = [line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("first bad status: ")]
    if socket:
        examples.append(f"socket errors: {socket.group(1)}")
    return Load(ok_per_second=(int(requests) - bad) / _seconds(elapsed), p50_ms=_seconds(p50) * 1000,
                p99_ms=_seconds(p99) * 1000, requests=int(requests), errors=bad + socket_errors,
                client_cpu_seconds=client_cpu_seconds, examples=examples)


# ------------------------------------------------------------------------------------------------
# httpx threads (when wrk is missing)


def threads_load(server: Server, ids: list[str], clients: int, duration: float) -> Load:
    """`clients` threads of this process, each with its own connection."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    seen: list[str] = []
    start = threading.Barrier(clients + 1)
    deadline = 0.0

    def worker(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(headers=server.headers, timeout=60) as client:
            start.wait()
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                problem = _get(client, f"{server.objects_url}{rng.choice(ids)}/")
                if problem and len(seen) < 3 and problem not in seen:
                    seen.append(problem)
                if problem:
                    errors[k] += 1
                else:
                    latencies[k].append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + duration
    began, cpu = time.perf_counter(), time.process_time()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    done = [x for per in latencies for x in per]
    return Load(ok_per_second=len(done) / elapsed, p50_ms=percentile(done, 0.5), p99_ms=percentile(done, 0.99),
                requests=len(done) + sum(errors), errors=sum(errors), client_cpu_seconds=cpu, examples=seen)


def _get(client: httpx.Client, url: str) -> str:
    """GET one object; "" when it answered 200, else what went wrong."""
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return repr(exc)[:100]
    return "" if response.status_code == 200 else f"HTTP {response.status_code} {' '.join(response.text.split())[:80]}"

