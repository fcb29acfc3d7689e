"""A throwaway PostgreSQL server for tests, benchmarks and CI (or BOT_TEST_DATABASE_URL's)."""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit

import asyncpg

from testkit.ports import free_port

T = TypeVar("T")

DIR_PREFIX = "heavy-legs-pg-"
OWNER_FILE = "owner.pid"
SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's postgresql package "
    "or set BOT_TEST_PG_BINDIR"
)
INITDB_OPTIONS = ("-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
EMPTY = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid(); "
    "DROP SCHEMA public CASCADE; CREATE SCHEMA public"
)
FILE_COPY_SINCE = 150000  # server_version_num that knows CREATE DATABASE ... STRATEGY
START_ATTEMPTS = 3  # a fresh port each time, in case another process took the free one meanwhile
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "'128MB'",
}


class ClusterUnavailable(Exception):
    """PostgreSQL cannot be found, started or reached; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        """Keep the one-line reason."""
        super().__init__(reason)
        self.reason = reason


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and postgres, or ClusterUnavailable."""
    configured = os.environ.get("BOT_TEST_PG_BINDIR")
    if configured:
        if _has_server(Path(configured)):
            return Path(configured)
        raise ClusterUnavailable(f"BOT_TEST_PG_BINDIR={configured} has no initdb, pg_ctl, postgres")
    for candidate in _candidate_bindirs():
        if _has_server(candidate):
            return candidate
    raise ClusterUnavailable(MISSING)


def _candidate_bindirs() -> Iterator[Path]:
    """pg_config's bindir, then the newest Debian version's, then initdb's on PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            yield Path(out.stdout.strip())
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    yield from sorted(debian, key=lambda path: _version(path.parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        yield Path(initdb).parent


def _version(name: str) -> tuple[int, ...]:
    """A Debian version folder name ("15", "9.6") as a sortable tuple."""
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _has_server(bindir: Path) -> bool:
    """Whether `bindir` holds executable server tools."""
    return all(os.access(bindir / tool, os.X_OK) for tool in SERVER_TOOLS)


def _server_user() -> pwd.struct_passwd | None:
    """The `postgres` user to run the server as if we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterUnavailable(
            "running as root and there is no 'postgres' system user to run the server as "
            "(initdb refuses root); install Debian's postgresql package or run as a normal user"
        ) from None
    if shutil.which("runuser") is None:
        raise ClusterUnavailable("running as root and runuser (util-linux) is missing")
    return user


def _last_line(text: str) -> str:
    """The last non-empty line of a tool's output (its error, usually)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _alive(pid: int) -> bool:
    """Whether process `pid` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ident(name: str) -> str:
    """`name` quoted as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a fresh loop in a worker thread (works inside a running loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _execute(dsn: str, sql: str) -> None:
    """Run one SQL statement on a fresh connection."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _copy_strategy(dsn: str) -> str:
    """How CREATE DATABASE should copy its template: file by file on servers that default to
    logging the copy in the WAL (PostgreSQL 15 on), which takes about three times as long."""
    conn = await asyncpg.connect(dsn)
    try:
        version = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    return " STRATEGY FILE_COPY" if version >= FILE_COPY_SINCE else ""


