"""TinyDB-backend team data: one atomic JSON file per team (named by its group's chat id), read and
written off the event loop. A write costs the same however many teams exist."""

from __future__ import annotations

import asyncio
import copy
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.storage.agenda import AT_ONCE, Agenda
from bot.storage.atomic import AtomicJSONStorage, fsync_dir
from bot.storage.base import TeamDoc, TeamStore, moved_team

T = TypeVar("T")


class TinyTeamStore(TeamStore):
    """Durable per-team documents; `update` is one atomic read-modify-write under a lock."""

    def __init__(self, folder: Path) -> None:
        """Use `folder` (created by `prepare`)."""
        self.folder = Path(folder)
        self._files: dict[int, AtomicJSONStorage] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self.agenda: Agenda[int] = Agenda()
        self._coaching: dict[int, set[int]] | None = None  # coach -> teams, built on first use
        self._written_while_building: set[int] = set()

    def prepare(self) -> None:
        """Create the folder (owner-only)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def scan(self) -> list[TeamDoc]:
        """Parse every team file (CorruptDataError names a broken one) and return the teams."""
        teams: list[TeamDoc] = []
        for entry in os.scandir(self.folder):
            stem, dot, ext = entry.name.partition(".")
            if dot and ext == "json" and stem.lstrip("-").isdigit():
                data = self._get_sync(int(stem))
                if data:
                    teams.append(data)
        return teams

    def _storage(self, team_id: int) -> AtomicJSONStorage:
        """The (cached) storage of one team's file."""
        with self._guard:
            if team_id not in self._files:
                self._files[team_id] = AtomicJSONStorage(self.folder / f"{team_id}.json")
                self._locks[team_id] = threading.Lock()
            return self._files[team_id]

    def _lock(self, team_id: int) -> threading.Lock:
        """The lock serialising access to one team's file."""
        self._storage(team_id)
        return self._locks[team_id]

    def _get_sync(self, team_id: int) -> TeamDoc | None:
        """A detached copy of the team, or None."""
        with self._lock(team_id):
            return copy.deepcopy(self._storage(team_id).read())

    def _update_sync(self, team_id: int, fn: Callable[[TeamDoc], T]) -> T:
        """Apply `fn` to a copy of the team ({} when new) and write the result atomically."""
        with self._lock(team_id):
            storage = self._storage(team_id)
            team = copy.deepcopy(storage.read() or {})
            result = fn(team)
            if team:
                storage.write(team)
                self._note_coaches(team_id, team)
            return copy.deepcopy(result)

    def _note_coaches(self, team_id: int, team: TeamDoc) -> None:
        """Keep the coach index in step with a team just written."""
        with self._guard:
            if self._coaching is None:  # not built yet: a build under way re-reads this team
                self._written_while_building.add(team_id)
                return
            _index_team(self._coaching, team_id, team)

    def _coached_by_sync(self, uid: int) -> list[int]:
        """The ids of the teams `uid` coaches (the index is built from the files once; teams
        written while it was being built are read again, so no write is missed)."""
        if self._coaching is None:
            index: dict[int, set[int]] = {}
            for team in self.scan():
                _index_team(index, int(team["id"]), team)
            while True:
                with self._guard:
                    written, self._written_while_building = self._written_while_building, set()
                    if not written:
                        self._coaching = self._coaching if self._coaching is not None else index
                        break
                for team_id in written:
                    _index_team(index, team_id, self._get_sync(team_id) or {})
        with self._guard:
            return sorted(self._coaching.get(uid, ()))

    async def coached_by(self, uid: int) -> list[int]:
        """The teams the person coaches, without reading every team."""
        return await asyncio.to_thread(self._coached_by_sync, uid)

    async def purge_residue(self, uid: int) -> None:
        """Delete every backup, set-aside corrupt copy and killed-write leftover in the teams
        folder that mentions the person (a backup only: the live files were scrubbed)."""
        needle = str(uid).encode()

        def purge() -> None:
            with self._guard:
                for entry in os.scandir(self.folder):
                    residue = entry.name.endswith(".bak") or ".corrupt-" in entry.name
                    residue = residue or entry.name.endswith(".tmp")
                    if residue and needle in Path(entry.path).read_bytes():
                        os.unlink(entry.path)
            fsync_dir(self.folder)

        await asyncio.to_thread(purge)

    async def all(self) -> list[TeamDoc]:
        """Every stored team (for rare look-ups such as a coach's roster)."""
        return await asyncio.to_thread(self.scan)

    async def get(self, team_id: int) -> TeamDoc | None:
        """The team stored under this group chat id."""
        return await asyncio.to_thread(self._get_sync, team_id)

    async def update(self, team_id: int, fn: Callable[[TeamDoc], T]) -> T:
        """Change a team in one atomic write (`fn` mutates the dict and returns a result)."""
        return await asyncio.to_thread(self._update_sync, team_id, fn)

    def _move_sync(self, old_id: int, new_id: int) -> TeamDoc | None:
        """Write the team under its new id, then the stub over the old file."""
        with self._lock(old_id):
            team = self._storage(old_id).read()
            if not team or "moved_to" in team:
                return None
            with self._lock(new_id):
                if self._storage(new_id).read():
                    return None
                moved, stub = moved_team(team, new_id)
                self._storage(new_id).write(moved)
                self._note_coaches(new_id, moved)
            self._storage(old_id).write(stub)
            self._note_coaches(old_id, stub)
            return copy.deepcopy(moved)

    async def move(self, old_id: int, new_id: int) -> TeamDoc | None:
        """Re-key the team (its file), leaving a forwarding stub."""
        moved = await asyncio.to_thread(self._move_sync, old_id, new_id)
        if moved is not None and moved.get("active"):
            self.agenda.push(new_id, AT_ONCE)
        return moved

    async def wake(self, team_id: int, at: datetime) -> None:
        """Index the team at `at`."""
        self.agenda.push(team_id, at)

    async def claim_due(self, now: datetime) -> list[tuple[int, int]]:
        """The due teams of the in-memory index (no token needed in one process)."""
        return [(team_id, 0) for team_id in self.agenda.pop_due(now, 1_000)]

    async def done(self, team_id: int, token: int, next_at: datetime | None) -> None:
        """Index the team's next look-up."""
        if next_at is not None:
            self.agenda.push(team_id, next_at)


def _index_team(index: dict[int, set[int]], team_id: int, team: TeamDoc) -> None:
    """Record in `index` (coach -> team ids) exactly the coaches `team` has now."""
    for teams in index.values():
        teams.discard(team_id)
    for coach in team.get("coaches", {}):
        index.setdefault(int(coach), set()).add(team_id)
