"""Per-user flood limit: past N updates in a sliding window, one polite "slow down", then quiet."""

from __future__ import annotations

import enum
import logging
from collections import deque
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.shell.context import BotContext

log = logging.getLogger(__name__)

GROUP = -1  # runs before every feature handler
PRUNE_ABOVE = 10_000  # users tracked before idle ones are forgotten
SLOW_DOWN = (
    "Whoa, that's a lot at once 🙂 Please slow down: I'll read your messages again in a moment."
)


class Verdict(enum.Enum):
    """What to do with one update."""

    PASS = "pass"
    WARN = "warn"
    DROP = "drop"


class FloodGate:
    """Sliding-window counter per user; every update (dropped ones too) counts."""

    def __init__(self, max_updates: int, window: timedelta) -> None:
        """Allow `max_updates` per user within any `window`."""
        self.max_updates = max_updates
        self.window = window
        self._seen: dict[int, deque[datetime]] = {}
        self._warned: set[int] = set()

    def admit(self, user_id: int, now: datetime) -> Verdict:
        """Count one update of `user_id` at `now` and say whether to handle it."""
        if len(self._seen) > PRUNE_ABOVE:
            self._prune(now)
        seen = self._seen.setdefault(user_id, deque(maxlen=self.max_updates))
        full = len(seen) == self.max_updates and seen[0] > now - self.window
        seen.append(now)
        if not full:
            self._warned.discard(user_id)
            return Verdict.PASS
        if user_id in self._warned:
            return Verdict.DROP
        self._warned.add(user_id)
        return Verdict.WARN

    def _prune(self, now: datetime) -> None:
        """Forget users who were quiet for a whole window."""
        idle = [uid for uid, seen in self._seen.items() if seen[-1] <= now - self.window]
        for uid in idle:
            del self._seen[uid]
            self._warned.discard(uid)


def flood_key(update: Update) -> int | None:
    """Whose bucket an update counts against: the person, or for a message sent as a chat (an
    anonymous group admin, a channel post) that chat, so no two groups share one bucket and
    channel posts are counted too."""
    sender = update.effective_sender
    if sender is not None:
        return sender.id
    chat = update.effective_chat
    return chat.id if chat is not None else None


def install(app: Application, max_updates: int, window_seconds: float) -> FloodGate:
    """Put the flood gate in front of every handler of `app`."""
    gate = FloodGate(max_updates, timedelta(seconds=window_seconds))

    async def guard(update: Update, context: BotContext) -> None:
        """Let the update through, or stop it (saying "slow down" once per flood)."""
        key = flood_key(update)
        if key is None:
            return
        verdict = gate.admit(key, context.services.clock.now())
        if verdict is Verdict.PASS:
            return
        chat = update.effective_chat
        if verdict is Verdict.WARN:
            log.warning("sender %s is flooding; ignoring their updates for a while", key)
            if chat is not None and chat.type == ChatType.PRIVATE:
                try:
                    await chat.send_message(SLOW_DOWN)
                except TelegramError as exc:
                    log.info("could not say slow down to %s: %s", key, exc)
        raise ApplicationHandlerStop

    app.add_handler(TypeHandler(Update, guard), group=GROUP)
    return gate
