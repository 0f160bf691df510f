"""Group commit of audit entries: batches form while requests are served, every request learns
whether its entries were committed, and nothing is answered on a failed commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from cyberdip.services import audit_batch
from cyberdip.services.audit_batch import AuditBatcher
from cyberdip.store.sharing import AuditEntry


def entry(n: int) -> AuditEntry:
    return AuditEntry("partner:x", "c", "get-objects", [f"indicator--{n}"], "1 given", dt.datetime.now(dt.UTC))


class FakeLog:
    """Stands in for the database: records each transaction's entries, or fails."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    @contextmanager
    def writing(self) -> Iterator[Any]:
        if self.fail:
            raise ConnectionError("database gone")
        yield self


@pytest.fixture
def appended(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    batches: list[list[str]] = []
    monkeypatch.setattr(audit_batch.store, "append_audit_entries",
                        lambda connection, entries: batches.append([e.object_ids[0] for e in entries]))
    return batches


def test_requests_served_together_share_one_commit(appended: list[list[str]]) -> None:
    batcher = AuditBatcher(FakeLog().writing)
    for _ in range(5):
        batcher.admit()
    futures = [batcher.submit([entry(n)]) for n in range(5)]
    for future in futures:
        future.result(timeout=5)
    batcher.close()
    assert appended == [[f"indicator--{n}" for n in range(5)]]


def test_a_lone_request_does_not_wait_for_others(appended: list[list[str]]) -> None:
    batcher = AuditBatcher(FakeLog().writing)
    batcher.admit()
    batcher.admit()  # a second request is still being served...
    first = batcher.submit([entry(1)])
    first.result(timeout=1)  # ...but the batch goes after LINGER at the latest
    second = batcher.submit([entry(2)])
    second.result(timeout=1)
    batcher.close()
    assert appended == [["indicator--1"], ["indicator--2"]]


def test_a_failed_commit_fails_every_request_in_the_batch(appended: list[list[str]]) -> None:
    batcher = AuditBatcher(FakeLog(fail=True).writing)
    batcher.admit()
    batcher.admit()
    futures = [batcher.submit([entry(n)]) for n in range(2)]
    for future in futures:
        with pytest.raises(ConnectionError):
            future.result(timeout=5)
    batcher.close()
    assert appended == []


def test_a_refused_request_without_entries_is_answered_at_once(appended: list[list[str]]) -> None:
    batcher = AuditBatcher(FakeLog().writing)
    batcher.admit()
    assert batcher.submit([]).done()
    batcher.close()
    assert appended == []
