"""TAXII 2.1 servers for bench_taxii.py, each started as its own process on a free loopback port.

cyberdip (`cyberdip serve --workers N`, set up with its `cyberdip init` / `cyberdip share ...`
commands), medallion 3.0.0 (memory backend, Flask's server) and OpenTAXII 0.10 (SQLite, gunicorn
with 2 sync workers). The benchmark talks to them over HTTP only and measures their memory and CPU
through /proc, and, when cyberdip runs on a PostgreSQL server of this machine, that server's CPU.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"


@dataclass
class Server:
    """A running server: where its API root and collection are, how to authenticate, its process."""

    name: str
    api_root: str  # absolute URL ending in "/"
    collection: str
    headers: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    notes: list[str] = field(default_factory=list)
    database: PostgresWatch | None = None  # the PostgreSQL server it uses, when that runs on this machine

    @property
    def objects_url(self) -> str:
        return f"{self.api_root}collections/{self.collection}/objects/"

    def memory_mb(self) -> float:
        return tree_memory_mb(self.process.pid)

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid)

    def database_cpu_seconds(self) -> float | None:
        return self.database.cpu_seconds() if self.database else None


# ------------------------------------------------------------------------------------------------
# Memory and CPU of a process tree, from /proc


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state is [0], the parent [1], utime [11] (field 14 of
    proc(5)); None when the process has ended."""
    try:
        return Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    children, tree, index = _children(), [pid], 0
    while index < len(tree):
        tree.extend(children.get(tree[index], []))
        index += 1
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process and its descendants: the living ones' own
    time plus the time of the ended ones their parents have reaped (e.g. PostgreSQL backends whose
    connection closed)."""
    total = 0
    for member in process_tree(pid):
        if fields := _stat_fields(member):
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def _kilobytes(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def tree_memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants: the sum of their PSS (proportional set size:
    pages shared between the processes, e.g. gunicorn's forked workers, are counted once overall),
    or of their RSS where the kernel has no smaps_rollup."""
    total = 0
    for member in process_tree(pid):
        proc = Path("/proc", str(member))
        size = _kilobytes(proc / "smaps_rollup", "Pss:")
        total += size if size is not None else (_kilobytes(proc / "status", "VmRSS:") or 0)
    return total / 1024


# ------------------------------------------------------------------------------------------------
# Starting and stopping


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def _process(name: str, command: list[str], env: dict[str, str], log: Path, probe: str) -> Iterator[
        subprocess.Popen[bytes]]:
    """Start a server process, wait until `probe` answers any HTTP status, stop it (and its
    children, via its process group) on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{_tail(log)}")
            try:
                httpx.get(probe, timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer at {probe} within 60 s:\n{_tail(log)}") from None
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(5)


def _run(command: list[str], env: dict[str, str]) -> Any:
    """Run a set-up command that prints JSON; return what it printed."""
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------------------------
# cyberdip


def _execute(url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


@contextmanager
def _fresh_postgres_schema(url: str) -> Iterator[str]:
    """A new schema on the PostgreSQL server, made the search path of the URL handed back, which
    names its connections after the schema (application_name); dropped on exit (the way
    tests/conftest.py isolates PostgreSQL tests)."""
    from sqlalchemy.engine import make_url

    schema = "bench_" + uuid.uuid4().hex[:12]
    _execute(url, f"CREATE SCHEMA {schema}")
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}",
                                                "application_name": schema}).render_as_string(hide_password=False)
    finally:
        _execute(url, f"DROP SCHEMA {schema} CASCADE")


class PostgresWatch:
    """The PostgreSQL server a cyberdip server uses, watched through a connection of its own: its
    CPU (the postmaster's process tree, found as the parent of this connection's backend) and
    whether programs other than the benchmark are connected to it."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, text

        self._engine = create_engine(url)
        self._connection = self._engine.connect()
        fields = _stat_fields(self._connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
        self._connection.rollback()
        self.postmaster = int(fields[1]) if fields else None  # None: the server is not a process of this machine

    def cpu_seconds(self) -> float | None:
        return tree_cpu_seconds(self.postmaster) if self.postmaster else None

    def other_clients(self) -> int:
        """Connections other than the benchmark's (whose application_name is the schema's name)."""
        from sqlalchemy import text

        query = text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                     "AND application_name <> current_setting('application_name')")
        count = int(self._connection.execute(query).scalar_one())
        self._connection.rollback()
        return count

    def close(self) -> None:
        self._connection.close()
        self._engine.dispose()


