"""Opening the database: SQLite by default, any SQLAlchemy URL (PostgreSQL for teams)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

#: execution option asking for a transaction that holds the write lock from its first statement
WRITE_LOCK = "cyberdip_write_lock"


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
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
