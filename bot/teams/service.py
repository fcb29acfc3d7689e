"""The team service the handlers call: set-up, coaches, sessions, channel, pause and resume,
supergroup moves, red flags, and the session summaries. Team documents change only here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.athletes.parsing import zone
from bot.athletes.profiles import consented, load_profile
from bot.athletes.recording import checkin_history
from bot.shell.clock import Clock
from bot.storage import Store
from bot.teams.messages import new_code
from bot.teams.records import OutboxItem, OutboxKind, Person, Team, is_team
from bot.teams.timetable import add_session, next_end
from rules.model import CheckIn
from rules.team import TeamSummary, session_checkin, summarise

log = logging.getLogger(__name__)

SUMMARY_AFTER = timedelta(hours=3)
T = TypeVar("T")


def summary_due(start: datetime, team: Team) -> datetime:
    """When a session's summary is published (the end of its check-in window)."""
    for item in team.outbox.values():
        if item.kind is OutboxKind.SUMMARY and item.session_start == start.isoformat():
            return datetime.fromisoformat(item.session_end or item.due_at) + SUMMARY_AFTER
    return start + SUMMARY_AFTER


def published_summary(team: Team) -> OutboxItem | None:
    """The latest summary item of the team (published or due), or None."""
    summaries = [i for i in team.outbox.values() if i.kind is OutboxKind.SUMMARY]
    return max(summaries, key=lambda i: i.session_start or "", default=None)


async def session_summary(store: Store, team: Team, start: datetime) -> TeamSummary:
    """The fixed aggregate of one session: members who had joined before it began and still
    consent, one check-in each, answered by the time the summary is published."""
    until = summary_due(start, team)
    checkins: list[CheckIn] = []
    joined = [
        int(uid)
        for uid, member in team.members.items()
        if datetime.fromisoformat(member.since or until.isoformat()) <= start
    ]
    for uid in joined:
        if not consented(await load_profile(store, uid)):
            continue
        found = session_checkin(await checkin_history(store, uid), start, until)
        if found is not None:
            checkins.append(found)
    return summarise(len(joined), checkins)


