"""Team sessions on a schedule: at each session end, private check-in prompts for every member
(as reminder records in their own files), then a channel note and a group summary from the
team's outbox. Records first; one repeating tick; restarts resume from the files."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.ext import Application

from bot.athletes.parsing import zone
from bot.athletes.profiles import consented, load_profile
from bot.shell.claimloop import ClaimLoop
from bot.shell.sending import Outcome, send_once
from bot.storage import StorageWriteError
from bot.teams.messages import (
    ALERT,
    CHANNEL_NOTE,
    PROMPT,
    REPROMPT,
    bot_link_markup,
    is_admin,
    join_markup,
)
from bot.teams.records import OutboxItem, OutboxKind, Team
from bot.teams.service import SUMMARY_AFTER, TeamService, session_summary
from bot.teams.timetable import Occurrence, next_end, occurrences
from rules.model import CheckIn
from rules.reminders import Reminder, ReminderKind, ReminderStatus

log = logging.getLogger(__name__)

Claimed = tuple[int, int]  # (team id, claim token)

JOB_NAME = "team-tick"
REPROMPT_AFTER = timedelta(hours=2)
PROMPT_USEFUL = timedelta(hours=6)
CATCH_UP = timedelta(hours=6)  # sessions that ended longer ago while the bot was down: skipped
OUTBOX_KEEP = timedelta(days=7)
RETRY_STORAGE = timedelta(seconds=30)
RETRY_FAULT = timedelta(minutes=5)


def _reminder_id(team_id: int, occurrence: Occurrence, uid: int, kind: str) -> str:
    """A deterministic id, so re-running a fan-out after a crash never duplicates a prompt."""
    digest = hashlib.sha256(f"{team_id}|{occurrence.key}|{uid}|{kind}".encode())
    return digest.hexdigest()[:12]


def prompt_records(team: Team, occurrence: Occurrence, uid: int) -> list[dict[str, Any]]:
    """The check-in prompt at the session end and the one gentle re-prompt after it."""
    session = {
        "team_id": team.id,
        "session_end": occurrence.end.isoformat(),
        "duration": occurrence.minutes,
        "unless_checkin_since": occurrence.start.isoformat(),
    }
    return [
        Reminder(
            _reminder_id(team.id, occurrence, uid, kind),
            uid,
            kind,
            occurrence.end + delay,
            occurrence.end + PROMPT_USEFUL,
            text.format(title=team.title),
            checkin_id="",
            extra=session,
        ).to_doc()
        for kind, delay, text in (
            (ReminderKind.TEAM_PROMPT, timedelta(0), PROMPT),
            (ReminderKind.TEAM_REPROMPT, REPROMPT_AFTER, REPROMPT),
        )
    ]


def outbox_items(team: Team, occurrence: Occurrence) -> list[OutboxItem]:
    """What the team's chats get after a session: a channel note, later the group summary."""
    session = {
        "session_start": occurrence.start.isoformat(),
        "session_end": occurrence.end.isoformat(),
    }
    due = (occurrence.end + SUMMARY_AFTER).isoformat()
    items = [OutboxItem(f"s-{occurrence.key}", OutboxKind.SUMMARY, due, **session)]
    if team.channel:
        note = OutboxItem(
            f"c-{occurrence.key}",
            OutboxKind.CHANNEL,
            occurrence.end.isoformat(),
            chat_id=team.channel["id"],
            **session,
        )
        items.append(note)
    return items


