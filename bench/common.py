"""Shared helpers for the benchmarks: where the real data is, a throw-away database, timing."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CYBERDIP_SHARED_DATA") or ROOT.parent / "shared" / "data")
UN_VOTES = SHARED / "un-votes"
T = TypeVar("T")


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.3f} s")
    return result, seconds


@contextmanager
def scratch_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def require_data() -> None:
    if not UN_VOTES.is_dir():
        raise SystemExit(f"the UN vote data is not at {UN_VOTES}: set CYBERDIP_SHARED_DATA")