class TempCluster:
    """A PostgreSQL server in a temp dir on a free 127.0.0.1 port, or BOT_TEST_DATABASE_URL's."""

    def __init__(self) -> None:
        """Nothing runs until start()."""
        self.port = 0
        self._url: str | None = None
        self._dir: Path | None = None
        self._bindir = Path()
        self._user: pwd.struct_passwd | None = None
        self._names: dict[str, str] = {}
        self._suffix = secrets.token_hex(4)
        self._strategy: str | None = None  # CREATE DATABASE's copy strategy, once asked
        self._spare: list[str] = []  # dsns of lent databases given back empty
        self._lent = itertools.count()

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    def start(self) -> Self:
        """Start a server (or check BOT_TEST_DATABASE_URL's); ClusterUnavailable if impossible."""
        self._url = os.environ.get("BOT_TEST_DATABASE_URL") or None
        atexit.register(self.stop)
        try:
            if self._url:
                self._check_external()
            else:
                self._start_temp()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and remove its dir (on BOT_TEST_DATABASE_URL: drop our databases)."""
        atexit.unregister(self.stop)
        if self._url:
            for name in self._names.values():
                drop = f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)"
                _run_sync(_execute(self._url, drop))
        elif self._dir is not None:
            self._stop_server(self._dir)
            shutil.rmtree(self._dir, ignore_errors=True)
        self._names.clear()
        self._dir = None

    def dsn(self, dbname: str = "postgres") -> str:
        """The connection URL of database `dbname`."""
        if self._url:
            return urlsplit(self._url)._replace(path="/" + quote(dbname, safe="")).geturl()
        return f"postgresql://postgres@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    def create_database(self, name: str, template: str = "template0") -> str:
        """Create database `name` as a copy of `template` (another one made here, say); its dsn.

        On a BOT_TEST_DATABASE_URL server the name gets a per-run suffix, so that concurrent runs
        on one server do not collide, and the database is dropped by stop().
        """
        real = f"{name}_{self._suffix}" if self._url else name
        source = self._names.get(template, template)
        admin = self._url or self.dsn()
        if self._strategy is None:
            self._strategy = _run_sync(_copy_strategy(admin))
        create = f"CREATE DATABASE {_ident(real)} TEMPLATE {_ident(source)}{self._strategy}"
        _run_sync(_execute(admin, create))
        self._names[name] = real
        return self.dsn(real)

    def lend_database(self) -> str:
        """An empty database for one test (one given back earlier, else a new one); its dsn."""
        return self._spare.pop() if self._spare else self.create_database(f"t{next(self._lent)}")

    def give_back(self, dsn: str) -> None:
        """Empty a lent database for the next test: its sessions ended, its schema made anew
        (a tenth of the cost of copying a new database from the template)."""
        _run_sync(_execute(dsn, EMPTY))
        self._spare.append(dsn)

    def _check_external(self) -> None:
        """Raise ClusterUnavailable unless BOT_TEST_DATABASE_URL's server answers."""
        assert self._url is not None
        try:
            _run_sync(_execute(self._url, "SELECT 1"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            where = urlsplit(self._url)
            raise ClusterUnavailable(
                f"cannot connect to BOT_TEST_DATABASE_URL ({where.hostname}:{where.port}): "
                f"{_last_line(str(exc) or type(exc).__name__)}"
            ) from exc

    def _start_temp(self) -> None:
        """initdb a cluster in a fresh temp dir and start it on a free port."""
        self._bindir = find_bindir()
        self._user = _server_user()
        self._reap_stale()
        self._dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self._dir / OWNER_FILE).write_text(str(os.getpid()))
        if self._user is not None:
            os.chown(self._dir, self._user.pw_uid, self._user.pw_gid)
        data = self._dir / "data"
        initdb = self._tool("initdb", "-D", str(data), *INITDB_OPTIONS)
        if initdb.returncode != 0:
            raise ClusterUnavailable(f"initdb failed: {_last_line(initdb.stderr + initdb.stdout)}")
        settings = {**SETTINGS, "unix_socket_directories": f"'{self._dir}'"}
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        log = self._dir / "server.log"
        for _ in range(START_ATTEMPTS):
            port = free_port()
            options = ("-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", f"-p {port}")
            started = self._tool("pg_ctl", "start", *options)
            if started.returncode == 0:
                self.port = port
                return
        reason = log.read_text(errors="replace") if log.exists() else started.stderr
        raise ClusterUnavailable(f"PostgreSQL did not start: {_last_line(reason)}")

    def _tool(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server tool from our bindir (as `postgres` when we are root)."""
        command = [str(self._bindir / tool), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user.pw_name, "--", *command]
        cwd = tempfile.gettempdir()  # the server user may not see ours
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)

    def _stop_server(self, folder: Path) -> None:
        """Stop the server whose cluster lives in `folder` at once (no checkpoint)."""
        self._tool("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(folder / "data"))

    def _reap_stale(self) -> None:
        """Stop and remove clusters left behind by runs that were killed before their teardown."""
        for folder in Path(tempfile.gettempdir()).glob(DIR_PREFIX + "*"):
            try:
                owner = int((folder / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue  # another user's, or a run that is still being set up
            if not _alive(owner):
                self._stop_server(folder)
                shutil.rmtree(folder, ignore_errors=True)


def start_for_pytest(cluster: TempCluster) -> TempCluster:
    """Start `cluster`; if impossible, skip the test (fail it under BOT_TEST_REQUIRE_POSTGRES=1)."""
    import pytest

    try:
        return cluster.start()
    except ClusterUnavailable as exc:
        if os.environ.get("BOT_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL tests required (BOT_TEST_REQUIRE_POSTGRES=1): {exc.reason}")
        pytest.skip(f"PostgreSQL tests skipped: {exc.reason}")