class TeamService:
    """Every change to a team, written once for both storage backends."""

    def __init__(self, store: Store, clock: Clock, default_tz: str) -> None:
        """Serve the teams of `store`."""
        self.store = store
        self.clock = clock
        self.default_tz = default_tz

    def person(self, name: str | None) -> Person:
        """How a team remembers someone from now on: first name and when."""
        return Person(name, self.clock.now().isoformat())

    async def wake(self, team_id: int, at: datetime | None = None) -> None:
        """Look at the team at `at` (default: on the next tick)."""
        await self.store.teams.wake(team_id, at or self.clock.now())

    async def get(self, team_id: int) -> Team | None:
        """The team of a chat (None for none, or the old group of a supergroup)."""
        doc = await self.store.teams.get(team_id)
        return Team.from_doc(doc) if is_team(doc) else None

    async def active(self, chat_id: int) -> Team | None:
        """The chat's team while it is active."""
        team = await self.get(chat_id)
        return team if team and team.active else None

    async def following_moves(self, team_id: int) -> Team | None:
        """The team, followed to its supergroup if the group was upgraded (old join links)."""
        doc = await self.store.teams.get(team_id)
        if doc and "moved_to" in doc:
            return await self.get(int(doc["moved_to"]))
        return Team.from_doc(doc) if is_team(doc) else None

    async def change(self, team_id: int, fn: Callable[[Team], T]) -> T | None:
        """Apply `fn` to the stored team in one write; None if there is no such team."""

        def apply(doc: dict[str, Any]) -> T | None:
            if not is_team(doc):
                return None
            team = Team.from_doc(doc)
            result = fn(team)
            doc.update(team.to_doc())
            return result

        return await self.store.teams.update(team_id, apply)

    async def set_up(
        self,
        chat_id: int,
        title: str,
        *,
        tz: str | None = None,
        new_link: bool = False,
        coach: tuple[int, Person] | None = None,
    ) -> Team:
        """Create the chat's team (or update its title, zone or join link) and look at it."""
        now = self.clock.now().isoformat()

        def apply(doc: dict[str, Any]) -> Team:
            new = not is_team(doc)
            team = (
                Team(chat_id, title, self.default_tz, new_code(), now, now)
                if new
                else Team.from_doc(doc)
            )
            team.title, team.active = title, True
            team.tz = tz or team.tz
            team.code = new_code() if new_link and not new else team.code
            if coach:
                team.coaches.setdefault(str(coach[0]), coach[1])
            if new:
                doc.clear()
            doc.update(team.to_doc())
            return team

        team = await self.store.teams.update(chat_id, apply)
        await self.wake(chat_id)
        return team

    async def add_coach(self, team_id: int, uid: int, coach: Person) -> None:
        """Sign a group admin up for private rosters and alerts."""
        await self.change(team_id, lambda team: team.coaches.setdefault(str(uid), coach))

    async def drop_coach(self, team_id: int, uid: int) -> None:
        """Someone who is no longer an admin stops being a coach."""
        await self.change(team_id, lambda team: team.coaches.pop(str(uid), None))

    async def note_invited(self, team: Team, uid: int, person: Person) -> None:
        """Remember someone who asked to join in the group (for the coaches' roster)."""
        if str(uid) not in team.members:
            await self.change(team.id, lambda t: t.invited.setdefault(str(uid), person))

    async def schedule(self, team_id: int, session: dict[str, Any]) -> str | None:
        """Add a session (None) or say why it is refused (a one-off that has already ended)."""
        now = self.clock.now()

        def add(team: Team) -> str | None:
            if next_end(session, zone(team.tz), now) is None:
                return "That session has already ended: schedule one that ends later."
            return add_session(team.sessions, session)

        refused = await self.change(team_id, add)
        if not refused:
            await self.wake(team_id)
        return refused

    async def clear_sessions(self, team_id: int) -> None:
        """Remove every scheduled session."""
        await self.change(team_id, lambda team: team.sessions.clear())

    async def link_channel(self, team_id: int, channel: dict[str, Any] | None) -> None:
        """Link the channel that gets post-session notes (None unlinks it)."""

        def link(team: Team) -> None:
            team.channel = channel

        await self.change(team_id, link)

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """The bot was removed from (paused) or re-added to (resumed) the chat; False when the
        chat has no team of its own (none yet, or a supergroup's old group)."""

        def apply(team: Team) -> bool:
            team.active = active
            return True

        if not await self.change(chat_id, apply):
            return False
        log.info("team %s %s", chat_id, "resumed" if active else "paused: bot removed")
        if active:
            await self.wake(chat_id)
        return True

    async def follow_migration(self, old_id: int, new_id: int) -> bool:
        """The group became a supergroup with a new chat id: move the team (and each member's
        link to it) there and look at it at once; False if it had moved already."""
        doc = await self.store.teams.move(old_id, new_id)
        if doc is None:
            return False
        for uid in Team.from_doc(doc).member_ids:
            profile = await load_profile(self.store, uid)
            links = dict(profile.teams) if profile else {}
            if str(old_id) in links:  # never brings an erased athlete back (create=False)
                links[str(new_id)] = links.pop(str(old_id))
                await self.store.update_profile(uid, {"teams": links}, create=False)
        log.info("team %s moved to %s (the group became a supergroup)", old_id, new_id)
        await self.wake(new_id)
        return True

    async def red_flag(self, uid: int, checkin_id: str) -> None:
        """Queue a private alert to every coach of every team the athlete shares with."""
        profile = await load_profile(self.store, uid)
        now = self.clock.now().isoformat()
        for team_id in profile.team_ids if profile else []:

            def add(team: Team) -> bool:
                if str(uid) not in team.members:
                    return False
                for coach in team.coaches:
                    item_id = f"a-{checkin_id}-{coach}"
                    alert = OutboxItem(
                        item_id,
                        OutboxKind.ALERT,
                        now,
                        uid=uid,
                        coach=int(coach),
                        checkin_id=checkin_id,
                    )
                    team.outbox.setdefault(item_id, alert)
                return True

            if await self.change(team_id, add):
                await self.wake(team_id)
