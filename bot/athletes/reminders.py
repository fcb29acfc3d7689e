"""Reminder dispatch: records in the store are the truth; the claim loop sends what falls due."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.ext import Application

from bot.athletes.profiles import consented, load_profile
from bot.athletes.reminder_buttons import markup_for
from bot.athletes.reminder_records import next_daily
from bot.shell.claimloop import ClaimLoop
from bot.shell.clock import Clock
from bot.shell.sending import RETRY_NETWORK, Outcome, send_once
from bot.storage import StorageWriteError, Store
from bot.storage.base import PENDING, ReminderFilter
from rules.model import CheckIn
from rules.reminders import TEAM_PROMPT_KINDS, Reminder, ReminderStatus, reminder_still_useful
from rules.team import session_checkin

log = logging.getLogger(__name__)

JOB_NAME = "reminder-tick"
MAX_PARALLEL_SENDS = 64
DEFAULT_LEASE = timedelta(seconds=60)
Claimed = tuple[int, str]  # (athlete, reminder id)


class Reminders:
    """Claims due reminders from the store and delivers each at most once per claim."""

    def __init__(self, store: Store, clock: Clock, lease: timedelta = DEFAULT_LEASE) -> None:
        """Deliver the reminders of `store`, judged against `clock`; a claim lasts `lease`."""
        self.store = store
        self.clock = clock
        # A claim waiting this long for a send slot is handed back rather than sent: its lease
        # may be over, and another worker may already be sending the same reminder.
        self.send_within = lease / 2
        # Sent, but the "sent" mark could not be written yet: never send these again.
        self._delivered: set[str] = set()
        self._limit = asyncio.Semaphore(MAX_PARALLEL_SENDS)
        self.loop: ClaimLoop[Claimed] = ClaimLoop(
            JOB_NAME,
            clock,
            claim=store.claim_reminders,
            key=lambda claim: claim[1],
            work=self._deliver,
            release=lambda claim, at: self._retry(*claim, at),
            max_in_flight=MAX_PARALLEL_SENDS,
        )

    def start(self, application: Application, interval: float) -> None:
        """Run the dispatch tick every `interval` seconds in the application's JobQueue."""
        self.loop.start(application, interval)

    async def send_now(self, bot: Bot, user_id: int, record: dict[str, Any]) -> None:
        """Deliver a just-stored record right away (retried by the tick if that fails)."""
        if self.loop.busy(record["id"]):
            return
        if not await self.store.claim_reminder(user_id, record["id"], self.clock.now()):
            return  # another worker claimed it first and sends it
        await self.loop.run_now(bot, (user_id, record["id"]))

    async def _deliver(self, bot: Bot, claim: Claimed) -> None:
        """Send one reminder if it is still pending and useful; record the outcome."""
        user_id, reminder_id = claim
        claimed_at = self.clock.now()
        try:
            async with self._limit:
                await self._deliver_once(bot, user_id, reminder_id, claimed_at)
        except StorageWriteError as exc:
            log.error("reminder %s: could not record outcome: %s", reminder_id, exc)
            await self._retry(user_id, reminder_id, self.clock.now() + RETRY_NETWORK)

    async def _deliver_once(
        self, bot: Bot, user_id: int, reminder_id: str, claimed_at: datetime
    ) -> None:
        """The delivery steps for one reminder."""
        doc = await self.store.reminder(user_id, reminder_id)
        record = Reminder.from_doc(doc) if doc else None
        if record is None or record.status != ReminderStatus.PENDING:
            self._delivered.discard(reminder_id)
            return
        now = self.clock.now()
        if reminder_id in self._delivered:
            await self._mark_sent(user_id, record)
            return
        if record.due_at > now:
            return  # moved later (settings, snooze): its newer heap entry will deliver it
        if not reminder_still_useful(record.expires_at, now):
            log.info("dropping reminder %s (%s): no longer useful", reminder_id, record.kind)
            await self._settle(user_id, record, ReminderStatus.DROPPED, now, reason="expired")
            return
        if record.kind in TEAM_PROMPT_KINDS and not consented(
            await load_profile(self.store, user_id)
        ):
            await self._settle(
                user_id, record, ReminderStatus.CANCELLED, now, reason="consent withdrawn"
            )
            return
        since = record.extra.get("unless_checkin_since")
        if since and await self._checked_in(user_id, datetime.fromisoformat(since)):
            await self._settle(user_id, record, ReminderStatus.CANCELLED, now, reason="checked in")
            return
        if self.clock.now() - claimed_at > self.send_within:  # never send on a stale claim
            await self._retry(user_id, reminder_id, self.clock.now())
            return
        outcome = await send_once(bot, user_id, record.text, markup_for(record, now), now)
        if outcome.outcome is Outcome.RETRY and outcome.retry_at is not None:
            await self._retry(user_id, reminder_id, outcome.retry_at)
        elif outcome.outcome is Outcome.BLOCKED:
            log.info("athlete %s blocked the bot; stopping their reminders", user_id)
            await self.store.update_profile(user_id, {"active": False}, create=False)
            await self._settle(user_id, None, ReminderStatus.DROPPED, now, reason="blocked")
        elif outcome.outcome in (Outcome.REJECTED, Outcome.MIGRATED):  # private: never migrate
            await self._settle(user_id, record, ReminderStatus.DROPPED, now, reason=outcome.outcome)
        else:
            self._delivered.add(reminder_id)
            await self._mark_sent(user_id, record)

    async def _mark_sent(self, user_id: int, record: Reminder) -> None:
        """Record a delivered reminder as sent (StorageWriteError leaves it for a retry)."""
        await self._settle(user_id, record, ReminderStatus.SENT, self.clock.now())
        self._delivered.discard(record.id)

    async def _checked_in(self, user_id: int, since: datetime) -> bool:
        """Whether the athlete already checked in for a session that began at `since`."""
        history = [CheckIn.from_record(r) for r in await self.store.checkins(user_id)]
        return session_checkin(history, since) is not None

    async def _settle(
        self,
        user_id: int,
        record: Reminder | None,
        status: ReminderStatus,
        at: datetime,
        reason: str = "",
    ) -> None:
        """Mark one reminder (or, with None, all pending ones) done; renew a daily one."""
        changes = {"status": status, "settled_at": at.isoformat()} | (
            {"reason": reason} if reason else {}
        )
        if record is None:
            await self.store.update_reminders(user_id, (PENDING,), changes, create=False)
            return
        following = next_daily(record, at, secrets.token_hex(5))
        if following is not None:
            changes["renewed"] = True
        new = [following] if following else []
        this = (ReminderFilter(ids=frozenset({record.id})),)
        await self.store.update_reminders(
            user_id, this, changes, new=new, create=False, if_changed=True
        )

    async def _retry(self, user_id: int, reminder_id: str, at: datetime) -> None:
        """Hand a reminder back to the store for another attempt at `at` (best effort)."""
        try:
            await self.store.retry_reminder(user_id, reminder_id, at)
        except StorageWriteError as exc:  # a lease that runs out brings it back anyway
            log.error("reminder %s: could not book the retry: %s", reminder_id, exc)