class TeamScheduler:
    """Runs each team's session ends and outbox when the store says the team is due."""

    def __init__(self, service: TeamService) -> None:
        """Run the teams the service looks after."""
        self.service = service
        self.store = service.store
        self.clock = service.clock
        self.default_tz = service.default_tz
        self.loop: ClaimLoop[Claimed] = ClaimLoop(
            JOB_NAME,
            service.clock,
            claim=lambda now, _room: self.store.teams.claim_due(now),
            key=lambda claim: claim[0],
            work=self._run,
            release=lambda claim, at: self.store.teams.done(*claim, at),
        )

    def start(self, application: Application, interval: float) -> None:
        """Run the tick every `interval` seconds (late ticks still run, as for reminders)."""
        self.loop.start(application, interval)

    async def _run(self, bot: Bot, claim: Claimed) -> None:
        """Process one team, then release it until its next look (a failure is retried)."""
        team_id, token = claim
        try:
            next_at = await self.process(bot, team_id)
        except StorageWriteError as exc:
            log.error("team %s: could not record progress: %s", team_id, exc)
            next_at = self.clock.now() + RETRY_STORAGE
        except Exception:  # one team's fault must never stop its own or another's schedule
            log.exception("team %s: processing failed; looking again later", team_id)
            next_at = self.clock.now() + RETRY_FAULT
        try:
            await self.store.teams.done(team_id, token, next_at)
        except StorageWriteError as exc:  # its claim runs out and another look follows
            log.error("team %s: could not book the next look: %s", team_id, exc)

    async def process(self, bot: Bot, team_id: int) -> datetime | None:
        """Fan out prompts for sessions that ended, send due outbox items; when to look next."""
        now = self.clock.now()
        team = await self.service.active(team_id)
        if team is None:
            return None
        tz = zone(team.tz)
        after = max(datetime.fromisoformat(team.processed_until), now - CATCH_UP)
        ended = sorted(
            (o for s in team.sessions.values() for o in occurrences(s, tz, after, now)),
            key=lambda o: o.end,
        )
        for occurrence in ended:
            await self._fan_out(team, occurrence)
        items = [item for o in ended for item in outbox_items(team, o)]
        team = await self.service.change(team_id, _mark_processed(now, items))
        if team is None:  # it became a supergroup meanwhile: the new id carries on
            return None
        for item in list(team.outbox.values()):
            if item.status == ReminderStatus.PENDING and item.due <= now:
                await self._send_item(bot, team, item)
        return await self._next_look(team_id, now)

    async def _fan_out(self, team: Team, occurrence: Occurrence) -> None:
        """Store each active, consenting member's prompts (idempotent) for the dispatcher."""
        for uid in team.member_ids:
            profile = await load_profile(self.store, uid)
            if not consented(profile) or not profile.active:
                continue
            await self.store.add_reminders(uid, prompt_records(team, occurrence, uid), create=False)
        log.info("team %s: session %s ended; prompts queued", team.id, occurrence.key)

    async def _send_item(self, bot: Bot, team: Team, item: OutboxItem) -> None:
        """Send one outbox item and record the outcome."""
        now = self.clock.now()
        message = await self._compose(bot, team, item)
        if message is None:
            if item.kind is OutboxKind.ALERT:  # withheld: nothing about the athlete is kept
                await self.service.change(team.id, lambda t: t.outbox.pop(item.id, None))
            else:
                await self._settle(team.id, item.id, status=ReminderStatus.DROPPED)
            return
        chat_id, text, markup = message
        if item.kind is OutboxKind.SUMMARY and item.text is None:  # fixed before it is sent
            await self._settle(team.id, item.id, text=text)
        outcome = await send_once(bot, chat_id, text, markup, now)
        if outcome.migrate_to is not None and chat_id == team.id:
            await self.service.follow_migration(team.id, outcome.migrate_to)  # resent from there
            return
        if outcome.outcome is Outcome.RETRY and outcome.retry_at is not None:
            await self._settle(team.id, item.id, due_at=outcome.retry_at.isoformat())
        else:
            sent = outcome.outcome is Outcome.SENT
            status = ReminderStatus.SENT if sent else ReminderStatus.DROPPED
            await self._settle(team.id, item.id, status=status, at=now.isoformat())
        if outcome.outcome is Outcome.BLOCKED and item.kind is OutboxKind.CHANNEL:
            log.info("team %s: I can't post in its channel any more; unlinking it", team.id)
            await self.service.link_channel(team.id, None)

    async def _compose(
        self, bot: Bot, team: Team, item: OutboxItem
    ) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
        """(chat, text, buttons) for an outbox item, or None when it must not be sent any more."""
        if item.kind is OutboxKind.SUMMARY:  # a retry sends the text fixed before the first send
            text = item.text or await self._summary_text(team, item)
            return team.id, text, join_markup(bot, team, "Join / check in")
        if item.kind is OutboxKind.CHANNEL and item.chat_id is not None:
            text = CHANNEL_NOTE.format(title=team.title)
            return item.chat_id, text, bot_link_markup(bot, "✅ Check in privately", "checkin")
        return await self._compose_alert(bot, team, item)

    async def _summary_text(self, team: Team, item: OutboxItem) -> str:
        """The group summary of the item's session, computed from the store."""
        start = datetime.fromisoformat(item.session_start or item.due_at)
        summary = await session_summary(self.store, team, start)
        when = start.astimezone(zone(team.tz))
        return summary.render(team.title, when.strftime("%a %d %b %H:%M"))

    async def _compose_alert(
        self, bot: Bot, team: Team, item: OutboxItem
    ) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
        """A red-flag alert, only while the athlete still shares and the coach is still admin."""
        uid, coach = item.uid, item.coach
        if uid is None or coach is None or item.checkin_id is None:
            return None
        if str(uid) not in team.members or str(coach) not in team.coaches:
            return None
        if not consented(await load_profile(self.store, uid)):
            log.info("team %s: athlete withdrew consent; alert %s not sent", team.id, item.id)
            return None
        if not await is_admin(bot, team.id, coach):
            log.info("team %s: coach %s is no longer an admin; no alert", team.id, coach)
            return None
        record = await self.store.checkin(uid, item.checkin_id)
        if record is None:
            return None
        checkin = CheckIn.from_record(record)
        name = team.members[str(uid)].name or "an athlete"
        return coach, ALERT.format(name=name, title=team.title, signs=checkin.signs), None

    async def _settle(self, team_id: int, item_id: str, **changes: str) -> None:
        """Change fields of one outbox item (status, text, due_at, at)."""

        def apply(team: Team) -> None:
            item = team.outbox.get(item_id)
            for name, value in changes.items():
                if item is not None:
                    setattr(item, name, ReminderStatus(value) if name == "status" else value)

        await self.service.change(team_id, apply)

    async def _next_look(self, team_id: int, now: datetime) -> datetime | None:
        """The team's next look: its next session end or pending outbox item."""
        team = await self.service.get(team_id)
        if team is None:
            return None
        tz = zone(team.tz)
        times = [next_end(s, tz, now) for s in team.sessions.values()]
        times += [i.due for i in team.outbox.values() if i.status == ReminderStatus.PENDING]
        return min((t for t in times if t is not None), default=None)


def _mark_processed(now: datetime, items: list[OutboxItem]) -> Callable[[Team], Team]:
    """A team update: sessions processed up to `now`, new outbox items added, old ones pruned."""

    def apply(team: Team) -> Team:
        team.processed_until = now.isoformat()
        for item in items:
            team.outbox.setdefault(item.id, item)
        stale = now - OUTBOX_KEEP
        for key in [
            k
            for k, v in team.outbox.items()
            if v.status != ReminderStatus.PENDING and v.due < stale
        ]:
            del team.outbox[key]
        return team

    return apply
