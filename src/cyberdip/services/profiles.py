"""What the state, organisation and instrument pages need beside the shared services: the data of
the records a profile lists, and a memo that keeps heavy answers until the knowledge base changes.

Every write to the knowledge base (curated load, record import, UN vote import) is one load in the
``loads`` table, so the newest load identifies what the database holds: an answer remembered under
it stays right until the next load. A state's norm record assesses every incident it is involved
in and its partner ranking compares every membership and party record — hundreds of milliseconds
for the United States — while the answer changes only when the data does.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection

from cyberdip.services.votes import Selection, select_rollcalls
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


def details(connection: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored data of each record (agency roles, commitment norms...), by id; unknown ids are left out."""
    return {record_id: stored.data for record_id, stored in reader.get_many(connection, list(set(ids))).items()}


def recent_sessions(connection: Connection, count: int = 10) -> tuple[int, ...]:
    """The last ``count`` General Assembly sessions with recorded votes (none before votes are imported)."""
    calls = select_rollcalls(connection, Selection())
    sessions = sorted({call.session for call in calls if call.session is not None})
    return tuple(sessions[-count:])
