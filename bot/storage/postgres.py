"""The PostgreSQL store: the TinyDB store's interface on a database that several workers share.

Each athlete's writes run in one transaction under an advisory lock on the athlete. Due reminders
and team look-ups are claimed with `FOR UPDATE SKIP LOCKED` and a lease: a worker that dies
mid-send loses its claim when the lease runs out, and another worker sends the item.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.storage import sql
from bot.storage.base import Record, ReminderFilter, Store, Where, linked_profile
from bot.storage.database import Database, describe
from bot.storage.pgteams import PostgresTeamStore
from rules.reminders import ReminderStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


def reminder_row(uid: int, record: Record) -> tuple[Any, ...]:
    """The column values of a reminder record."""
    due = datetime.fromisoformat(record["due_at"])
    return uid, record["id"], record.get("status", ReminderStatus.PENDING), due, record


class PostgresStore(Store):
    """Athletes, reminders and teams in PostgreSQL (asyncpg pool), safe to share across workers."""

    def __init__(
        self, url: str, *, worker: str = "worker", pool_size: int = 10, lease: timedelta = LEASE
    ) -> None:
        """Remember where to connect; `open` connects."""
        self.db = Database(url, pool_size=pool_size)
        self.worker = worker
        self.lease = lease
        self.teams = PostgresTeamStore(self.db, lease)

    # -- life cycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect the pools and migrate the schema (StoreUnavailable if that fails)."""
        await self.db.open()
        log.info("connected to PostgreSQL at %s as worker %s", describe(self.db.url), self.worker)

    async def close(self) -> None:
        """Close the pools."""
        await self.db.close()

    @asynccontextmanager
    async def serialised(self, key: Hashable) -> AsyncIterator[None]:
        """A session advisory lock on the user: any worker may take their next update."""
        async with self.db.serialised(key):
            yield

    # -- profile and conversation state -----------------------------------------------------

    async def profile(self, uid: int) -> Record | None:
        """The athlete's profile, or None for someone we have never stored."""
        return await self.db.value(sql.PROFILE, uid)

    async def update_profile(
        self, uid: int, changes: Record, *, clear_state: str | None = None, create: bool = True
    ) -> Record:
        """Merge `changes` into the profile (and drop a state key, in the same transaction)."""
        async with self.db.athlete(uid) as conn:
            current = await conn.fetchval(sql.PROFILE, uid)
            if current is None and not create:
                return {}
            merged = {**(current or {}), **copy.deepcopy(changes)}
            await conn.execute(sql.UPSERT_PROFILE, uid, merged)
            if clear_state:
                await conn.execute(sql.DROP_STATE, uid, clear_state)
            return merged

    async def state(self, uid: int, key: str) -> Record | None:
        """A piece of conversation state (e.g. the check-in being answered)."""
        return await self.db.value(sql.STATE, uid, key)

    async def set_state(self, uid: int, key: str, value: Record | None) -> None:
        """Replace (or with None, delete) a piece of conversation state."""
        async with self.db.athlete(uid) as conn:
            if value is None:
                await conn.execute(sql.DROP_STATE, uid, key)
            else:
                await conn.execute(sql.UPSERT_STATE, uid, key, value)

    # -- check-ins --------------------------------------------------------------------------

    async def checkins(self, uid: int) -> list[Record]:
        """All stored check-ins and follow-ups of the athlete, oldest first."""
        return await self.db.column(sql.CHECKINS, uid)

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
        async with self.db.athlete(uid) as conn:
            if not create and not await conn.fetchval(sql.STORED, uid):
                return False
            if await conn.fetchval(sql.CHECKIN_KNOWN, uid, record["id"], record.get("update_id")):
                return False
            created, update_id = record.get("created_at", ""), record.get("update_id")
            await conn.execute(sql.INSERT_CHECKIN, uid, record["id"], created, update_id, record)
            if supersede:
                where = (ReminderFilter(ids=frozenset(supersede)),)
                await _update(conn, uid, where, {}, supersede)
            await conn.executemany(sql.INSERT_REMINDER, [reminder_row(uid, r) for r in reminders])
            if clear_state:
                await conn.execute(sql.DROP_STATE, uid, clear_state)
            return True

    async def checkin(self, uid: int, checkin_id: str) -> Record | None:
        """One check-in by id."""
        return await self.db.value(sql.CHECKIN, uid, checkin_id)

    async def set_refuelled(
        self, uid: int, checkin_id: str, at: str, where: Where, changes: Record
    ) -> list[Record]:
        """Record when the athlete ate (once) and change the reminders `where` selects."""
        async with self.db.athlete(uid) as conn:
            await conn.execute(sql.REFUELLED, uid, checkin_id, at)
            return await _update(conn, uid, where, changes, {})

    # -- reminders --------------------------------------------------------------------------

    async def reminder(self, uid: int, reminder_id: str) -> Record | None:
        """One reminder record by id."""
        return await self.db.value(sql.REMINDER, uid, reminder_id)

    async def reminders(self, uid: int) -> list[Record]:
        """All reminder records of the athlete, in the order they were stored."""
        return await self.db.column(sql.REMINDERS, uid)

    async def update_reminders(
        self,
        uid: int,
        where: Where = (),
        changes: Mapping[str, Any] | None = None,
        *,
        each: Mapping[str, Record] | None = None,
        new: Sequence[Record] = (),
        create: bool = True,
        if_changed: bool = False,
    ) -> list[Record]:
        """Change the reminders `where` selects (in SQL) and add the new ones in one transaction."""
        async with self.db.athlete(uid) as conn:
            touched = await _update(conn, uid, where, changes or {}, each or {})
            if (new and not create and not await conn.fetchval(sql.STORED, uid)) or (
                if_changed and not touched
            ):
                new = []
            added = [
                copy.deepcopy(record)
                for record in new
                if await conn.fetchval(sql.INSERT_REMINDER, *reminder_row(uid, record))
            ]
            return [*touched, *added]

    async def claim_reminders(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """Claim due pending reminders no live claim holds, for this worker, for one lease."""
        async with self.db.conn() as conn:
            rows = await conn.fetch(sql.CLAIM_DUE, now, now + self.lease, limit, self.worker)
        return [(row["uid"], row["id"]) for row in rows]

    async def claim_reminder(self, uid: int, reminder_id: str, now: datetime) -> bool:
        """Claim one pending reminder unless another worker holds it."""
        args = (uid, reminder_id, now, now + self.lease, self.worker)
        return await self.db.value(sql.CLAIM_ONE, *args) is not None

    async def retry_reminder(self, uid: int, reminder_id: str, at: datetime) -> None:
        """Keep the reminder claimed until `at`, when any worker may claim it again."""
        async with self.db.conn() as conn:
            await conn.execute(sql.RETRY, uid, reminder_id, at)

    # -- teams, export and erase ------------------------------------------------------------

    async def link_team(self, uid: int, team_id: int, joined_at: str | None) -> None:
        """Add (or with None, remove) a team in the profile's back-references."""
        async with self.db.athlete(uid) as conn:
            profile = await conn.fetchval(sql.PROFILE, uid)
            await conn.execute(
                sql.UPSERT_PROFILE, uid, linked_profile(profile or {}, team_id, joined_at)
            )

    async def erase(self, uid: int) -> None:
        """Delete the athlete's rows from every table."""
        async with self.db.athlete(uid) as conn:
            for table in sql.ATHLETE_TABLES:
                await conn.execute(sql.erase(table), uid)

    async def everything(self, uid: int) -> dict[str, list[Record]]:
        """Every non-empty table of the athlete as plain lists (for /export); {} if none."""
        async with self.db.conn() as conn:
            profile = await conn.fetchval(sql.PROFILE, uid)
            tables = {
                "profile": [profile] if profile is not None else [],
                "checkins": await _column(conn, sql.docs("checkins"), uid),
                "reminders": await _column(conn, sql.docs("reminders"), uid),
                "state": [
                    {"key": row["key"], "value": row["value"]}
                    for row in await conn.fetch(sql.STATES, uid)
                ],
            }
        return {name: rows for name, rows in sorted(tables.items()) if rows}


async def _update(
    conn: asyncpg.Connection,
    uid: int,
    where: Where,
    changes: Mapping[str, Any],
    each: Mapping[str, Record],
) -> list[Record]:
    """Merge `changes` (and `each`'s per-id ones) into the reminders `where` selects, in SQL;
    return them as changed, in the order stored."""
    if not where:
        return []
    args: list[Any] = [uid, dict(changes), dict(each)]
    rows = await conn.fetch(sql.update_reminders(where, args), *args)
    return [row["doc"] for row in sorted(rows, key=lambda row: row["seq"])]


async def _column(conn: asyncpg.Connection, query: str, *args: Any) -> list[Any]:
    """The first column of every row of a query, on a connection already in use."""
    return [row[0] for row in await conn.fetch(query, *args)]
