"""Opt-in enforcement of Telegram's sending limits in the fake Bot API, with a log of sends."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from bot.fakeapi.errors import ApiError

SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


@dataclass
class Window:
    """At most `limit` events per `seconds` (sliding window)."""

    limit: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        return 0.0 if len(self.stamps) < self.limit else self.stamps[0] + self.seconds - now


@dataclass
class RateLimits:
    """Telegram's documented limits: ~30 messages/s per bot, 1/s per chat, 20/min per group."""

    enabled: bool = False
    per_second: int = 30
    per_chat_second: int = 1
    per_group_minute: int = 20
    rejected: int = 0
    sent: list[tuple[float, int]] = field(default_factory=list)  # sends that passed the limits
    _global: Window | None = None
    _chats: dict[int, Window] = field(default_factory=dict)

    def check(self, method: str, chat_id: int) -> None:
        """Record a send to `chat_id`; 429 with retry_after when it breaks a limit."""
        if method not in SENDING_METHODS:
            return
        now = time.monotonic()
        if self.enabled:
            self._global = self._global or Window(self.per_second, 1.0)
            chat = self._chats.setdefault(
                chat_id,
                Window(self.per_group_minute, 60.0)
                if chat_id < 0
                else Window(self.per_chat_second, 1.0),
            )
            wait = max(self._global.wait(now), chat.wait(now))
            if wait > 0:
                self.rejected += 1
                retry = max(1, math.ceil(wait))
                raise ApiError.build(429, None, retry)
            self._global.stamps.append(now)
            chat.stamps.append(now)
        self.sent.append((now, chat_id))

    def peak(self, seconds: float = 1.0) -> int:
        """The most sends seen within any window of `seconds` (observed pacing)."""
        times = [t for t, _ in self.sent]
        best, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - seconds:
                start += 1
            best = max(best, end - start + 1)
        return best
