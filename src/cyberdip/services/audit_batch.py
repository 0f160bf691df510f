"""Group commit for the audit entries of read requests.

Every TAXII request is audited before it is answered. Writing one entry per request in its own
transaction made every reader wait for one lock and pay for one commit; here the entries of the
requests being served together are appended in one transaction, as the next stretch of the hash
chain (transparency logs such as RFC 6962's sequence entries in batches the same way). A request is
answered only once the batch holding its entries has committed: the guarantee is unchanged, the
lock and the commit are shared.

The batcher knows how many read requests are being served (``admit``): once entries wait, it
commits as soon as every request in progress has handed in its entries, or after ``LINGER``
seconds, whichever comes first — so a lone request waits for nothing, and concurrent ones share
a commit.

Writes (add objects, delete) keep their entries in their own transaction, atomic with the change.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from cyberdip.store import sharing as store
from cyberdip.store.sharing import AuditEntry

#: entries appended in one transaction at most (a burst is split into several)
MAX_BATCH = 2000
#: the longest a batch waits for requests still being served to hand in their entries
LINGER = 0.002


class AuditBatcher:
    """Appends submitted entries in batches from one background thread, started on first use."""

    def __init__(self, writing: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._writing = writing
        self._waiting: deque[tuple[Sequence[AuditEntry], Future[None]]] = deque()
        self._serving = 0  # read requests admitted that have not handed in their entries yet
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    def admit(self) -> None:
        """A read request starts: the next batch may wait (briefly) for its entries."""
        with self._wake:
            self._serving += 1

    def submit(self, entries: Sequence[AuditEntry]) -> Future[None]:
        """An admitted request hands in its entries (none, when it was refused before any was made);
        the future completes when they are committed, or fails with the reason they were not."""
        done: Future[None] = Future()
        with self._wake:
            self._serving -= 1
            if not entries:
                done.set_result(None)
            elif self._closing:
                done.set_exception(RuntimeError("the audit log is closed"))
            else:
                self._waiting.append((entries, done))
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="cyberdip-audit", daemon=True)
                    self._thread.start()
            self._wake.notify()
        return done

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._wake:
            self._closing = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._closing:
                    self._wake.wait()
                if not self._waiting:
                    return
                deadline = time.monotonic() + LINGER
                while self._serving > 0 and not self._closing and (left := deadline - time.monotonic()) > 0:
                    self._wake.wait(left)
                batch, size = [], 0
                while self._waiting and size < MAX_BATCH:
                    batch.append(self._waiting.popleft())
                    size += len(batch[-1][0])
            self._commit(batch)

    def _commit(self, batch: list[tuple[Sequence[AuditEntry], Future[None]]]) -> None:
        try:
            with self._writing() as connection:
                store.append_audit_entries(connection, [e for entries, _ in batch for e in entries])
        except Exception as exc:  # every waiting request learns that its entries were not logged
            for _, done in batch:
                done.set_exception(exc)
            return
        for _, done in batch:
            done.set_result(None)
