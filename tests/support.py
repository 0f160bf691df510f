"""Test helpers that read the shared real datasets straight from disk (no database)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from cyberdip.analysis.votes import ABSTAIN, NO, YES, VoteMatrix

_CODES = {"yes": YES, "abstain": ABSTAIN, "no": NO}


@cache
def _unvotes(folder: Path) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, int]]]:
    with gzip.open(folder / "un_roll_calls.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        rollcalls = {row["rcid"]: row for row in csv.DictReader(handle)}
    with gzip.open(folder / "un_votes.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        votes = [(row["country_code"] or row["country"], row["rcid"], _CODES[row["vote"]])
                 for row in csv.DictReader(handle)]
    return rollcalls, votes


def unvotes_matrix(shared_data: Path, keep: Callable[[dict[str, str]], bool]) -> VoteMatrix:
    """Votes from the `unvotes` tables as a matrix; rows are ISO alpha-2 codes (names where the
    dataset has no code), columns rcids, restricted to the roll calls ``keep`` accepts."""
    rollcalls, votes = _unvotes(shared_data / "un-votes")
    chosen = [v for v in votes if keep(rollcalls[v[1]])]
    states = sorted({v[0] for v in chosen})
    columns = sorted({v[1] for v in chosen}, key=int)
    row = {s: i for i, s in enumerate(states)}
    col = {c: i for i, c in enumerate(columns)}
    return VoteMatrix.from_triples(
        states, columns,
        np.array([row[v[0]] for v in chosen], dtype=np.intp),
        np.array([col[v[1]] for v in chosen], dtype=np.intp),
        np.array([v[2] for v in chosen], dtype=np.int8),
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: object) -> Iterator[int]:
    """Run an ASGI app with uvicorn on a free loopback port in a thread; yield the port."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(5)
