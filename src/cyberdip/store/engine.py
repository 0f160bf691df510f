"""Opening the database: SQLite by default, any SQLAlchemy URL (PostgreSQL for teams)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: one process per SQLite database there
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Connection, Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeEngine

#: execution option asking for a transaction that holds the write lock from its first statement
WRITE_LOCK = "cyberdip_write_lock"
#: execution option for reads that need no snapshot across statements: on SQLite each statement
#: then reads on its own (no BEGIN/ROLLBACK round), which halves the cost of a small lookup
SINGLE_STATEMENTS = "cyberdip_single_statements"


def open_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and foreign keys are enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        # psycopg prepares a statement after five runs and the server may then keep a generic plan made
        # while a table was nearly empty (a sequential scan of what later holds millions of STIX
        # objects); planning each statement keeps every query on its index as tables grow
        return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})
    return create_engine(url, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # the driver's own implicit transactions start only at the first write, so a read-then-write
    # (the audit chain reads its last hash, then appends) could interleave with another writer;
    # SQLAlchemy emits BEGIN itself instead (see its pysqlite "serializable isolation" notes)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # the write-ahead log is copied back into the database by a Checkpointer thread, not by
    # whichever commit happens to cross the threshold (which would stall the requests waiting on it)
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get(WRITE_LOCK):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif not options.get(SINGLE_STATEMENTS):
        connection.exec_driver_sql("BEGIN")


class _Compiled(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for drivers taking positional ones
    processors: dict[str, Any]
    fixed: dict[str, Any]


class RawStatement:
    """A statement compiled once per dialect and run on the driver's own cursor.

    SQLAlchemy's execution path costs tens of microseconds per statement. For the few statements
    every TAXII request runs (the access tables' generation, one object's newest version, the
    audit chain's head and its appends) that was most of the request's database work, so they
    take this shorter path. Values pass through the columns' own bind processors (``types``), so
    what is stored is exactly what SQLAlchemy would store."""

    def __init__(self, statement: Any, **types: TypeEngine[Any]) -> None:
        self.statement, self.types = statement, types
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            processors = {name: processor for name, type_ in self.types.items()
                          if (processor := type_.dialect_impl(dialect).bind_processor(dialect))}
            order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
            # literals the statement binds itself (``seq + 0``, an OFFSET) keep their values
            fixed = {k: v for k, v in compiled.params.items() if v is not None}
            found = self._compiled[dialect.name] = _Compiled(compiled.string, order, processors, fixed)
        return found

    def _parameters(self, dialect: Dialect, values: dict[str, Any]) -> tuple[str, Any]:
        compiled = self._for(dialect)
        values = {**compiled.fixed, **values}
        if compiled.processors:
            values = {k: compiled.processors[k](v) if k in compiled.processors else v for k, v in values.items()}
        if compiled.order is not None:
            return compiled.sql, tuple(values[name] for name in compiled.order)
        return compiled.sql, values

    def rows(self, connection: Connection, values: dict[str, Any]) -> list[Any]:
        """Run the statement in the connection's transaction (if any); its rows as tuples."""
        sql, parameters = self._parameters(connection.dialect, values)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, parameters)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def run_many(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        """Run the statement once per row of values, in one call."""
        dialect = connection.dialect
        sql = self._for(dialect)[0]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [self._parameters(dialect, row)[1] for row in rows])
        finally:
            cursor.close()


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database from a thread of its own, twice a
    second, in PASSIVE mode (it never blocks readers or writers). Without it, the commit that
    crosses SQLite's automatic threshold does the copying and every request waiting on that commit
    waits for it too. When the last connection closes, SQLite checkpoints whatever is left."""

    INTERVAL = 0.5

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="cyberdip-checkpoint", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._engine.connect() as connection:
            while not self._stop.wait(self.INTERVAL):
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


class WriterQueue:
    """Writers of one SQLite file queue here: threads on a lock, processes (several server workers,
    a CLI import beside a server) on an advisory lock on a file beside the database, which wakes
    the next writer when the last one finishes. SQLite's own busy handler would make them retry
    after sleeps of 1, 2, 5, 10... milliseconds, which is what a waiting request would feel."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}.writer-lock" if database and database != ":memory:" else None
        self._file: Any = None

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._threads:
            if self._path is None or fcntl is None:
                yield
                return
            if self._file is None:
                self._file = open(self._path, "a+b")  # noqa: SIM115 - kept open for the process's life
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
