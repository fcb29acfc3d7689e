"""The storage interface every backend implements (TinyDB files, PostgreSQL).

The store is also the schedule: reminders and team look-ups are *claimed* from it when due, so
one process or several sharing a database each send a due item exactly once.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from rules.reminders import ReminderStatus

T = TypeVar("T")
Team = dict[str, Any]
Record = dict[str, Any]


class StoreUnavailable(Exception):
    """The database cannot be used (unreachable, refused, too new a schema): one line for ops."""


def pending(record: Record) -> bool:
    """Whether a reminder record still waits to be sent."""
    return record.get("status") == ReminderStatus.PENDING


class TeamStore(ABC):
    """Team documents keyed by their group's chat id, plus each team's next look-up time."""

    @abstractmethod
    async def all(self) -> list[Team]:
        """Every stored team (for rare look-ups such as a coach's roster)."""

    @abstractmethod
    async def get(self, team_id: int) -> Team | None:
        """The team stored under this group chat id."""

    @abstractmethod
    async def coached_by(self, uid: int) -> list[int]:
        """The ids of the teams the person coaches (a /roster reads only these)."""

    @abstractmethod
    async def update(self, team_id: int, fn: Callable[[Team], T]) -> T:
        """Change a team in one atomic write (`fn` mutates the dict, {} when new, and returns)."""

    @abstractmethod
    async def move(self, old_id: int, new_id: int) -> Team | None:
        """Re-key a team whose group became a supergroup, leaving a forwarding stub at the old
        id (old join links keep working); None if there is nothing to move."""

    @abstractmethod
    async def wake(self, team_id: int, at: datetime) -> None:
        """Make the team due for a look-up at `at` (or earlier, if it already is)."""

    @abstractmethod
    async def claim_due(self, now: datetime) -> list[tuple[int, int]]:
        """Claim the teams due by `now` as (team id, token); no one else gets them until `done`."""

    @abstractmethod
    async def done(self, team_id: int, token: int, next_at: datetime | None) -> None:
        """Release a claimed team, due next at `next_at` unless it was woken meanwhile."""

    @abstractmethod
    async def purge_residue(self, uid: int) -> None:
        """Remove every previous version, set-aside copy or leftover of a team document that
        mentions the person (after an erase)."""


class Store(ABC):
    """Durable per-athlete data: profile, conversation state, check-ins, reminders, teams."""

    teams: TeamStore

    # -- life cycle -------------------------------------------------------------------------

    @abstractmethod
    async def open(self) -> None:
        """Connect (inside the running event loop)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @asynccontextmanager
    async def serialised(self, key: Hashable) -> AsyncIterator[None]:
        """Hold `key` (one user's updates) exclusively across every process sharing the data."""
        yield

    # -- profile and conversation state -----------------------------------------------------

    @abstractmethod
    async def profile(self, uid: int) -> Record | None:
        """The athlete's profile, or None for someone we have never stored."""

    @abstractmethod
    async def update_profile(
        self, uid: int, changes: Record, *, clear_state: str | None = None, create: bool = True
    ) -> Record:
        """Merge `changes` into the profile (and drop a state key, in the same write); with
        `create` False, an athlete who is not stored (e.g. erased meanwhile) stays so: {}."""

    @abstractmethod
    async def state(self, uid: int, key: str) -> Record | None:
        """A piece of conversation state (e.g. the check-in being answered)."""

    @abstractmethod
    async def set_state(self, uid: int, key: str, value: Record | None) -> None:
        """Replace (or with None, delete) a piece of conversation state."""

    # -- check-ins --------------------------------------------------------------------------

    @abstractmethod
    async def checkins(self, uid: int) -> list[Record]:
        """All stored check-ins and follow-ups of the athlete, oldest first."""

    @abstractmethod
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
        """Store a check-in with its reminders in one atomic write, merging `supersede`'s
        per-id changes into those still-pending reminders it replaces; False if already stored.

        `create` False, on this and the other reminder writes: someone not stored (e.g. erased
        while a delivery or an answer was in flight) stays unstored, and nothing is written."""

    @abstractmethod
    async def checkin(self, uid: int, checkin_id: str) -> Record | None:
        """One check-in by id."""

    @abstractmethod
    async def mark_refuelled(
        self, uid: int, checkin_id: str, at: str, reminder_kinds: tuple[str, ...]
    ) -> list[str]:
        """Record that the athlete ate (once) and cancel that check-in's refuel reminders."""

    # -- reminders --------------------------------------------------------------------------

    @abstractmethod
    async def reminder(self, uid: int, reminder_id: str) -> Record | None:
        """One reminder record by id."""

    @abstractmethod
    async def reminders(self, uid: int) -> list[Record]:
        """All reminder records of the athlete, in the order they were stored."""

    @abstractmethod
    async def add_reminders(
        self, uid: int, records: list[Record], *, create: bool = True
    ) -> list[Record]:
        """Store new reminder records, skipping ids already stored (so a retry never duplicates)."""

    @abstractmethod
    async def set_reminders_status(
        self, uid: int, match: Callable[[Record], bool], changes: Record, *, create: bool = True
    ) -> list[str]:
        """Update the pending reminders that `match`; return their ids."""

    @abstractmethod
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
        """Merge per-id changes into reminders that pass `when` and add new ones in one write
        (with `if_changed`, only when some change applied: a renewal of what was settled)."""

    @abstractmethod
    async def claim_reminders(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """Claim up to `limit` pending reminders due by `now` as (athlete, reminder id)."""

    @abstractmethod
    async def claim_reminder(self, uid: int, reminder_id: str, now: datetime) -> bool:
        """Claim one reminder to send it right away; False if another sender holds it."""

    @abstractmethod
    async def retry_reminder(self, uid: int, reminder_id: str, at: datetime) -> None:
        """Release a claimed reminder so that it is claimed again at `at`."""

    # -- teams, export and erase ------------------------------------------------------------
    # Invariant: a team lists an athlete only while the athlete's profile lists the team, so
    # /forget always finds every team to clean. Joining writes the profile first; leaving the
    # team first (sharing stops with that write).

    async def join_team(self, uid: int, team_id: int, member: Record) -> bool:
        """Add the athlete (who consented to share) to a team; False if already a member."""
        await self._relink(uid, team_id, member["joined_at"])
        return await self.teams.update(team_id, add_member(uid, copy.deepcopy(member)))

    async def leave_team(self, uid: int, team_id: int) -> bool:
        """Stop sharing with a team at once (its pending prompts too); False if not a member."""
        left = await self.teams.update(team_id, drop_member(uid))
        await self._relink(uid, team_id, None)
        return left

    async def forget(self, uid: int) -> None:
        """Erase everything stored about the person: their own data, and every mention in every
        team (member, invitation, coach, alerts about or to them) with the teams' backups."""
        for team in await self.teams.all():
            if mentions(team, uid):
                await self.teams.update(int(team["id"]), scrub(uid))
        await self.teams.purge_residue(uid)
        await self._erase(uid)

    async def export_all(self, uid: int) -> dict[str, list[Record]]:
        """Everything stored about the person for /export: their own tables, and what every
        team that mentions them holds about them."""
        teams = [mentioned(team, uid) for team in await self.teams.all() if mentions(team, uid)]
        return await self.everything(uid) | ({"teams": teams} if teams else {})

    @abstractmethod
    async def _relink(self, uid: int, team_id: int, joined_at: str | None) -> None:
        """Add the team to the profile's back-references, or with None remove it and cancel
        the athlete's pending prompts from that team (one write)."""

    @abstractmethod
    async def _erase(self, uid: int) -> None:
        """Delete every trace of the athlete's own data."""

    @abstractmethod
    async def everything(self, uid: int) -> dict[str, list[Record]]:
        """Every non-empty table of the athlete as plain lists (for /export); {} if none."""


def moved_team(team: Team, new_id: int) -> tuple[Team, Team]:
    """(the team under its new id, the stub left at the old id)."""
    return {**team, "id": new_id}, {"id": team["id"], "moved_to": new_id}


def add_member(uid: int, member: Record) -> Callable[[Team], bool]:
    """A team update adding a member (and dropping their invitation); True if new."""

    def add(team: Team) -> bool:
        if not team:
            return False
        key = str(uid)
        team.setdefault("invited", {}).pop(key, None)
        new = key not in team["members"]
        team["members"][key] = team["members"].get(key) or member
        return new

    return add


PERSON_SECTIONS = ("members", "invited", "coaches")


def _about(item: Record, uid: int) -> bool:
    """Whether an outbox item concerns the person (an alert about them or to them)."""
    return uid in (item.get("uid"), item.get("coach"))


def mentions(team: Team, uid: int) -> bool:
    """Whether a team document mentions the person anywhere."""
    return any(str(uid) in team.get(section, {}) for section in PERSON_SECTIONS) or any(
        _about(item, uid) for item in team.get("outbox", {}).values()
    )


def mentioned(team: Team, uid: int) -> Record:
    """What a team document holds about the person: its id and title, then each mention. An
    alert addressed to them as a coach is about someone else: only that it was sent, and when."""
    found: Record = {"team_id": team["id"], "title": team.get("title")}
    for section in PERSON_SECTIONS:
        if str(uid) in team.get(section, {}):
            found[section] = team[section][str(uid)]
    alerts = [
        item if item.get("uid") == uid else {k: item.get(k) for k in ("kind", "status", "due_at")}
        for item in team.get("outbox", {}).values()
        if _about(item, uid)
    ]
    return found | ({"alerts": alerts} if alerts else {})


def scrub(uid: int) -> Callable[[Team], bool]:
    """A team update removing every mention of the person; True if there was one."""

    def apply(team: Team) -> bool:
        found = mentions(team, uid)
        for section in PERSON_SECTIONS:
            team.get(section, {}).pop(str(uid), None)
        outbox = team.get("outbox", {})
        for key in [k for k, item in outbox.items() if _about(item, uid)]:
            del outbox[key]
        return found

    return apply


def drop_member(uid: int) -> Callable[[Team], bool]:
    """A team update removing a member and any alert about them not yet sent; True if they
    were a member."""

    def drop(team: Team) -> bool:
        outbox = team.get("outbox", {})
        for key in [k for k, item in outbox.items() if item.get("uid") == uid]:
            del outbox[key]
        return team.get("members", {}).pop(str(uid), None) is not None

    return drop


def link_team(profile: Record, team_id: int, joined_at: str | None) -> Record:
    """The profile with a team back-reference added (or, with None, removed)."""
    teams = {k: v for k, v in profile.get("teams", {}).items() if k != str(team_id)}
    if joined_at is not None:
        teams[str(team_id)] = {"joined_at": joined_at}
    return {**profile, "teams": teams}
