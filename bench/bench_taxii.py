"""Benchmark: the TAXII 2.1 hub over a real loopback socket, beside medallion when it is installed.

Workload (ANCHORS.md): N STIX 2.1 indicators (~600 B, one TLP marking) posted in 100-object
envelopes; the whole collection read with limit=1000 following `next`; `match[type]` +
`added_after` returning the last 10 %; GET by id from one client.

Run: .venv/bin/python bench/bench_taxii.py [N]        (default N = 20000)
medallion (the OASIS reference server) is measured in the same run when importable
(`pip install medallion==3.0.0`); its collection reads are quadratic, so it gets N/10 objects
and the figures are compared per object.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import serving

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench

TAXII = "application/taxii+json;version=2.1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def indicators(n: int) -> list[dict[str, Any]]:
    return [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
             "name": f"benchmark indicator {i}", "description": "x" * 200,
             "pattern": f"[ipv4-addr:value = '10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']",
             "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [GREEN]}
            for i in range(n)]


def run(base: str, collection: str, headers: dict[str, str], objects: list[dict[str, Any]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    with httpx.Client(timeout=600, headers=headers) as client:
        url = f"{base}collections/{collection}/objects/"
        start = time.perf_counter()
        for i in range(0, len(objects), 100):
            response = client.post(url, json={"objects": objects[i:i + 100]},
                                   headers={"Content-Type": TAXII})
            assert response.status_code == 202, response.text[:200]
        figures["ingest obj/s"] = len(objects) / (time.perf_counter() - start)
        start, count, params = time.perf_counter(), 0, {"limit": 1000}
        last_added = None
        while True:
            response = client.get(url, params=params)
            body = response.json()
            count += len(body.get("objects", []))
            if count <= len(objects) * 0.9:
                last_added = response.headers.get("X-TAXII-Date-Added-Last", last_added)
            if not body.get("more") or not body.get("next"):
                break
            params = {"limit": 1000, "next": body["next"]}
        figures["read all obj/s"] = count / (time.perf_counter() - start)
        assert count == len(objects), (count, len(objects))
        if last_added:
            start = time.perf_counter()
            tail = client.get(url, params={"match[type]": "indicator", "added_after": last_added, "limit": 1000})
            figures["last 10% ms"] = (time.perf_counter() - start) * 1000
            assert tail.status_code == 200
        latencies = []
        for obj in objects[:: max(1, len(objects) // 200)]:
            start = time.perf_counter()
            assert client.get(f"{url}{obj['id']}/").status_code == 200
            latencies.append((time.perf_counter() - start) * 1000)
        figures["get by id p50 ms"] = statistics.median(latencies)
        figures["get by id p99 ms"] = sorted(latencies)[int(len(latencies) * 0.99) - 1]
    return figures


def cyberdip(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        bench = Workbench.open(Settings(database_url=f"sqlite:///{Path(folder) / 'hub.db'}"))
        loading.init_database(bench)
        with bench.writing() as connection:
            sharing.add_partner(connection, "CERT-In")
            collection = sharing.add_collection(connection, "bench", "Benchmark")
            key = sharing.issue_key(connection, "partner:ind-cert-in")
            sharing.grant(connection, "partner:ind-cert-in", "bench", read=True, write=True, max_tlp=TLP.AMBER)
        with serving(create_app(bench)) as port:
            figures = run(f"http://127.0.0.1:{port}/taxii2/api/", collection["id"],
                          {"Authorization": f"Bearer {key}", "Accept": TAXII}, indicators(n))
        bench.close()
    return figures


def medallion(n: int, command: str) -> dict[str, float]:
    """medallion's own server (memory backend, basic auth), one read/write collection."""
    import base64
    import json
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    collection = str(uuid.uuid4())
    with tempfile.TemporaryDirectory() as folder:
        data = {"/discovery": {"title": "bench", "default": f"http://127.0.0.1:{port}/bench/",
                               "api_roots": [f"http://127.0.0.1:{port}/bench/"]},
                "bench": {"information": {"title": "bench", "versions": [TAXII], "max_content_length": 104857600},
                          "status": [], "collections": [{"id": collection, "title": "bench", "can_read": True,
                                                         "can_write": True, "media_types": [
                                                             "application/stix+json;version=2.1"],
                                                         "objects": [], "manifest": []}]}}
        (Path(folder) / "data.json").write_text(json.dumps(data))
        (Path(folder) / "config.json").write_text(json.dumps({
            "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                        "filename": str(Path(folder) / "data.json")},
            "users": {"bench": "bench"}, "taxii": {"max_page_size": 1000}}))
        server = subprocess.Popen([command, "--host", "127.0.0.1", "--port", str(port),
                                   str(Path(folder) / "config.json")], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/taxii2/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            auth = base64.b64encode(b"bench:bench").decode()
            return run(f"http://127.0.0.1:{port}/bench/", collection,
                       {"Authorization": f"Basic {auth}", "Accept": TAXII}, indicators(n))
        finally:
            server.terminate()
            server.wait(10)


def main() -> None:
    import os
    import shutil

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print(f"TAXII 2.1: {n:,} indicators in 100-object envelopes, over loopback")
    ours = cyberdip(n)
    for name, value in ours.items():
        print(f"  cyberdip   {name:<20} {value:12.1f}")
    command = os.environ.get("MEDALLION") or shutil.which("medallion")
    if not command:
        print("  medallion not found: install it (`python -m venv /tmp/medv && /tmp/medv/bin/pip install "
              "medallion==3.0.0`) and set MEDALLION=/tmp/medv/bin/medallion to measure it in this run")
        return
    small = max(100, n // 10)
    theirs = medallion(small, command)
    print(f"  medallion at {small:,} objects (its reads are quadratic in collection size):")
    for name, value in theirs.items():
        better = ours[name] / value if "obj/s" in name else value / ours[name]
        print(f"  medallion  {name:<20} {value:12.1f}   cyberdip is {better:6.1f}x better")


if __name__ == "__main__":
    main()
