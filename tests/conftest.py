"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: ``CYBERDIP_TEST_PG_URL`` (default: the server at 127.0.0.1:5432, database ``test``).
Each test gets its own schema, dropped afterwards. When the server cannot be reached the
PostgreSQL runs are skipped, except under CI (``CI=true``) where they must run.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cyberdip.services import loading
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench
from cyberdip.sources import curated

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CYBERDIP_SHARED_DATA") or ROOT.parent / "shared" / "data")
PG_URL = os.environ.get("CYBERDIP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


@functools.cache
def _postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver or network failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"


def _require_postgres() -> None:
    reason = _postgres_reachable()
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets (``CYBERDIP_SHARED_DATA``, default ``../shared/data``)."""
    if not SHARED_DATA.is_dir():
        reason = f"shared datasets not found at {SHARED_DATA} (set CYBERDIP_SHARED_DATA)"
        if IN_CI:
            pytest.fail(reason + " (CI=true: tests on real data must run)")
        pytest.skip(reason)
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def _parse_curated_once() -> Iterator[None]:
    """Parsing and validating the curated YAML takes a second; do it once per test session."""
    cached = functools.cache(curated.load_curated)
    original = loading.load_curated
    loading.load_curated = cached  # type: ignore[assignment]
    yield
    loading.load_curated = original  # type: ignore[assignment]


def _new_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'cyberdip.db'}"
        return
    _require_postgres()
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    yield from _new_database(request.param, tmp_path)


@pytest.fixture
def workbench(database_url: str) -> Iterator[Workbench]:
    bench = Workbench.open(Settings(database_url=database_url))
    yield bench
    bench.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def loaded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding the curated dataset, shared by read-only tests."""
    for url in _new_database(request.param, tmp_path_factory.mktemp("loaded")):
        bench = Workbench.open(Settings(database_url=url))
        loading.init_database(bench)
        bench.close()
        yield url


@pytest.fixture
def loaded(loaded_url: str) -> Iterator[Workbench]:
    bench = Workbench.open(Settings(database_url=loaded_url))
    yield bench
    bench.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def voted_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[str]:
    """A database with the curated dataset and the full `unvotes` history imported."""
    from cyberdip.services import vote_imports

    for url in _new_database(request.param, tmp_path_factory.mktemp("voted")):
        bench = Workbench.open(Settings(database_url=url))
        loading.init_database(bench)
        vote_imports.import_unga(bench, shared_data / "un-votes")
        bench.close()
        yield url


@pytest.fixture(scope="session")
def shipped_votes_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database as `cyberdip init` makes it: the curated dataset and the UN votes 1946-2026 cyberdip ships."""
    from cyberdip.services import vote_imports

    url = f"sqlite:///{tmp_path_factory.mktemp('shipped-votes') / 'cyberdip.db'}"
    bench = Workbench.open(Settings(database_url=url))
    loading.init_database(bench)
    vote_imports.import_shipped_votes(bench)
    bench.close()
    yield url


@pytest.fixture
def voted(voted_url: str) -> Iterator[Workbench]:
    bench = Workbench.open(Settings(database_url=voted_url))
    yield bench
    bench.close()
