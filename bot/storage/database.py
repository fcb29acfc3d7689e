"""The PostgreSQL connection pools the athlete and team stores share, with their advisory locks.

Each athlete's or team's writes run in one transaction under an advisory lock on it, so a
read-modify-write never interleaves with another worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.storage import sql
from bot.storage.atomic import StorageWriteError
from bot.storage.base import StoreUnavailable
from bot.storage.migrations import migrate

log = logging.getLogger(__name__)

# InternalClientError: asyncpg's protocol state after the server cut a connection mid-operation.
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
CLOSE_WAIT_S = 5.0


def lock_key(kind: str, key: Hashable) -> int:
    """A stable 64-bit advisory lock key for one athlete, team or update sequence."""
    digest = hashlib.blake2b(f"{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def describe(url: str) -> str:
    """host:port/database of a URL, without user or password (for messages and logs)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


async def _init_connection(conn: asyncpg.Connection) -> None:
    """JSON documents in and out as Python dicts."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Database:
    """Two asyncpg pools: one for data, one for the per-user update locks held across an update."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        """Remember where to connect; `open` connects."""
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._lock_pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        """Connect both pools and migrate the schema."""
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=self._pool_size, init=_init_connection
            )
            self._lock_pool = await asyncpg.create_pool(
                self.url, min_size=0, max_size=self._pool_size
            )
            async with self._pool.acquire() as conn:
                await migrate(conn)
        except (*DB_ERRORS, ValueError) as exc:
            await self.close()
            where = describe(self.url)
            raise StoreUnavailable(f"cannot use the database at {where}: {exc}") from exc

    async def close(self) -> None:
        """Close both pools (connections still busy after a few seconds are cut)."""
        for pool in (self._pool, self._lock_pool):
            if pool is None:
                continue
            try:
                await asyncio.wait_for(pool.close(), CLOSE_WAIT_S)
            except TimeoutError:
                pool.terminate()
        self._pool = self._lock_pool = None

    @asynccontextmanager
    async def serialised(self, key: Hashable) -> AsyncIterator[None]:
        """A session advisory lock on the user: any worker may take their next update."""
        assert self._lock_pool is not None, "open() the store first"
        pool, lock, conn = self._lock_pool, lock_key("updates", key), None
        try:
            conn = await pool.acquire()
            await conn.execute(sql.LOCK, lock)
        except DB_ERRORS as exc:  # the update's own writes will fail and say so to the user
            log.warning("could not take the update lock: %s", exc)
            if conn is not None:
                await _discard(pool, conn)
            conn = None
        try:
            yield
        finally:
            if conn is not None:
                try:
                    await conn.execute(sql.UNLOCK, lock)
                    await pool.release(conn)
                except DB_ERRORS:  # a lost connection took the lock with it
                    await _discard(pool, conn)

    @asynccontextmanager
    async def conn(self, lock: int | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection in a transaction (holding an advisory lock when given); a
        connection that failed is dropped, never handed to the next caller."""
        assert self._pool is not None, "open() the store first"
        try:
            conn = await self._pool.acquire()
        except DB_ERRORS as exc:
            raise StorageWriteError(f"database error: {exc}") from exc
        try:
            async with conn.transaction():
                if lock is not None:
                    await conn.execute(sql.XACT_LOCK, lock)
                yield conn
        except DB_ERRORS as exc:
            await _discard(self._pool, conn)
            raise StorageWriteError(f"database error: {exc}") from exc
        except BaseException:  # the caller's own error: the transaction was rolled back
            await self._pool.release(conn)
            raise
        await self._pool.release(conn)

    def athlete(self, uid: int) -> Any:
        """A transaction holding the athlete's lock."""
        return self.conn(lock_key("athlete", uid))

    def team(self, team_id: int) -> Any:
        """A transaction holding the team's lock."""
        return self.conn(lock_key("team", team_id))

    async def value(self, query: str, *args: Any) -> Any:
        """The first column of the first row of a query."""
        async with self.conn() as conn:
            return await conn.fetchval(query, *args)

    async def column(self, query: str, *args: Any) -> list[Any]:
        """The first column of every row of a query."""
        async with self.conn() as conn:
            return [row[0] for row in await conn.fetch(query, *args)]


async def _discard(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    """Close a connection that failed and give it back, so it is never reused as it is."""
    with contextlib.suppress(*DB_ERRORS):  # it may be gone already
        conn.terminate()
        await pool.release(conn)
