"""The PostgreSQL store: the TinyDB store's interface on a database that several workers share.

Each athlete's writes run in one transaction under an advisory lock on the athlete, so a
read-modify-write never interleaves with another worker's. Due reminders and team look-ups are
claimed with `FOR UPDATE SKIP LOCKED` and a lease: a worker that dies mid-send loses its claim
when the lease runs out, and another worker sends the item.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg

from bot.storage.atomic import StorageWriteError
from bot.storage.base import (
    Record,
    Store,
    StoreUnavailable,
    Team,
    TeamStore,
    link_team,
    moved_team,
    pending,
)
from bot.storage.migrations import migrate
from rules.reminders import ReminderStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE = timedelta(seconds=60)
# InternalClientError: asyncpg's protocol state after the server cut a connection mid-operation.
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
CLOSE_WAIT_S = 5.0
ATHLETE_TABLES = ("athletes", "conversation_state", "checkins", "reminders")

UPSERT_PROFILE = (
    "INSERT INTO athletes (uid, profile) VALUES ($1, $2) "
    "ON CONFLICT (uid) DO UPDATE SET profile = EXCLUDED.profile"
)
INSERT_REMINDER = (
    "INSERT INTO reminders (uid, id, status, due_at, doc) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (uid, id) DO NOTHING RETURNING id"
)
UPDATE_REMINDER = (
    "UPDATE reminders SET doc = $3, status = $4, due_at = $5 WHERE uid = $1 AND id = $2"
)
# unnest(...) WITH ORDINALITY ... ORDER BY n: rows get their seq in the order the files held them.
IMPORT_PROFILE = """
    INSERT INTO athletes (uid, profile)
    SELECT $1, profile FROM unnest($2::jsonb[]) AS t(profile) ON CONFLICT DO NOTHING
