"""Answers remembered until the knowledge base changes.

Every write to the knowledge base (curated load, record import, UN vote import) is one load in the
``loads`` table, so the newest load identifies what the database holds: an answer remembered under
it stays right until the next load. Pages use it for answers that take hundreds of milliseconds
(a state's norm record, partner rankings, voting blocs, every incident's findings) but change only
when the data does. One memo for the whole process, least recently used answers dropped first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection

from cyberdip.store import reader

T = TypeVar("T")

#: how many answers are remembered (per process); the least recently used go first
MEMO_SIZE = 2048

_memo: OrderedDict[Hashable, Any] = OrderedDict()
_memo_lock = threading.Lock()


def data_version(connection: Connection) -> tuple[str, int, str] | None:
    """The database and its newest load: what every answer about its contents depends on."""
    last = reader.last_load(connection)
    if last is None:
        return None
    started = last.get("started_at")
    return (connection.engine.url.render_as_string(hide_password=True), int(last["id"]),
            started.isoformat() if isinstance(started, dt.datetime) else str(started))


def memoised(connection: Connection, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` until the knowledge base changes (and for a day at
    most: answers "as of today" move with the date). The answer is shared: do not modify it."""
    version = data_version(connection)
    if version is None:
        return compute()
    full = (version, dt.date.today().isoformat(), key)
    with _memo_lock:
        if full in _memo:
            _memo.move_to_end(full)
            found: T = _memo[full]
            return found
    value = compute()
    with _memo_lock:
        _memo[full] = value
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return value


def forget() -> None:
    """Drop every remembered answer (tests, or after writing outside the load log)."""
    with _memo_lock:
        _memo.clear()
