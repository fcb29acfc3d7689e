"""The team service the handlers call: set-up, coaches, sessions, channel, pause and resume,
supergroup moves, red flags, and the session summaries. Team documents change only here."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.athletes.profiles import consented, load_profile
from bot.athletes.recording import checkin_history
from bot.shell.clock import Clock
from bot.storage import Store, Team
from bot.teams.messages import new_code
from bot.teams.timetable import add_session
from rules.model import CheckIn
from rules.reminders import ReminderStatus
from rules.team import TeamSummary, session_checkin, summarise

log = logging.getLogger(__name__)

SUMMARY_AFTER = timedelta(hours=3)
Person = tuple[int, dict[str, Any]]  # a user id and how the team remembers them


def members(team: Team) -> list[int]:
    """The athlete ids of a team's members (all of whom consented to share)."""
    return [int(uid) for uid in team.get("members", {})]


def summary_due(start: datetime, team: Team) -> datetime:
    """When a session's summary is published (the end of its check-in window)."""
    for item in team.get("outbox", {}).values():
        if item["kind"] == "summary" and item["session_start"] == start.isoformat():
            return datetime.fromisoformat(item["session_end"]) + SUMMARY_AFTER
    return start + SUMMARY_AFTER


def published_summary(team: Team) -> dict[str, Any] | None:
    """The latest summary item of the team (published or due), or None."""
    summaries = [i for i in team.get("outbox", {}).values() if i["kind"] == "summary"]
    return max(summaries, key=lambda i: i["session_start"], default=None)


async def session_summary(store: Store, team: Team, start: datetime) -> TeamSummary:
    """The fixed aggregate of one session: members who had joined before it began and still
    consent, one check-in each, answered by the time the summary is published."""
    until = summary_due(start, team)
    checkins: list[CheckIn] = []
    joined = [
        int(uid)
        for uid, member in team.get("members", {}).items()
        if datetime.fromisoformat(member.get("joined_at") or until.isoformat()) <= start
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

    def person(self, uid: int, name: str | None, key: str = "added_at") -> Person:
        """How a team remembers someone: first name and when."""
        return uid, {"name": name, key: self.clock.now().isoformat()}

    async def wake(self, team_id: int, at: datetime | None = None) -> None:
        """Look at the team at `at` (default: on the next tick)."""
        await self.store.teams.wake(team_id, at or self.clock.now())

    async def active(self, chat_id: int) -> Team | None:
        """The chat's team while it is active."""
        team = await self.store.teams.get(chat_id)
        return team if team and team.get("active") else None

    async def set_up(
        self,
        chat_id: int,
        title: str,
        *,
        tz: str | None = None,
        new_link: bool = False,
        coach: Person | None = None,
    ) -> Team:
        """Create the chat's team (or update its title, zone or join link) and look at it."""
        now = self.clock.now().isoformat()
        changes: dict[str, Any] = {"title": title, "active": True}
        if tz:
            changes["tz"] = tz
        if new_link:
            changes["code"] = new_code()

        def apply(doc: Team) -> Team:
            if not doc:
                doc.update(
                    id=chat_id,
                    created_at=now,
                    tz=self.default_tz,
                    code=new_code(),
                    processed_until=now,
                    members={},
                    invited={},
                    coaches={},
                    sessions={},
                    outbox={},
                    channel=None,
                )
            doc.update(changes)
            if coach:
                doc["coaches"].setdefault(str(coach[0]), coach[1])
            return doc

        team = await self.store.teams.update(chat_id, apply)
        await self.wake(chat_id)
        return team

    async def add_coach(self, team_id: int, coach: Person) -> None:
        """Sign a group admin up for private rosters and alerts."""
        uid, entry = coach
        await self.store.teams.update(
            team_id, lambda doc: doc["coaches"].setdefault(str(uid), entry)
        )

    async def drop_coach(self, team_id: int, uid: int) -> None:
        """Someone who is no longer an admin stops being a coach."""
        await self.store.teams.update(team_id, lambda doc: doc["coaches"].pop(str(uid), None))

    async def note_invited(self, team: Team, person: Person) -> None:
        """Remember someone who asked to join in the group (for the coaches' roster)."""
        uid, entry = person
        if str(uid) not in team["members"]:
            await self.store.teams.update(
                team["id"], lambda doc: doc["invited"].setdefault(str(uid), entry)
            )

    async def schedule(self, team_id: int, session: dict[str, Any]) -> str | None:
        """Add a session (None) or say why it is refused."""
        refused = await self.store.teams.update(
            team_id, lambda doc: add_session(doc["sessions"], session)
        )
        if not refused:
            await self.wake(team_id)
        return refused

    async def clear_sessions(self, team_id: int) -> None:
        """Remove every scheduled session."""
        await self.store.teams.update(team_id, lambda doc: doc["sessions"].clear())

    async def link_channel(self, team_id: int, channel: dict[str, Any] | None) -> None:
        """Link the channel that gets post-session notes (None unlinks it)."""
        await self.store.teams.update(team_id, lambda doc: doc.update(channel=channel))

    async def set_active(self, chat_id: int, active: bool) -> Team | None:
        """The bot was removed from (paused) or re-added to (resumed) the chat; its team."""
        team = await self.store.teams.get(chat_id)
        if team is None or "moved_to" in team:  # a supergroup's old group: it lives on there
            return team
        await self.store.teams.update(chat_id, lambda doc: doc.update(active=active))
        log.info("team %s %s", chat_id, "resumed" if active else "paused: bot removed")
        if active:
            await self.wake(chat_id)
        return team

    async def follow_migration(self, old_id: int, new_id: int) -> bool:
        """The group became a supergroup with a new chat id: move the team (and each member's
        link to it) there and look at it at once; False if it had moved already."""
        team = await self.store.teams.move(old_id, new_id)
        if team is None:
            return False
        for uid in members(team):
            profile = await load_profile(self.store, uid)
            links = dict(profile.teams) if profile else {}
            if str(old_id) in links:
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
                if str(uid) not in team.get("members", {}):
                    return False
                for coach in team.get("coaches", {}):
                    item_id = f"a-{checkin_id}-{coach}"
                    team["outbox"].setdefault(
                        item_id,
                        {
                            "id": item_id,
                            "kind": "alert",
                            "uid": uid,
                            "coach": int(coach),
                            "checkin_id": checkin_id,
                            "due_at": now,
                            "status": ReminderStatus.PENDING,
                        },
                    )
                return True

            if await self.store.teams.update(team_id, add):
                await self.wake(team_id)
