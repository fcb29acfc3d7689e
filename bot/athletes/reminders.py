"""Reminders: records in the store are the truth; one short repeating job sends what falls due."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes

from bot.athletes.parsing import zone
from bot.athletes.profiles import consented
from bot.shell import callbacks
from bot.shell.clock import Clock
from bot.storage import StorageWriteError, Store
from rules.model import CheckIn
from rules.preferences import READINESS_KIND, plan_readiness
from rules.reminders import ReminderPlan, reminder_still_useful
from rules.team import session_checkin

log = logging.getLogger(__name__)

JOB_NAME = "reminder-tick"
# A tick that runs late (busy loop, suspended laptop) is still run: lateness is judged per
# reminder against its own expiry, so APScheduler must not silently drop ticks (default 1 s).
TICK_MISFIRE_GRACE_S = 3600
RETRY_NETWORK = timedelta(seconds=10)
SNOOZE_FOR = timedelta(minutes=15)
SNOOZE_LABEL = "⏰ In 15 min"
MAX_PARALLEL_SENDS = 64
NUTRITION_KINDS = ("nutrition_open", "nutrition_last_call")
TEAM_PROMPT_KINDS = ("team_prompt", "team_reprompt")


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one send: "sent", "retry" (at `retry_at`), "blocked" (403), "rejected",
    or "migrated" (the group became the supergroup `migrate_to`)."""

    status: str
    retry_at: datetime | None = None
    migrate_to: int | None = None


async def send_once(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, now: datetime
) -> Delivery:
    """Send one message, classifying Telegram's answer (429 retry_after, 5xx/timeouts, 403)."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except RetryAfter as exc:
        return Delivery("retry", now + _seconds(exc.retry_after))
    except ChatMigrated as exc:
        return Delivery("migrated", migrate_to=exc.new_chat_id)
    except Forbidden:
        return Delivery("blocked")
    except BadRequest as exc:
        log.warning("message to chat %s rejected by Telegram: %s", chat_id, exc.message)
        return Delivery("rejected")
    except (NetworkError, TelegramError) as exc:
        log.warning("sending to chat %s failed (%s), will retry", chat_id, exc)
        return Delivery("retry", now + RETRY_NETWORK)
    return Delivery("sent")


REPLY = "reply"
REPLY_TTL = timedelta(hours=12)  # a check-in's guidance is still worth sending this late


def record_for(
    plan: ReminderPlan, user_id: int, checkin_id: str | None, reminder_id: str
) -> dict[str, Any]:
    """The stored form of a planned reminder."""
    return {
        "id": reminder_id,
        "user_id": user_id,
        "checkin_id": checkin_id,
        "kind": plan.kind,
        "due_at": plan.due_at.isoformat(),
        "expires_at": plan.expires_at.isoformat(),
        "text": plan.text,
        "status": "pending",
    }


def reply_record(
    user_id: int, checkin_id: str, text: str, now: datetime, *, ate_button: bool, reminder_id: str
) -> dict[str, Any]:
    """The guidance reply to a check-in as an outbox record, stored with the check-in itself so
    it is sent (and retried) by the dispatcher even if the first attempt or the process fails."""
    return {
        "id": reminder_id,
        "user_id": user_id,
        "checkin_id": checkin_id,
        "kind": REPLY,
        "due_at": now.isoformat(),
        "expires_at": (now + REPLY_TTL).isoformat(),
        "text": text,
        "status": "pending",
        "ate_button": ate_button,
    }


def markup_for(record: dict[str, Any]) -> InlineKeyboardMarkup:
    """The one-tap buttons a message carries: its action, and a 15-minute snooze on reminders."""
    cid = record.get("checkin_id") or ""
    if record["kind"] == REPLY:  # the guidance itself: Why?, maybe Already ate, no snooze
        buttons = [("Why?", callbacks.item(callbacks.WHY, cid))]
        if record.get("ate_button"):
            buttons.append(_ate(cid))
    else:
        action = _action(record, cid)
        buttons = [*([action] if action else []), (SNOOZE_LABEL, callbacks.snooze(record["id"]))]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]]
    )


def _ate(checkin_id: str) -> tuple[str, str]:
    """The 'Already ate' button of a check-in."""
    return ("✅ Already ate", callbacks.item(callbacks.ATE, checkin_id))


def _action(record: dict[str, Any], checkin_id: str) -> tuple[str, str] | None:
    """The button that acts on a reminder, if its kind has one."""
    kind = record["kind"]
    if kind in TEAM_PROMPT_KINDS:
        return ("✅ Check in", callbacks.item(callbacks.TEAM_CHECKIN, record["id"]))
    if kind in NUTRITION_KINDS:
        return _ate(checkin_id)
    if kind == "followup":
        return ("Answer (2 taps)", callbacks.item(callbacks.FOLLOWUP, checkin_id))
    if kind == READINESS_KIND:
        return ("Answer (5 taps)", callbacks.READY)
    return None


def next_daily(record: dict[str, Any], now: datetime, new_id: str) -> dict[str, Any] | None:
    """The next occurrence of a daily reminder (the morning check-in), in the athlete's zone."""
    repeat = record.get("repeat")
    if not repeat or record.get("renewed"):
        return None
    plan = plan_readiness(now, zone(repeat["tz"]), time.fromisoformat(repeat["at"]))
    if plan is None:
        return None
    return record_for(plan, record["user_id"], None, new_id) | {"repeat": repeat}


