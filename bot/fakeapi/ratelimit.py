"""Opt-in Telegram flood limits for the fake server: 30 messages/s overall, 1/s per chat."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.fakeapi.errors import ApiError

# Methods that post a new message into a chat: these are what Telegram's flood limits count.
LIMITED_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


@dataclass
class Bucket:
    """A token bucket: `burst` tokens, refilled at `rate` per second."""

    rate: float
    burst: float
    stamp: float
    tokens: float = field(init=False)

    def __post_init__(self) -> None:
        """Start full."""
        self.tokens = self.burst

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for_one(self) -> float:
        """Seconds until one token is available (0 when one is there now); call after refill."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


class FloodLimits:
    """Telegram-style limits; `check` raises a 429 ApiError with retry_after when exceeded."""

    def __init__(
        self,
        per_second: float = 30.0,
        per_chat_per_second: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Allow `per_second` messages overall (bursts of as many) and `per_chat_per_second`."""
        self.per_second = per_second
        self.per_chat_per_second = per_chat_per_second
        self._clock = clock
        self._global = Bucket(per_second, per_second, clock())
        self._chats: dict[int | str, Bucket] = {}
        self.rejected = 0
        self.accepted = 0

    def check(self, method: str, chat_id: int | str | None) -> None:
        """Count one call; raise 429 (and take nothing) when it would exceed a limit."""
        if method not in LIMITED_METHODS or chat_id is None:
            return
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Bucket(self.per_chat_per_second, 1.0, now)
        self._global.refill(now)
        chat.refill(now)
        wait = max(self._global.wait_for_one(), chat.wait_for_one())
        if wait > 0:
            self.rejected += 1
            raise ApiError.build(429, None, max(1, math.ceil(wait)))
        self._global.tokens -= 1
        chat.tokens -= 1
        self.accepted += 1