"""
IMPORT_STATE = """
    INSERT INTO conversation_state (uid, key, value)
    SELECT $1, key, value FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS t(key, value, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
IMPORT_CHECKINS = """
    INSERT INTO checkins (uid, id, created_at, update_id, doc)
    SELECT $1, id, created_at, update_id, doc
    FROM unnest($2::text[], $3::text[], $4::bigint[], $5::jsonb[]) WITH ORDINALITY
        AS t(id, created_at, update_id, doc, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
IMPORT_REMINDERS = """
    INSERT INTO reminders (uid, id, status, due_at, doc)
    SELECT $1, id, status, due_at, doc
    FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) WITH ORDINALITY
        AS t(id, status, due_at, doc, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
CLAIM_DUE = """
    WITH due AS (
        SELECT uid, id FROM reminders
        WHERE status = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
    UPDATE reminders r SET lease_until = $2, claimed_by = $4, claims = r.claims + 1
    FROM due WHERE r.uid = due.uid AND r.id = due.id
    RETURNING r.uid, r.id
"""
CLAIM_ONE = """
    UPDATE reminders SET lease_until = $4, claimed_by = $5, claims = claims + 1
    WHERE uid = $1 AND id = $2 AND status = 'pending'
      AND (lease_until IS NULL OR lease_until <= $3)
    RETURNING id
"""
CLAIM_TEAMS = """
    WITH due AS (
        SELECT id FROM teams
        WHERE next_look_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY next_look_at LIMIT 100 FOR UPDATE SKIP LOCKED)
    UPDATE teams t SET lease_until = $2 FROM due WHERE t.id = due.id
    RETURNING t.id, t.version
"""


def lock_key(kind: str, key: Hashable) -> int:
    """A stable 64-bit advisory lock key for one athlete, team or update sequence."""
    digest = hashlib.blake2b(f"{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def describe(url: str) -> str:
    """host:port/database of a URL, without user or password (for messages and logs)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


def _row(uid: int, record: Record) -> tuple[Any, ...]:
    """The column values of a reminder record."""
    due = datetime.fromisoformat(record["due_at"])
    return uid, record["id"], record.get("status", ReminderStatus.PENDING), due, record


def _changed(uid: int, record: Record) -> tuple[Any, ...]:
    """The UPDATE_REMINDER arguments for a changed record."""
    uid, rid, status, due, doc = _row(uid, record)
    return uid, rid, doc, status, due


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as column lists for unnest (no columns at all when there are no rows)."""
    return [list(column) for column in zip(*rows, strict=True)]


def _inserted(status: str) -> int:
    """How many rows an INSERT's status tag ("INSERT 0 n") says it added."""
    return int(status.rsplit(" ", 1)[-1])


async def _init_connection(conn: asyncpg.Connection) -> None:
    """JSON documents in and out as Python dicts."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class PostgresStore(Store):
    """Athletes, reminders and teams in PostgreSQL (asyncpg pool), safe to share across workers."""

    def __init__(
        self, url: str, *, worker: str = "worker", pool_size: int = 10, lease: timedelta = LEASE
    ) -> None:
        """Remember where to connect; `open` connects."""
        self.url = url
        self.worker = worker
        self.lease = lease
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._lock_pool: asyncpg.Pool | None = None
        self.teams = PostgresTeamStore(self)

    # -- life cycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect two pools (data, and per-user update locks) and migrate the schema."""
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
        log.info("connected to PostgreSQL at %s as worker %s", describe(self.url), self.worker)

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
            await conn.execute("SELECT pg_advisory_lock($1)", lock)
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
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock)
                    await pool.release(conn)
                except DB_ERRORS:  # a lost connection took the lock with it
                    await _discard(pool, conn)

    @asynccontextmanager
    async def _conn(self, lock: int | None = None) -> AsyncIterator[asyncpg.Connection]:
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
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock)
                yield conn
        except DB_ERRORS as exc:
            await _discard(self._pool, conn)
            raise StorageWriteError(f"database error: {exc}") from exc
        except BaseException:  # the caller's own error: the transaction was rolled back
            await self._pool.release(conn)
            raise
        await self._pool.release(conn)

    def _athlete(self, uid: int) -> Any:
        """A transaction holding the athlete's lock."""
        return self._conn(lock_key("athlete", uid))

    async def _value(self, query: str, *args: Any) -> Any:
        """The first column of the first row of a query."""
        async with self._conn() as conn:
            return await conn.fetchval(query, *args)

    async def _column(self, query: str, *args: Any) -> list[Any]:
        """The first column of every row of a query."""
        async with self._conn() as conn:
            return [row[0] for row in await conn.fetch(query, *args)]

    # -- profile and conversation state -----------------------------------------------------

    async def profile(self, uid: int) -> Record | None:
        """The athlete's profile, or None for someone we have never stored."""
        return await self._value("SELECT profile FROM athletes WHERE uid = $1", uid)

    async def update_profile(
        self, uid: int, changes: Record, *, clear_state: str | None = None, create: bool = True
    ) -> Record:
        """Merge `changes` into the profile (and drop a state key, in the same transaction)."""
        async with self._athlete(uid) as conn:
            current = await conn.fetchval("SELECT profile FROM athletes WHERE uid = $1", uid)
            if current is None and not create:
                return {}
            merged = {**(current or {}), **copy.deepcopy(changes)}
            await conn.execute(UPSERT_PROFILE, uid, merged)
            if clear_state:
                await _drop_state(conn, uid, clear_state)
            return merged

    async def state(self, uid: int, key: str) -> Record | None:
        """A piece of conversation state (e.g. the check-in being answered)."""
        return await self._value(
            "SELECT value FROM conversation_state WHERE uid = $1 AND key = $2", uid, key
        )

    async def set_state(self, uid: int, key: str, value: Record | None) -> None:
        """Replace (or with None, delete) a piece of conversation state."""
        async with self._athlete(uid) as conn:
            if value is None:
                await _drop_state(conn, uid, key)
            else:
                await conn.execute(
                    "INSERT INTO conversation_state (uid, key, value) VALUES ($1, $2, $3) "
                    "ON CONFLICT (uid, key) DO UPDATE SET value = EXCLUDED.value",
                    uid,
                    key,
                    value,
                )

    # -- check-ins --------------------------------------------------------------------------

    async def checkins(self, uid: int) -> list[Record]:
        """All stored check-ins and follow-ups of the athlete, oldest first."""
        return await self._column(
            "SELECT doc FROM checkins WHERE uid = $1 ORDER BY created_at, seq", uid
        )

    async def save_checkin(
        self,
        uid: int,
        record: Record,
        reminders: list[Record],
        *,
        clear_state: str | None = None,
        supersede: dict[str, Record] | None = None,
        create: bool = True,
    ) -> bool:
        """Store a check-in with its reminders (and replace superseded ones) in one transaction."""
        async with self._athlete(uid) as conn:
            if not create and not await _stored(conn, uid):
                return False
            if await conn.fetchval(
                "SELECT 1 FROM checkins WHERE uid = $1 AND (id = $2 OR update_id = $3)",
                uid,
                record["id"],
                record.get("update_id"),
            ):
                return False
            await conn.execute(
                "INSERT INTO checkins (uid, id, created_at, update_id, doc) "
                "VALUES ($1, $2, $3, $4, $5)",
                uid,
                record["id"],
                record.get("created_at", ""),
                record.get("update_id"),
                record,
            )
            if supersede:
                replaced = [d for d in await _pending_docs(conn, uid) if d["id"] in supersede]
                await conn.executemany(
                    UPDATE_REMINDER, [_changed(uid, d | supersede[d["id"]]) for d in replaced]
                )
            await conn.executemany(INSERT_REMINDER, [_row(uid, r) for r in reminders])
            if clear_state:
                await _drop_state(conn, uid, clear_state)
            return True

    async def checkin(self, uid: int, checkin_id: str) -> Record | None:
        """One check-in by id."""
        return await self._value(
            "SELECT doc FROM checkins WHERE uid = $1 AND id = $2", uid, checkin_id
        )

    async def mark_refuelled(
        self, uid: int, checkin_id: str, at: str, reminder_kinds: tuple[str, ...]
    ) -> list[str]:
        """Record that the athlete ate (once) and cancel that check-in's refuel reminders."""
        async with self._athlete(uid) as conn:
            await conn.execute(
                "UPDATE checkins SET doc = doc || jsonb_build_object('refuelled_at', $3::text) "
                "WHERE uid = $1 AND id = $2 AND doc -> 'refuelled_at' = 'null'::jsonb",
                uid,
                checkin_id,
                at,
            )
            hits = [
                doc
                for doc in await _pending_docs(conn, uid)
                if doc.get("checkin_id") == checkin_id and doc["kind"] in reminder_kinds
            ]
            changes = {"status": ReminderStatus.CANCELLED, "settled_at": at}
            await conn.executemany(UPDATE_REMINDER, [_changed(uid, d | changes) for d in hits])
            return [doc["id"] for doc in hits]

    # -- reminders --------------------------------------------------------------------------

    async def reminder(self, uid: int, reminder_id: str) -> Record | None:
        """One reminder record by id."""
        return await self._value(
            "SELECT doc FROM reminders WHERE uid = $1 AND id = $2", uid, reminder_id
        )

    async def reminders(self, uid: int) -> list[Record]:
        """All reminder records of the athlete, in the order they were stored."""
        return await self._column("SELECT doc FROM reminders WHERE uid = $1 ORDER BY seq", uid)

    async def add_reminders(
        self, uid: int, records: list[Record], *, create: bool = True
    ) -> list[Record]:
        """Store new reminder records, skipping ids already stored (so a retry never duplicates)."""
        async with self._athlete(uid) as conn:
            if not create and not await _stored(conn, uid):
                return []
            return [
                copy.deepcopy(record)
                for record in records
                if await conn.fetchval(INSERT_REMINDER, *_row(uid, record))
            ]

    async def set_reminders_status(
        self, uid: int, match: Callable[[Record], bool], changes: Record, *, create: bool = True
    ) -> list[str]:
        """Update the pending reminders that `match`; return their ids."""
        async with self._athlete(uid) as conn:
            hits = [doc for doc in await _pending_docs(conn, uid) if match(doc)]
            await conn.executemany(UPDATE_REMINDER, [_changed(uid, d | changes) for d in hits])
            return [doc["id"] for doc in hits]

    async def change_reminders(
        self,
        uid: int,
        changes: dict[str, Record],
        new: list[Record],
        *,
        when: Callable[[Record], bool] = pending,
        create: bool = True,
        if_changed: bool = False,
    ) -> list[Record]:
        """Merge per-id changes into reminders that pass `when` and add new ones in one write."""
        async with self._athlete(uid) as conn:
            rows = await conn.fetch(
                "SELECT doc FROM reminders WHERE uid = $1 AND id = ANY($2::text[]) ORDER BY seq",
                uid,
                list(changes),
            )
            touched = [row[0] | changes[row[0]["id"]] for row in rows if when(row[0])]
            await conn.executemany(UPDATE_REMINDER, [_changed(uid, doc) for doc in touched])
            if (new and not create and not await _stored(conn, uid)) or (
                if_changed and not touched
            ):
                new = []
            await conn.executemany(INSERT_REMINDER, [_row(uid, r) for r in new])
            return copy.deepcopy([*touched, *new])

    async def claim_reminders(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """Claim due pending reminders no live claim holds, for this worker, for one lease."""
        async with self._conn() as conn:
            rows = await conn.fetch(CLAIM_DUE, now, now + self.lease, limit, self.worker)
        return [(row["uid"], row["id"]) for row in rows]

    async def claim_reminder(self, uid: int, reminder_id: str, now: datetime) -> bool:
        """Claim one pending reminder unless another worker holds it."""
        found = await self._value(CLAIM_ONE, uid, reminder_id, now, now + self.lease, self.worker)
        return found is not None

    async def retry_reminder(self, uid: int, reminder_id: str, at: datetime) -> None:
        """Keep the reminder claimed until `at`, when any worker may claim it again."""
        async with self._conn() as conn:
            await conn.execute(
                "UPDATE reminders SET lease_until = $3 WHERE uid = $1 AND id = $2",
                uid,
                reminder_id,
                at,
            )

    # -- teams, export and erase ------------------------------------------------------------

    async def _relink(self, uid: int, team_id: int, joined_at: str | None) -> None:
        """Update the profile's team back-references (leaving also cancels that team's prompts)."""
        async with self._athlete(uid) as conn:
            profile = await conn.fetchval("SELECT profile FROM athletes WHERE uid = $1", uid)
            await conn.execute(UPSERT_PROFILE, uid, link_team(profile or {}, team_id, joined_at))
            if joined_at is None:
                changes = {"status": ReminderStatus.CANCELLED, "reason": "left team"}
                hits = [d for d in await _pending_docs(conn, uid) if d.get("team_id") == team_id]
                await conn.executemany(UPDATE_REMINDER, [_changed(uid, d | changes) for d in hits])

    async def _erase(self, uid: int) -> None:
        """Delete the athlete's rows from every table."""
        async with self._athlete(uid) as conn:
            for table in ATHLETE_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE uid = $1", uid)

    async def everything(self, uid: int) -> dict[str, list[Record]]:
        """Every non-empty table of the athlete as plain lists (for /export); {} if none."""
        async with self._conn() as conn:
            profile = await conn.fetchval("SELECT profile FROM athletes WHERE uid = $1", uid)
            tables = {
                "profile": [profile] if profile is not None else [],
                "checkins": await _docs(conn, "checkins", uid),
                "reminders": await _docs(conn, "reminders", uid),
                "state": [
                    {"key": row["key"], "value": row["value"]}
                    for row in await conn.fetch(
                        "SELECT key, value FROM conversation_state WHERE uid = $1 ORDER BY seq",
                        uid,
                    )
                ],
            }
        return {name: rows for name, rows in sorted(tables.items()) if rows}

    # -- bulk import (python -m bot import-tinydb) ------------------------------------------

    async def import_athlete(self, uid: int, tables: dict[str, list[Record]]) -> dict[str, int]:
        """Add an athlete's tables (`everything`'s shape) in one transaction, in their order,
        keeping rows already stored; return how many rows each table gained."""
        profile = tables.get("profile", [])[:1]
        state = [(s["key"], s["value"]) for s in tables.get("state", [])]
        checkins = [
            (c["id"], c.get("created_at", ""), c.get("update_id"), c)
            for c in tables.get("checkins", [])
        ]
        reminders = [_row(uid, record)[1:] for record in tables.get("reminders", [])]
        columns = (
            ("athletes", IMPORT_PROFILE, [profile] if profile else []),
            ("conversation_state", IMPORT_STATE, _columns(state)),
            ("checkins", IMPORT_CHECKINS, _columns(checkins)),
            ("reminders", IMPORT_REMINDERS, _columns(reminders)),
        )
        async with self._athlete(uid) as conn:
            return {
                table: _inserted(await conn.execute(sql, uid, *args)) if args else 0
                for table, sql, args in columns
            }

    async def import_team(self, team: Team, now: datetime) -> bool:
        """Add a team unless stored already (an active one due for a look-up at `now`)."""
        async with self._conn(lock_key("team", team["id"])) as conn:
            status = await conn.execute(
                "INSERT INTO teams (id, doc, next_look_at) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                team["id"],
                team,
                now if team.get("active") else None,
            )
        return _inserted(status) == 1

    async def counts(self, uids: list[int], team_ids: list[int]) -> dict[str, int]:
        """Rows per table held for exactly these athletes and teams (the import's check)."""
        async with self._conn() as conn:
            held = {
                table: await conn.fetchval(
                    f"SELECT count(*) FROM {table} WHERE uid = ANY($1::bigint[])", uids
                )
                for table in ATHLETE_TABLES
            }
            held["teams"] = await conn.fetchval(
                "SELECT count(*) FROM teams WHERE id = ANY($1::bigint[])", team_ids
            )
        return held


class PostgresTeamStore(TeamStore):
    """Team documents in the `teams` table, with each team's next look-up and its claim."""

    def __init__(self, store: PostgresStore) -> None:
        """Share the store's pool."""
        self._store = store

    async def all(self) -> list[Team]:
        """Every stored team."""
        return await self._store._column("SELECT doc FROM teams ORDER BY id")

    async def get(self, team_id: int) -> Team | None:
        """The team stored under this group chat id."""
        return await self._store._value("SELECT doc FROM teams WHERE id = $1", team_id)

    async def coached_by(self, uid: int) -> list[int]:
        """The teams whose coaches include the person."""
        return await self._store._column(
            "SELECT id FROM teams WHERE doc -> 'coaches' ? $1 ORDER BY id", str(uid)
        )

    async def purge_residue(self, uid: int) -> None:
        """Nothing to purge: a team's row is updated in place, no previous version is kept."""

    async def update(self, team_id: int, fn: Callable[[Team], T]) -> T:
        """Change a team in one transaction under the team's lock."""
        async with self._store._conn(lock_key("team", team_id)) as conn:
            team = await conn.fetchval("SELECT doc FROM teams WHERE id = $1", team_id) or {}
            result = fn(team)
            if team:
                await conn.execute(
                    "INSERT INTO teams (id, doc) VALUES ($1, $2) "
                    "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                    team_id,
                    team,
                )
            return copy.deepcopy(result)

    async def move(self, old_id: int, new_id: int) -> Team | None:
        """Re-key the team's row (its schedule with it), leaving a forwarding stub."""
        first, second = sorted((old_id, new_id))
        async with self._store._conn(lock_key("team", first)) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key("team", second))
            team = await conn.fetchval("SELECT doc FROM teams WHERE id = $1", old_id)
            if not team or "moved_to" in team:
                return None
            if await conn.fetchval("SELECT 1 FROM teams WHERE id = $1", new_id):
                return None
            moved, stub = moved_team(team, new_id)
            await conn.execute(
                "UPDATE teams SET id = $2, doc = $3, next_look_at = NULL, lease_until = NULL "
                "WHERE id = $1",  # unclaimed under its new id: the caller wakes it
                old_id,
                new_id,
                moved,
            )
            await conn.execute("INSERT INTO teams (id, doc) VALUES ($1, $2)", old_id, stub)
            return moved

    async def wake(self, team_id: int, at: datetime) -> None:
        """Bring the team's next look forward to `at` (a claim in progress sees the new version)."""
        async with self._store._conn() as conn:
            await conn.execute(
                "UPDATE teams SET next_look_at = LEAST(coalesce(next_look_at, $2), $2), "
                "version = version + 1 WHERE id = $1",
                team_id,
                at,
            )

    async def claim_due(self, now: datetime) -> list[tuple[int, int]]:
        """Claim the due teams nobody holds, for one lease."""
        async with self._store._conn() as conn:
            rows = await conn.fetch(CLAIM_TEAMS, now, now + self._store.lease)
        return [(row["id"], row["version"]) for row in rows]

    async def done(self, team_id: int, token: int, next_at: datetime | None) -> None:
        """Release the claim; book `next_at` unless a wake came in while the team was processed."""
        async with self._store._conn() as conn:
            await conn.execute(
                "UPDATE teams SET lease_until = NULL, next_look_at = "
                "CASE WHEN version = $2 THEN $3 ELSE next_look_at END WHERE id = $1",
                team_id,
                token,
                next_at,
            )


