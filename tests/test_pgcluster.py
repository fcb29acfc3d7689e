"""The throwaway PostgreSQL server of the tests: databases, isolation, clean-up, skip or fail."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from pathlib import Path

import asyncpg
import pytest

from testkit.pgcluster import ClusterUnavailable, TempCluster, start_for_pytest


def unique(prefix: str) -> str:
    """A database name no other test of the session uses."""
    return f"{prefix}_{secrets.token_hex(4)}"


async def test_databases_are_isolated(pg_cluster: TempCluster) -> None:
    """Two created databases answer on their own dsn and do not see each other's tables."""
    first, second = unique("iso_a"), unique("iso_b")
    dsns = [pg_cluster.create_database(first), pg_cluster.create_database(second)]
    conns = [await asyncpg.connect(dsn) for dsn in dsns]
    try:
        for conn, dsn in zip(conns, dsns, strict=True):
            assert await conn.fetchval("SELECT current_database()") == dsn.rsplit("/", 1)[1]
        await conns[0].execute("CREATE TABLE only_here (x int); INSERT INTO only_here VALUES (1)")
        assert await conns[0].fetchval("SELECT x FROM only_here") == 1
        assert await conns[1].fetchval("SELECT to_regclass('only_here')") is None
        assert await conns[1].fetchval("SHOW server_encoding") == "UTF8"
    finally:
        for conn in conns:
            await conn.close()


async def test_database_from_a_template(pg_cluster: TempCluster) -> None:
    """A database made from another one created here starts with its tables."""
    template = unique("tmpl")
    conn = await asyncpg.connect(pg_cluster.create_database(template))
    await conn.execute("CREATE TABLE schema_marker (x int)")
    await conn.close()
    conn = await asyncpg.connect(pg_cluster.create_database(unique("copy"), template=template))
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_marker')::text") == "schema_marker"
    finally:
        await conn.close()


async def test_existing_server_by_url(
    pg_cluster: TempCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With BOT_TEST_DATABASE_URL no server starts; created databases are dropped by stop()."""
    monkeypatch.setenv("BOT_TEST_DATABASE_URL", pg_cluster.dsn())
    with TempCluster() as external:
        dsn = external.create_database("ext")
        assert dsn.startswith(pg_cluster.dsn().rsplit("/", 1)[0])
        assert dsn != pg_cluster.dsn("ext")  # a per-run suffix: concurrent runs do not collide
        conn = await asyncpg.connect(dsn)
        await conn.close()
    conn = await asyncpg.connect(pg_cluster.dsn())
    try:
        name = dsn.rsplit("/", 1)[1]
        assert not await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()


def refuses(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` any more."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_clusters_leave_nothing_behind(pg_cluster: TempCluster) -> None:
    """More clusters run beside the session's; stop() or the next start (after a kill) clean up."""
    if os.environ.get("BOT_TEST_DATABASE_URL"):
        pytest.skip("BOT_TEST_DATABASE_URL is set: no temp clusters here")
    killed = TempCluster().start()
    assert killed._dir is not None
    assert killed.port != pg_cluster.port
    assert killed.dsn("x") == f"postgresql://postgres@127.0.0.1:{killed.port}/x"
    dead = subprocess.Popen(["true"])
    dead.wait()
    (killed._dir / "owner.pid").write_text(str(dead.pid))  # as if its pytest had been SIGKILLed
    with TempCluster() as survivor:
        assert not killed._dir.exists()
        assert refuses(killed.port)
        folder = survivor._dir
        assert folder is not None
        assert (folder / "data" / "postmaster.pid").exists()
    assert not folder.exists()
    assert refuses(survivor.port)
    killed.stop()  # harmless when its cluster is gone already


def test_missing_binaries_are_a_clear_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bogus BOT_TEST_PG_BINDIR makes start() raise ClusterUnavailable naming it."""
    monkeypatch.delenv("BOT_TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("BOT_TEST_PG_BINDIR", str(tmp_path / "no-postgres-here"))
    cluster = TempCluster()
    with pytest.raises(ClusterUnavailable, match=r"BOT_TEST_PG_BINDIR=.*no-postgres-here"):
        cluster.start()
    cluster.stop()  # harmless after a failed start


def test_unavailable_skips_or_fails_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a server the tests skip with the reason; BOT_TEST_REQUIRE_POSTGRES=1 fails them."""
    monkeypatch.delenv("BOT_TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("BOT_TEST_PG_BINDIR", str(tmp_path))
    monkeypatch.delenv("BOT_TEST_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL tests skipped: BOT_TEST_PG_BINDIR"):
        start_for_pytest(TempCluster())
    monkeypatch.setenv("BOT_TEST_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="BOT_TEST_PG_BINDIR"):
        start_for_pytest(TempCluster())


def test_root_without_a_postgres_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """As root with no `postgres` user to run initdb as, the reason says so."""
    monkeypatch.delenv("BOT_TEST_DATABASE_URL", raising=False)
    monkeypatch.setattr("testkit.pgcluster.find_bindir", lambda: Path("/usr/bin"))
    monkeypatch.setattr("os.geteuid", lambda: 0)

    def no_user(name: str) -> None:
        raise KeyError(name)

    monkeypatch.setattr("pwd.getpwnam", no_user)
    with pytest.raises(ClusterUnavailable, match="no 'postgres' system user"):
        TempCluster().start()
