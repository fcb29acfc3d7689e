"""The storage interface every backend implements (TinyDB files, PostgreSQL).

The store is also the schedule: reminders and team look-ups are *claimed* from it when due, so
one process or several sharing a database each send a due item exactly once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from rules.reminders import ReminderKind, ReminderStatus

T = TypeVar("T")
TeamDoc = dict[str, Any]  # a team as stored (bot/teams/records.py types it)
Record = dict[str, Any]


class StoreUnavailable(Exception):
    """The database cannot be used (unreachable, refused, too new a schema): one line for ops."""


@dataclass(frozen=True, slots=True)
class ReminderFilter:
    """Which reminder records a write applies to: those with one of `statuses` whose other
    given fields all match (a backend may turn it into a query)."""

    statuses: frozenset[ReminderStatus] = frozenset({ReminderStatus.PENDING})
    ids: frozenset[str] | None = None
    kinds: frozenset[ReminderKind] | None = None
    checkin: str | None = None
    team: int | None = None
    reason: str | None = None

    def matches(self, record: Record) -> bool:
        """Whether the record is one this filter selects."""
        return (
            record.get("status") in self.statuses
            and (self.ids is None or record.get("id") in self.ids)
            and (self.kinds is None or record.get("kind") in self.kinds)
            and (self.checkin is None or record.get("checkin_id") == self.checkin)
            and (self.team is None or record.get("team_id") == self.team)
            and (self.reason is None or record.get("reason") == self.reason)
        )


Where = Sequence[ReminderFilter]  # the records any one of the filters selects
PENDING = ReminderFilter()


def pending(record: Record) -> bool:
    """Whether a reminder record still waits to be sent."""
    return PENDING.matches(record)


class TeamStore(ABC):
    """Team documents keyed by their group's chat id, plus each team's next look-up time."""

    @abstractmethod
    async def all(self) -> list[TeamDoc]:
        """Every stored team (for rare look-ups such as a coach's roster)."""

    @abstractmethod
    async def get(self, team_id: int) -> TeamDoc | None:
        """The team stored under this group chat id."""

    @abstractmethod
    async def coached_by(self, uid: int) -> list[int]:
        """The ids of the teams the person coaches (a /roster reads only these)."""

    @abstractmethod
    async def update(self, team_id: int, fn: Callable[[TeamDoc], T]) -> T:
        """Change a team in one atomic write (`fn` mutates the dict, {} when new, and returns)."""

    @abstractmethod
    async def move(self, old_id: int, new_id: int) -> TeamDoc | None:
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
    async def set_refuelled(
        self, uid: int, checkin_id: str, at: str, where: Where, changes: Record
    ) -> list[Record]:
        """Record (once) when the athlete ate after a check-in and merge `changes` into the
        reminders `where` selects, in one write; return those reminders as changed."""

    # -- reminders --------------------------------------------------------------------------

    @abstractmethod
    async def reminder(self, uid: int, reminder_id: str) -> Record | None:
        """One reminder record by id."""

    @abstractmethod
    async def reminders(self, uid: int) -> list[Record]:
        """All reminder records of the athlete, in the order they were stored."""

    @abstractmethod
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
        """In one write, merge `changes` (and `each`'s changes for its ids) into the reminders
        `where` selects and add the `new` records whose ids are not stored yet (with
        `if_changed`, only when some reminder changed: a renewal of what was settled); return
        the changed reminders, then the added ones, in the order stored."""

    async def add_reminders(
        self, uid: int, records: Sequence[Record], *, create: bool = True
    ) -> list[Record]:
        """Store new reminder records, skipping ids already stored (so a retry never duplicates)."""
        return await self.update_reminders(uid, new=records, create=create)

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

    @abstractmethod
    async def link_team(self, uid: int, team_id: int, joined_at: str | None) -> None:
        """Add the team to the profile's back-references (or, with None, remove it)."""

    @abstractmethod
    async def erase(self, uid: int) -> None:
        """Delete every trace of the athlete's own data."""

    @abstractmethod
    async def everything(self, uid: int) -> dict[str, list[Record]]:
        """Every non-empty table of the athlete as plain lists (for /export); {} if none."""


def moved_team(team: TeamDoc, new_id: int) -> tuple[TeamDoc, TeamDoc]:
    """(the team under its new id, the stub left at the old id)."""
    return {**team, "id": new_id}, {"id": team["id"], "moved_to": new_id}


def linked_profile(profile: Record, team_id: int, joined_at: str | None) -> Record:
    """The profile with a team back-reference added (or, with None, removed)."""
    teams = {k: v for k, v in profile.get("teams", {}).items() if k != str(team_id)}
    if joined_at is not None:
        teams[str(team_id)] = {"joined_at": joined_at}
    return {**profile, "teams": teams}