async def _discard(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    """Close a connection that failed and give it back, so it is never reused as it is."""
    with contextlib.suppress(*DB_ERRORS):  # it may be gone already
        conn.terminate()
        await pool.release(conn)


async def _drop_state(conn: asyncpg.Connection, uid: int, key: str) -> None:
    """Delete one conversation state key."""
    await conn.execute("DELETE FROM conversation_state WHERE uid = $1 AND key = $2", uid, key)


async def _stored(conn: asyncpg.Connection, uid: int) -> bool:
    """Whether the athlete has a profile (an erased one has none)."""
    return bool(await conn.fetchval("SELECT 1 FROM athletes WHERE uid = $1", uid))


async def _pending_docs(conn: asyncpg.Connection, uid: int) -> list[Record]:
    """The athlete's pending reminder documents, oldest first."""
    rows = await conn.fetch(
        "SELECT doc FROM reminders WHERE uid = $1 AND status = 'pending' ORDER BY seq", uid
    )
    return [row[0] for row in rows]


async def _docs(conn: asyncpg.Connection, table: str, uid: int) -> list[Record]:
    """Every document of the athlete in `table`, in the order stored."""
    rows = await conn.fetch(f"SELECT doc FROM {table} WHERE uid = $1 ORDER BY seq", uid)
    return [row[0] for row in rows]
