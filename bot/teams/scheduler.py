"""Team sessions on a schedule: at each session end, private check-in prompts for every member
(as reminder records in their own files), then a channel note and a group summary from the
team's outbox. Records first; one repeating tick; restarts resume from the files."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.athletes.parsing import zone
from bot.athletes.profiles import consented
from bot.athletes.recording import checkin_history
from bot.athletes.reminders import run_tick, send_once, start_claimed
from bot.shell.clock import Clock
from bot.storage import StorageWriteError, Store, Team
from bot.teams.timetable import Occurrence, next_end, occurrences
from rules.article import SENTENCES
from rules.model import CheckIn
from rules.team import TeamSummary, session_checkin, summarise

log = logging.getLogger(__name__)

JOB_NAME = "team-tick"
REPROMPT_AFTER = timedelta(hours=2)
PROMPT_USEFUL = timedelta(hours=6)
SUMMARY_AFTER = timedelta(hours=3)
CATCH_UP = timedelta(hours=6)  # sessions that ended longer ago while the bot was down: skipped
OUTBOX_KEEP = timedelta(days=7)
RETRY_STORAGE = timedelta(seconds=30)
RETRY_FAULT = timedelta(minutes=5)
ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

PROMPT = "🏁 {title}: done training? Check in (30 seconds) and I'll plan your recovery."
REPROMPT = (
    "A gentle nudge from {title}: if you trained, a 30-second check-in still helps your "
    "recovery plan. I won't ask again for this session."
)
CHANNEL_NOTE = (
    "🏁 {title}: session done. Recovery starts now.\n\n"
    f"“{SENTENCES['nutrition']}”\n\n“{SENTENCES['sleep']}”\n\n"
    "Check in privately for your own recovery plan 👇"
)
ALERT = (
    "🚩 Red flag for {name} ({title}): heavy legs persisting beyond 48 hours with {signs}.\n\n"
    f"From the article: “{SENTENCES['persistent']}”\n\n"
    "They got the same caution from me. This is general guidance, not a diagnosis: consider "
    "easing their load and suggesting a check with a sports-medicine professional."
)


def new_code() -> str:
    """An unguessable join secret (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def join_payload(team: Team) -> str:
    """The /start payload of a team's join link (≤ 64 chars of [A-Za-z0-9_-])."""
    return f"{-int(team['id'])}-{team['code']}"


def deep_link(bot: Bot, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>."""
    return f"https://t.me/{bot.username}?start={payload}"


def bot_link_markup(bot: Bot, label: str, payload: str) -> InlineKeyboardMarkup:
    """One URL button opening a private chat with the bot."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=deep_link(bot, payload))]])


async def is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the user is an administrator (or owner) of the chat right now."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in ADMINS


def members(team: Team) -> list[int]:
    """The athlete ids of a team's members (all of whom consented to share)."""
    return [int(uid) for uid in team.get("members", {})]


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
        if not consented(await store.profile(uid)):
            continue
        found = session_checkin(await checkin_history(store, uid), start, until)
        if found is not None:
            checkins.append(found)
    return summarise(len(joined), checkins)


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


def _reminder_id(team_id: int, occurrence: Occurrence, uid: int, kind: str) -> str:
    """A deterministic id, so re-running a fan-out after a crash never duplicates a prompt."""
    digest = hashlib.sha256(f"{team_id}|{occurrence.key}|{uid}|{kind}".encode())
    return digest.hexdigest()[:12]


def prompt_records(team: Team, occurrence: Occurrence, uid: int) -> list[dict[str, Any]]:
    """The check-in prompt at the session end and the one gentle re-prompt after it."""
    base = {
        "user_id": uid,
        "checkin_id": "",
        "status": "pending",
        "team_id": team["id"],
        "session_end": occurrence.end.isoformat(),
        "duration": occurrence.minutes,
        "unless_checkin_since": occurrence.start.isoformat(),
        "expires_at": (occurrence.end + PROMPT_USEFUL).isoformat(),
    }
    return [
        base
        | {
            "id": _reminder_id(team["id"], occurrence, uid, kind),
            "kind": kind,
            "due_at": (occurrence.end + delay).isoformat(),
            "text": text.format(title=team["title"]),
        }
        for kind, delay, text in (
            ("team_prompt", timedelta(0), PROMPT),
            ("team_reprompt", REPROMPT_AFTER, REPROMPT),
        )
    ]


def outbox_items(team: Team, occurrence: Occurrence) -> list[dict[str, Any]]:
    """What the team's chats get after a session: a channel note, later the group summary."""
    session = {
        "session_start": occurrence.start.isoformat(),
        "session_end": occurrence.end.isoformat(),
        "status": "pending",
    }
    items = [
        session
        | {
            "id": f"s-{occurrence.key}",
            "kind": "summary",
            "due_at": (occurrence.end + SUMMARY_AFTER).isoformat(),
        }
    ]
    if team.get("channel"):
        items.append(
            session
            | {
                "id": f"c-{occurrence.key}",
                "kind": "channel",
                "due_at": occurrence.end.isoformat(),
                "chat_id": team["channel"]["id"],
            }
        )
    return items


class TeamScheduler:
    """Runs each team's session ends and outbox when the store says the team is due."""

    def __init__(self, store: Store, clock: Clock, default_tz: str) -> None:
        """Look after the teams of `store`."""
        self.store = store
        self.clock = clock
        self.default_tz = default_tz
        self._in_flight: set[int] = set()

    async def wake(self, team_id: int, at: datetime | None = None) -> None:
        """Look at the team at `at` (default: on the next tick)."""
        await self.store.teams.wake(team_id, at or self.clock.now())

    def start(self, application: Application, interval: float) -> None:
        """Run the tick every `interval` seconds (late ticks still run, as for reminders)."""
        run_tick(application, self.tick, interval, JOB_NAME)

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Claim every team that is due and hand it to its own task (not while shutting down)."""
        if not context.application.running:
            return
        now = self.clock.now()
        claims = await self.store.teams.claim_due(now)
        if not context.application.running:  # shutdown began meanwhile: hand them back
            for team_id, token in claims:
                await self.store.teams.done(team_id, token, now)
            return
        start_claimed(
            context.application,
            self._in_flight,
            ((tid, partial(self._run, context.bot, tid, token)) for tid, token in claims),
            "team",
        )

    async def _run(self, bot: Bot, team_id: int, token: int) -> None:
        """Process one team, then release it until its next look (a failure is retried)."""
        try:
            next_at = await self.process(bot, team_id)
        except StorageWriteError as exc:
            log.error("team %s: could not record progress: %s", team_id, exc)
            next_at = self.clock.now() + RETRY_STORAGE
        except Exception:  # one team's fault must never stop its own or another's schedule
            log.exception("team %s: processing failed; looking again later", team_id)
            next_at = self.clock.now() + RETRY_FAULT
        finally:
            self._in_flight.discard(team_id)
        try:
            await self.store.teams.done(team_id, token, next_at)
        except StorageWriteError as exc:  # its claim runs out and another look follows
            log.error("team %s: could not book the next look: %s", team_id, exc)

    async def process(self, bot: Bot, team_id: int) -> datetime | None:
        """Fan out prompts for sessions that ended, send due outbox items; when to look next."""
        now = self.clock.now()
        team = await self.store.teams.get(team_id)
        if not team or not team.get("active"):
            return None
        tz = zone(team.get("tz") or self.default_tz)
        after = max(datetime.fromisoformat(team["processed_until"]), now - CATCH_UP)
        ended = sorted(
            (o for s in team["sessions"].values() for o in occurrences(s, tz, after, now)),
            key=lambda o: o.end,
        )
        for occurrence in ended:
            await self._fan_out(team, occurrence)
        items = [item for o in ended for item in outbox_items(team, o)]
        team = await self.store.teams.update(team_id, _mark_processed(now, items))
        for item in [i for i in team.get("outbox", {}).values() if i["status"] == "pending"]:
            if datetime.fromisoformat(item["due_at"]) <= now:
                await self._send_item(bot, team, item)
        return await self._next_look(team_id, now)

    async def _fan_out(self, team: Team, occurrence: Occurrence) -> None:
        """Store each active, consenting member's prompts (idempotent) for the dispatcher."""
        for uid in members(team):
            profile = await self.store.profile(uid)
            if not consented(profile) or profile.get("active") is False:
                continue
            await self.store.add_reminders(uid, prompt_records(team, occurrence, uid), create=False)
        log.info("team %s: session %s ended; prompts queued", team["id"], occurrence.key)

    async def _send_item(self, bot: Bot, team: Team, item: dict[str, Any]) -> None:
        """Send one outbox item and record the outcome."""
        now = self.clock.now()
        message = await self._compose(bot, team, item)
        if message is None:
            if item["kind"] == "alert":  # withheld: nothing about the athlete is kept
                await self.store.teams.update(team["id"], _forget_item(item["id"]))
            else:
                await self._settle(team["id"], item["id"], {"status": "dropped"})
            return
        chat_id, text, markup = message
        if item["kind"] == "summary" and "text" not in item:  # fixed before it is ever sent
            await self._settle(team["id"], item["id"], {"text": text})
        outcome = await send_once(bot, chat_id, text, markup, now)
        if outcome.migrate_to is not None and chat_id == team["id"]:
            await self.follow_migration(team["id"], outcome.migrate_to)  # resent from there
            return
        if outcome.status == "retry" and outcome.retry_at is not None:
            await self._settle(team["id"], item["id"], {"due_at": outcome.retry_at.isoformat()})
        else:
            status = "sent" if outcome.status == "sent" else "dropped"
            changes = {"status": status, "at": now.isoformat()}
            if item["kind"] == "summary":  # published once: /report shows this same text
                changes["text"] = text
            await self._settle(team["id"], item["id"], changes)
        if outcome.status == "blocked" and item["kind"] == "channel":
            log.info("team %s: I can't post in its channel any more; unlinking it", team["id"])
            await self.store.teams.update(team["id"], lambda doc: doc.update(channel=None))

    async def _compose(
        self, bot: Bot, team: Team, item: dict[str, Any]
    ) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
        """(chat, text, buttons) for an outbox item, or None when it must not be sent any more."""
        if item["kind"] == "summary" and item.get("text"):  # a retry sends the same text
            return (
                team["id"],
                item["text"],
                bot_link_markup(bot, "Join / check in", join_payload(team)),
            )
        if item["kind"] == "summary":
            start = datetime.fromisoformat(item["session_start"])
            summary = await session_summary(self.store, team, start)
            when = start.astimezone(zone(team.get("tz") or self.default_tz))
            text = summary.render(team["title"], when.strftime("%a %d %b %H:%M"))
            return team["id"], text, bot_link_markup(bot, "Join / check in", join_payload(team))
        if item["kind"] == "channel":
            text = CHANNEL_NOTE.format(title=team["title"])
            return item["chat_id"], text, bot_link_markup(bot, "✅ Check in privately", "checkin")
        return await self._compose_alert(bot, team, item)

    async def _summary_text(self, team: Team, item: dict[str, Any]) -> str:
        """The group summary of the item's session, computed from the store."""
        start = datetime.fromisoformat(item["session_start"])
        summary = await session_summary(self.store, team, start)
        when = start.astimezone(zone(team.get("tz") or self.default_tz))
        return summary.render(team["title"], when.strftime("%a %d %b %H:%M"))

    async def _compose_alert(
        self, bot: Bot, team: Team, item: dict[str, Any]
    ) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
        """A red-flag alert, only while the athlete still shares and the coach is still admin."""
        uid, coach = item["uid"], item["coach"]
        if str(uid) not in team["members"] or str(coach) not in team.get("coaches", {}):
            return None
        if not consented(await self.store.profile(uid)):
            log.info("team %s: athlete withdrew consent; alert %s not sent", team["id"], item["id"])
            return None
        if not await is_admin(bot, team["id"], coach):
            log.info("team %s: coach %s is no longer an admin; no alert", team["id"], coach)
            return None
        record = await self.store.checkin(uid, item["checkin_id"])
        if record is None:
            return None
        checkin = CheckIn.from_record(record)
        signs = " and ".join(
            sign
            for sign, present in (
                ("joint pain", checkin.joint_pain),
                ("sharp muscle twitching", checkin.muscle_twitching),
            )
            if present
        )
        name = team["members"][str(uid)].get("name", "an athlete")
        return coach, ALERT.format(name=name, title=team["title"], signs=signs), None

    async def _settle(self, team_id: int, item_id: str, changes: dict[str, Any]) -> None:
        """Merge `changes` into one outbox item."""

        def apply(team: Team) -> None:
            if item_id in team.get("outbox", {}):
                team["outbox"][item_id].update(changes)

        await self.store.teams.update(team_id, apply)

    async def _next_look(self, team_id: int, now: datetime) -> datetime | None:
        """The team's next look: its next session end or pending outbox item."""
        team = await self.store.teams.get(team_id) or {}
        tz = zone(team.get("tz") or self.default_tz)
        times = [next_end(s, tz, now) for s in team.get("sessions", {}).values()]
        times += [
            datetime.fromisoformat(i["due_at"])
            for i in team.get("outbox", {}).values()
            if i["status"] == "pending"
        ]
        return min((t for t in times if t is not None), default=None)

    async def follow_migration(self, old_id: int, new_id: int) -> bool:
        """The group became a supergroup with a new chat id: move the team (and each member's
        link to it) there and look at it at once; False if it had moved already."""
        team = await self.store.teams.move(old_id, new_id)
        if team is None:
            return False
        for uid in members(team):
            profile = await self.store.profile(uid) or {}
            links = dict(profile.get("teams", {}))
            if str(old_id) in links:
                links[str(new_id)] = links.pop(str(old_id))
                await self.store.update_profile(uid, {"teams": links}, create=False)
        log.info("team %s moved to %s (the group became a supergroup)", old_id, new_id)
        await self.wake(new_id)
        return True

    async def red_flag(self, uid: int, checkin_id: str) -> None:
        """Queue a private alert to every coach of every team the athlete shares with."""
        profile = await self.store.profile(uid) or {}
        now = self.clock.now().isoformat()
        for team_id in map(int, profile.get("teams", {})):

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
                            "status": "pending",
                        },
                    )
                return True

            if await self.store.teams.update(team_id, add):
                await self.wake(team_id)


def _forget_item(item_id: str) -> Callable[[Team], None]:
    """A team update deleting one outbox item."""
    return lambda team: team.get("outbox", {}).pop(item_id, None)


def _mark_processed(now: datetime, items: list[dict[str, Any]]) -> Callable[[Team], Team]:
    """A team update: sessions processed up to `now`, new outbox items added, old ones pruned."""

    def apply(team: Team) -> Team:
        if "moved_to" in team:  # it became a supergroup meanwhile: the new id carries on
            return team
        team["processed_until"] = now.isoformat()
        outbox = team.setdefault("outbox", {})
        for item in items:
            outbox.setdefault(item["id"], item)
        for key in [
            k
            for k, v in outbox.items()
            if v["status"] != "pending" and datetime.fromisoformat(v["due_at"]) < now - OUTBOX_KEEP
        ]:
            del outbox[key]
        return team

    return apply
