"""The composition root: everything a service needs, built once from Settings."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from cyberdip.services.audit_batch import AuditBatcher
from cyberdip.services.hub_access import AccessCache
from cyberdip.services.settings import Settings
from cyberdip.store import migrate
from cyberdip.store.engine import SINGLE_STATEMENTS, WRITE_LOCK, Checkpointer, WriterQueue, open_engine


class NotInitialised(RuntimeError):
    """The database has no schema yet (or an old one)."""


@dataclass
class Workbench:
    settings: Settings
    engine: Engine
    _schema_checked: bool = field(default=False, repr=False)
    _sqlite_writers: WriterQueue | None = field(default=None, repr=False)
    #: the sharing hub's access tables, held in memory by this process
    access: AccessCache = field(default_factory=AccessCache, repr=False)
    #: group commit of the audit entries of reads (its thread starts on first use)
    audit: AuditBatcher = field(init=False, repr=False)
    _loop_connection: Connection | None = field(default=None, repr=False)
    _checkpointer: Checkpointer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.audit = AuditBatcher(self.writing)
        if self.engine.dialect.name == "sqlite":
            self._sqlite_writers = WriterQueue(self.engine.url.database)
            if self.engine.url.database not in (None, "", ":memory:"):
                self._checkpointer = Checkpointer(self.engine)

    @classmethod
    def open(cls, settings: Settings) -> Workbench:
        return cls(settings, open_engine(settings.database_url))

    @contextmanager
    def reading(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """A connection for queries; fails clearly when the database was never initialised. With
        ``snapshot=False`` (lookups that need no consistency across statements) SQLite runs each
        statement on its own, without a BEGIN and ROLLBACK around them."""
        self.require_schema()
        with self.engine.connect() as connection:
            yield connection if snapshot else connection.execution_options(**{SINGLE_STATEMENTS: True})

    def require_schema(self) -> None:
        """Fail clearly unless the database schema is at the latest migration (checked once: reading
        the migration scripts costs milliseconds, too much for every request)."""
        if self._schema_checked:
            return
        if not migrate.is_current(self.engine):
            raise NotInitialised(
                f"The database at {self.engine.url.render_as_string(hide_password=True)} is not initialised "
                "or is out of date: run `cyberdip init`."
            )
        self._schema_checked = True

    @contextmanager
    def loop_reading(self) -> Iterator[Connection]:
        """``reading(snapshot=False)`` for code running on the server's event loop thread, which
        keeps one connection open (in autocommit) instead of taking one from the pool per request.
        Only for work that does not await while it holds the connection. A connection that failed
        is dropped, and the next request opens a new one."""
        self.require_schema()
        connection = self._loop_connection
        if connection is None or connection.closed:
            connection = self.engine.connect().execution_options(
                **{SINGLE_STATEMENTS: True}, isolation_level="AUTOCOMMIT")
            self._loop_connection = connection
        try:
            yield connection
        except BaseException:
            self._loop_connection = None
            connection.close()
            raise

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on any error. On SQLite
        it takes the write lock at once (BEGIN IMMEDIATE), so read-then-write sequences never interleave."""
        # SQLite admits one writer: threads and processes queue on locks that wake them in turn
        # rather than on the database's busy timeout, whose sleeps would add milliseconds
        queue = self._sqlite_writers.turn() if self._sqlite_writers else contextlib.nullcontext()
        if self._checkpointer is not None:
            self._checkpointer.start()
        with queue, self.engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_LOCK: True})
            with connection.begin():
                yield connection

    def close(self) -> None:
        self.audit.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._sqlite_writers is not None:
            self._sqlite_writers.close()
        if self._loop_connection is not None:
            self._loop_connection.close()
        self.engine.dispose()