def _postgres_caveats(url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        autovacuum = connection.execute(text("SHOW autovacuum")).scalar()
    engine.dispose()
    if autovacuum == "on":
        return []
    return ["this PostgreSQL server runs with autovacuum off: tables are never analysed, so plans made "
            "while the collection was small are kept as it grows"]


def cyberdip_command() -> str:
    here = Path(sys.executable).parent / "cyberdip"
    return str(here if here.exists() else ROOT / ".venv" / "bin" / "cyberdip")


def cyberdip_name(database_url: str | None = None, workers: int = 1) -> str:
    """E.g. "cyberdip (SQLite)", "cyberdip (PostgreSQL, 2 workers)"."""
    database = "PostgreSQL" if database_url and database_url.startswith("postgresql") else "SQLite"
    return f"cyberdip ({database}{f', {workers} workers' if workers > 1 else ''})"


@contextmanager
def cyberdip(database_url: str | None = None, workers: int = 1) -> Iterator[Server]:
    """`cyberdip serve --workers N` on a fresh database (a temporary SQLite file, or a new schema
    when `database_url` is PostgreSQL), with one partner holding a read/write grant up to TLP:AMBER
    on one collection and an API key."""
    name, command = cyberdip_name(database_url, workers), cyberdip_command()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="taxii-cyberdip-")))
        if database_url is None:
            database_url = f"sqlite:///{folder / 'hub.db'}"
        caveats: list[str] = []
        database = None
        if database_url.startswith("postgresql"):
            database_url = stack.enter_context(_fresh_postgres_schema(database_url))
            caveats = _postgres_caveats(database_url)
            database = PostgresWatch(database_url)
            stack.callback(database.close)
            if database.postmaster is None:
                caveats.append("database CPU not measured: the PostgreSQL server is not a process of this machine")
        port = free_port()
        env = {"CYBERDIP_DB": database_url, "CYBERDIP_HOST": "127.0.0.1", "CYBERDIP_PORT": str(port),
               "CYBERDIP_SECRET": secrets.token_hex(16)}
        alias = "bench-" + uuid.uuid4().hex[:8]
        _run([command, "init", "--json"], env)
        partner = _run([command, "share", "partner", "add", "CERT-In", "--json"], env)["id"]
        collection = _run([command, "share", "collection", "add", alias, "--title", "Benchmark", "--json"], env)["id"]
        _run([command, "share", "grant", partner, alias, "--read", "--write", "--tlp", "amber", "--json"], env)
        key = _run([command, "share", "key", "issue", partner, "--json"], env)["key"]
        log = folder / "server.log"
        process = stack.enter_context(_process(name, [command, "serve", "--workers", str(workers)], env, log,
                                               f"http://127.0.0.1:{port}/taxii2/"))
        yield Server(name, f"http://127.0.0.1:{port}/taxii2/api/", collection,
                     {"Authorization": f"Bearer {key}", "Accept": TAXII}, process, log, caveats, database)


# ------------------------------------------------------------------------------------------------
# medallion


@contextmanager
def medallion(command: str) -> Iterator[Server]:
    """medallion's own server (memory backend, basic auth), one read/write collection, pages of up
    to 1000 objects."""
    import base64

    port = free_port()
    collection = str(uuid.uuid4())
    root = f"http://127.0.0.1:{port}/bench/"
    with tempfile.TemporaryDirectory(prefix="taxii-medallion-") as name:
        folder = Path(name)
        data = {"/discovery": {"title": "bench", "default": root, "api_roots": [root]},
                "bench": {"information": {"title": "bench", "versions": [TAXII], "max_content_length": 104857600},
                          "status": [],
                          "collections": [{"id": collection, "title": "bench", "can_read": True, "can_write": True,
                                           "media_types": [STIX], "objects": [], "manifest": []}]}}
        (folder / "data.json").write_text(json.dumps(data))
        (folder / "config.json").write_text(json.dumps({
            "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                        "filename": str(folder / "data.json")},
            "users": {"bench": "bench"}, "taxii": {"max_page_size": 1000}}))
        log = folder / "server.log"
        with _process("medallion", [command, "--host", "127.0.0.1", "--port", str(port),
                                    str(folder / "config.json")], {}, log,
                      f"http://127.0.0.1:{port}/taxii2/") as process:
            auth = base64.b64encode(b"bench:bench").decode()
            yield Server("medallion", root, collection, {"Authorization": f"Basic {auth}", "Accept": TAXII},
                         process, log)


# ------------------------------------------------------------------------------------------------
# OpenTAXII


def _opentaxii_config(folder: Path, port: int) -> str:
    """TAXII 2 only (TAXII 1 disabled), SQLite for data and accounts, quiet logs, no Basic auth."""
    data, accounts = f"sqlite:///{folder / 'data.db'}", f"sqlite:///{folder / 'auth.db'}"
    return "\n".join([
        f'domain: "127.0.0.1:{port}"',
        "support_basic_auth: no",
        "return_server_error_details: no",
        "auth_api:",
        "  class: opentaxii.auth.sqldb.SQLDatabaseAPI",
        "  parameters:",
        f"    db_connection: {accounts}",
        "    create_tables: yes",
        f"    secret: {secrets.token_hex(16)}",
        "    token_ttl_secs: 86400",
        "taxii1:",
        "taxii2:",
        "  persistence_api:",
        "    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI",
        "    parameters:",
        f"      db_connection: {data}",
        "      create_tables: yes",
        '  title: "bench"',
        "  public_discovery: true",
        "  max_content_length: 209715200",
        "logging:",
        "  opentaxii: warning",
        "  root: warning",
        "",
    ])


@contextmanager
def opentaxii(venv: str) -> Iterator[Server]:
    """OpenTAXII served by gunicorn (2 sync workers) on SQLite; a non-admin account with read and
    write permission on one collection, authenticating with a JWT from POST /management/auth (its
    Basic auth re-hashes the password on every request)."""
    bin_dir = Path(venv) / "bin"
    port = free_port()
    user, password = "bench", secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="taxii-opentaxii-") as name:
        folder = Path(name)
        (folder / "config.yml").write_text(_opentaxii_config(folder, port))
        env = {"OPENTAXII_CONFIG": str(folder / "config.yml")}
        made = _run([str(bin_dir / "python"), str(Path(__file__).with_name("taxii_opentaxii_setup.py")),
                     user, password], env)
        log = folder / "server.log"
        command = [str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "opentaxii.http:app"]
        with _process("OpenTAXII", command, env, log, f"http://127.0.0.1:{port}/management/health") as process:
            token = httpx.post(f"http://127.0.0.1:{port}/management/auth",
                               json={"username": user, "password": password}).raise_for_status().json()["token"]
            yield Server("OpenTAXII", f"http://127.0.0.1:{port}/taxii2/{made['api_root']}/", made["collection"],
                         {"Authorization": f"Bearer {token}", "Accept": TAXII}, process, log)