def run_tick(
    application: Application,
    tick: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]],
    interval: float,
    name: str,
) -> None:
    """Repeat `tick` every `interval` s; a late tick still runs (lateness is judged per record)."""
    application.job_queue.run_repeating(
        tick,
        interval=interval,
        first=0.0,
        name=name,
        job_kwargs={
            "misfire_grace_time": TICK_MISFIRE_GRACE_S,
            "coalesce": True,
            "max_instances": 1,
        },
    )


def start_claimed(
    application: Application,
    in_flight: set[Any],
    jobs: Iterable[tuple[Any, Callable[[], Coroutine[Any, Any, None]]]],
    label: str,
) -> None:
    """Give each claimed item (key, job) not already being worked on its own task."""
    for key, job in jobs:
        if key in in_flight:
            continue
        in_flight.add(key)
        application.create_task(job(), name=f"{label}:{key}")


class Reminders:
    """Claims due reminders from the store and delivers each at most once per claim."""

    def __init__(self, store: Store, clock: Clock) -> None:
        """Deliver the reminders of `store`, judged against `clock`."""
        self.store = store
        self.clock = clock
        self._in_flight: set[str] = set()
        # Sent, but the "sent" mark could not be written yet: never send these again.
        self._delivered: set[str] = set()
        self._limit = asyncio.Semaphore(MAX_PARALLEL_SENDS)

    def start(self, application: Application, interval: float) -> None:
        """Run the dispatch tick every `interval` seconds in the application's JobQueue."""
        run_tick(application, self.tick, interval, JOB_NAME)

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Claim what is due now (as much as there is room to send) and deliver each."""
        room = MAX_PARALLEL_SENDS - len(self._in_flight)
        if room <= 0 or not context.application.running:
            return
        now = self.clock.now()
        claims = await self.store.claim_reminders(now, room)
        if not context.application.running:  # shutdown began meanwhile: hand them back
            for user_id, reminder_id in claims:
                await self._retry(user_id, reminder_id, now)
            return
        start_claimed(
            context.application,
            self._in_flight,
            ((rid, partial(self._deliver, context.bot, uid, rid)) for uid, rid in claims),
            "reminder",
        )

    async def send_now(self, bot: Bot, user_id: int, record: dict[str, Any]) -> None:
        """Deliver a just-stored record right away (retried by the tick if that fails)."""
        if record["id"] in self._in_flight:
            return
        if not await self.store.claim_reminder(user_id, record["id"], self.clock.now()):
            return  # another worker claimed it first and sends it
        self._in_flight.add(record["id"])
        await self._deliver(bot, user_id, record["id"])

    async def _deliver(self, bot: Bot, user_id: int, reminder_id: str) -> None:
        """Send one reminder if it is still pending and useful; record the outcome."""
        try:
            async with self._limit:
                await self._deliver_once(bot, user_id, reminder_id)
        except StorageWriteError as exc:
            log.error("reminder %s: could not record outcome: %s", reminder_id, exc)
            await self._retry(user_id, reminder_id, self.clock.now() + RETRY_NETWORK)
        finally:
            self._in_flight.discard(reminder_id)

    async def _deliver_once(self, bot: Bot, user_id: int, reminder_id: str) -> None:
        """The delivery steps for one reminder."""
        record = await self.store.reminder(user_id, reminder_id)
        if record is None or record.get("status") != "pending":
            self._delivered.discard(reminder_id)
            return
        now = self.clock.now()
        if reminder_id in self._delivered:
            await self._mark_sent(user_id, record)
            return
        if datetime.fromisoformat(record["due_at"]) > now:
            return  # moved later (settings, snooze): its newer heap entry will deliver it
        if not reminder_still_useful(datetime.fromisoformat(record["expires_at"]), now):
            log.info("dropping reminder %s (%s): no longer useful", reminder_id, record["kind"])
            await self._settle(user_id, record, "dropped", now, reason="expired")
            return
        if record["kind"] in TEAM_PROMPT_KINDS and not consented(await self.store.profile(user_id)):
            await self._settle(user_id, record, "cancelled", now, reason="consent withdrawn")
            return
        since = record.get("unless_checkin_since")
        if since and await self._checked_in(user_id, datetime.fromisoformat(since)):
            await self._settle(user_id, record, "cancelled", now, reason="checked in")
            return
        outcome = await send_once(bot, user_id, record["text"], markup_for(record), now)
        if outcome.status == "retry" and outcome.retry_at is not None:
            await self._retry(user_id, reminder_id, outcome.retry_at)
        elif outcome.status == "blocked":
            log.info("athlete %s blocked the bot; stopping their reminders", user_id)
            await self.store.update_profile(user_id, {"active": False}, create=False)
            await self._settle(user_id, None, "dropped", now, reason="blocked")
        elif outcome.status in ("rejected", "migrated"):  # private chats never migrate
            await self._settle(user_id, record, "dropped", now, reason=outcome.status)
        else:
            self._delivered.add(reminder_id)
            await self._mark_sent(user_id, record)

    async def _mark_sent(self, user_id: int, record: dict[str, Any]) -> None:
        """Record a delivered reminder as sent (StorageWriteError leaves it for a retry)."""
        await self._settle(user_id, record, "sent", self.clock.now())
        self._delivered.discard(record["id"])

    async def _checked_in(self, user_id: int, since: datetime) -> bool:
        """Whether the athlete already checked in for a session that began at `since`."""
        history = [CheckIn.from_record(r) for r in await self.store.checkins(user_id)]
        return session_checkin(history, since) is not None

    async def _settle(
        self,
        user_id: int,
        record: dict[str, Any] | None,
        status: str,
        at: datetime,
        reason: str = "",
    ) -> None:
        """Mark one reminder (or, with None, all pending ones) done; renew a daily one."""
        changes = {"status": status, "settled_at": at.isoformat()} | (
            {"reason": reason} if reason else {}
        )
        if record is None:
            await self.store.set_reminders_status(user_id, lambda _r: True, changes, create=False)
            return
        following = next_daily(record, at, secrets.token_hex(5))
        if following is not None:
            changes["renewed"] = True
        new = [following] if following else []
        await self.store.change_reminders(
            user_id, {record["id"]: changes}, new, create=False, if_changed=True
        )

    async def _retry(self, user_id: int, reminder_id: str, at: datetime) -> None:
        """Hand a reminder back to the store for another attempt at `at` (best effort)."""
        try:
            await self.store.retry_reminder(user_id, reminder_id, at)
        except StorageWriteError as exc:  # a lease that runs out brings it back anyway
            log.error("reminder %s: could not book the retry: %s", reminder_id, exc)


def _seconds(value: float | timedelta) -> timedelta:
    """A retry_after value (int seconds or timedelta, depending on PTB settings) as a timedelta."""
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))
