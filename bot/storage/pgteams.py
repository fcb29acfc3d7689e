"""The PostgreSQL team store: team documents in the `teams` table, each with its next look-up,
claimed with `FOR UPDATE SKIP LOCKED` and a lease like reminders."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bot.storage import sql
from bot.storage.base import TeamDoc, TeamStore, moved_team
from bot.storage.database import Database, lock_key

T = TypeVar("T")


class PostgresTeamStore(TeamStore):
    """Team documents in the `teams` table, with each team's next look-up and its claim."""

    def __init__(self, db: Database, lease: timedelta) -> None:
        """Use the pools of `db`; a claim lasts `lease`."""
        self.db = db
        self.lease = lease

    async def all(self) -> list[TeamDoc]:
        """Every stored team."""
        return await self.db.column(sql.TEAMS)

    async def get(self, team_id: int) -> TeamDoc | None:
        """The team stored under this group chat id."""
        return await self.db.value(sql.TEAM, team_id)

    async def coached_by(self, uid: int) -> list[int]:
        """The teams whose coaches include the person."""
        return await self.db.column(sql.COACHED_BY, str(uid))

    async def purge_residue(self, uid: int) -> None:
        """Nothing to purge: a team's row is updated in place, no previous version is kept."""

    async def update(self, team_id: int, fn: Callable[[TeamDoc], T]) -> T:
        """Change a team in one transaction under the team's lock."""
        async with self.db.team(team_id) as conn:
            team = await conn.fetchval(sql.TEAM, team_id) or {}
            result = fn(team)
            if team:
                await conn.execute(sql.UPSERT_TEAM, team_id, team)
            return copy.deepcopy(result)

    async def move(self, old_id: int, new_id: int) -> TeamDoc | None:
        """Re-key the team's row (its schedule with it), leaving a forwarding stub."""
        first, second = sorted((old_id, new_id))
        async with self.db.team(first) as conn:
            await conn.execute(sql.XACT_LOCK, lock_key("team", second))
            team = await conn.fetchval(sql.TEAM, old_id)
            if not team or "moved_to" in team:
                return None
            if await conn.fetchval(sql.TEAM_KNOWN, new_id):
                return None
            moved, stub = moved_team(team, new_id)
            await conn.execute(sql.MOVE_TEAM, old_id, new_id, moved)
            await conn.execute(sql.INSERT_TEAM, old_id, stub)
            return moved

    async def wake(self, team_id: int, at: datetime) -> None:
        """Bring the team's next look forward to `at` (a claim in progress sees the new version)."""
        async with self.db.conn() as conn:
            await conn.execute(sql.WAKE_TEAM, team_id, at)

    async def claim_due(self, now: datetime) -> list[tuple[int, int]]:
        """Claim the due teams nobody holds, for one lease."""
        async with self.db.conn() as conn:
            rows = await conn.fetch(sql.CLAIM_TEAMS, now, now + self.lease)
        return [(row["id"], row["version"]) for row in rows]

    async def done(self, team_id: int, token: int, next_at: datetime | None) -> None:
        """Release the claim; book `next_at` unless a wake came in while the team was processed."""
        async with self.db.conn() as conn:
            await conn.execute(sql.TEAM_DONE, team_id, token, next_at)
