"""Benchmark: STIX 2.1 validation per object — cyberdip's fast validator against the official stix2-validator.

Workloads (the verdicts of both are also compared, and any difference is printed):
- MITRE ATT&CK Enterprise 18.1, STIX 2.1 copy (shared data): every object with ours, a deterministic
  sample with the official validator, which is far slower;
- N synthetic indicators of ~600 bytes (the TAXII ingest budget's typical object), each with its own
  pattern so that the pattern cache never helps, then one indicator repeated (cache hit).
Ours is timed after a warm-up that compiles the schemas it needs; the one-off compile time is printed too.
Times are CPU time of this process (time.process_time), so that other work on the machine does not inflate
them; ours is the median of --repeat passes. Nothing is asserted.

Run: .venv/bin/python bench/bench_stix_validation.py [--sample 300] [--indicators 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stix2validator import ValidationOptions, validate_instance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED

from cyberdip.sources.stix_validation import validate

ATTACK = SHARED / "mitre-attack" / "enterprise-attack-18.1.stix21-derived.json.gz"
OPTIONS = ValidationOptions(version="2.1", silent=True)


def official(obj: dict[str, Any]) -> bool:
    try:
        return bool(validate_instance(obj, OPTIONS).is_valid)
    except Exception:  # it raises on some malformed input: a refusal
        return False


def per_object(objects: list[dict[str, Any]], check: Callable[[dict[str, Any]], object], repeat: int) -> float:
    """Median CPU seconds per object over `repeat` passes."""
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for obj in objects:
            check(obj)
        runs.append((time.process_time() - start) / len(objects))
    return statistics.median(runs)


def indicators(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        digest = hashlib.sha256(f"{seed}/{number}".encode()).hexdigest()
        made.append({
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
            "created": "2024-03-01T10:00:00.000Z",
            "modified": "2024-03-01T10:00:00.000Z",
            "name": f"Malicious file {number}",
            "description": "A file seen in a phishing campaign against ministries of foreign affairs.",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[file:hashes.'SHA-256' = '{digest}']",
            "pattern_type": "stix",
            "valid_from": "2024-03-01T10:00:00Z",
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
        })
    return made


def compare(label: str, ours_all: list[dict[str, Any]], sample: list[dict[str, Any]], repeat: int) -> None:
    started = time.process_time()
    for obj in ours_all:  # warm-up: compiles the schemas of the types present
        validate(obj)
    warm = time.process_time() - started
    ours = per_object(ours_all, validate, repeat)
    theirs = per_object(sample, official, 1)
    differing = [obj.get("id") for obj in sample if (validate(obj) is None) != official(obj)]
    print(f"{label}")
    print(f"  ours      {ours * 1e6:9.1f} µs/object  {1 / ours:10,.0f} objects/s  ({len(ours_all):,} objects; "
          f"first pass incl. schema compiling {warm:.2f} s)")
    print(f"  official  {theirs * 1e6:9.1f} µs/object  {1 / theirs:10,.0f} objects/s  ({len(sample):,} objects)")
    print(f"  speed-up  {theirs / ours:9.0f} x      verdicts differing on the official sample: {len(differing)}"
          + (f" {differing[:5]}" if differing else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=300, help="objects given to the official validator")
    parser.add_argument("--indicators", type=int, default=5000, help="synthetic indicators for ours")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes of ours (median)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the official validator logs a warning per ISO 639-2 language code
    if not ATTACK.is_file():
        raise SystemExit(f"the ATT&CK STIX 2.1 bundle is not at {ATTACK}: set CYBERDIP_SHARED_DATA")
    with gzip.open(ATTACK, "rt", encoding="utf-8") as handle:
        attack: list[dict[str, Any]] = json.load(handle)["objects"]
    size = statistics.median(len(json.dumps(obj)) for obj in attack)
    compare(f"ATT&CK Enterprise 18.1 (STIX 2.1), median object {size:.0f} bytes",
            attack, random.Random(1).sample(attack, min(args.sample, len(attack))), args.repeat)
    fresh = indicators(args.indicators, seed=1)
    size = statistics.median(len(json.dumps(obj)) for obj in fresh)
    compare(f"Indicators, each with its own pattern, median {size:.0f} bytes", fresh, fresh[: args.sample],
            args.repeat)
    repeated = [fresh[0]] * args.indicators
    compare("One indicator repeated (pattern cache hit)", repeated, repeated[: min(args.sample, 100)], args.repeat)


if __name__ == "__main__":
    main()
