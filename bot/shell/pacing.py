"""Strict pacing of Bot API calls: sliding windows that no server-side count can ever exceed.

A call counts in a window from the moment it is let go until `seconds` after its reply came
back. The server receives a call somewhere between those two moments, so whatever the network
jitter, no `seconds`-long stretch of arrivals at the server holds more than `limit` calls. On
loopback that costs nothing; with a round trip of r it paces at limit / (seconds + r).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.shell.sending import _seconds

log = logging.getLogger(__name__)

# Added to every window: covers the two processes reading the clock a little apart.
MARGIN_S = 0.01
# Bot API methods that post a message into a chat (what Telegram's per-chat limits count).
POSTING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "forwardMessage",
    }
)
GROUP_LIMIT, GROUP_SECONDS = 20, 60.0
CHAT_LIMIT, CHAT_SECONDS = 1, 1.0
IDLE_CHATS_KEPT = 4096  # chat windows kept before idle ones are dropped

Result = bool | dict[str, Any] | list[dict[str, Any]]


class SlidingWindow:
    """At most `limit` calls in any `seconds`: a call counts from its start until `seconds`
    after it ended."""

    def __init__(self, limit: int, seconds: float) -> None:
        """An empty window."""
        self.limit = limit
        self.seconds = seconds + MARGIN_S
        self._open = 0
        self._ended: deque[float] = deque()

    def delay(self, now: float) -> float:
        """Seconds until one more call fits: 0 now, math.inf until a call in flight ends."""
        while self._ended and self._ended[0] <= now - self.seconds:
            self._ended.popleft()
        over = self._open + len(self._ended) - self.limit + 1
        if over <= 0:
            return 0.0
        if over > len(self._ended):
            return math.inf
        return self._ended[over - 1] + self.seconds - now

    def start(self) -> None:
        """Count one call that is let go now."""
        self._open += 1

    def end(self, now: float) -> None:
        """The call's reply came back (or it failed) at `now`."""
        self._open -= 1
        self._ended.append(now)

    @property
    def idle(self) -> bool:
        """Nothing in flight or counted (safe to forget)."""
        return not self._open and not self._ended


class Gate:
    """One window with a FIFO queue in front of it."""

    def __init__(self, limit: int, seconds: float) -> None:
        """An open gate."""
        self.window = SlidingWindow(limit, seconds)
        self._queue = asyncio.Lock()
        self._ended = asyncio.Event()
        self.users = 0

    async def enter(
        self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[Any]]
    ) -> None:
        """Wait in line until the window has room, then count a call in it."""
        async with self._queue:
            while (wait := self.window.delay(clock())) > 0:
                if math.isinf(wait):
                    self._ended.clear()
                    await self._ended.wait()
                else:
                    await sleep(wait)
            self.window.start()

    def leave(self, now: float) -> None:
        """The call ended: it keeps counting for the window's length."""
        self.window.end(now)
        self._ended.set()


class Pacer:
    """Gates for every call with a chat (overall), each private chat and each group."""

    def __init__(
        self,
        per_second: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        """Pace to `per_second` calls overall, 1/s per chat and 20/min per group."""
        self.clock = clock
        self.sleep = sleep
        self.overall = Gate(per_second, 1.0)
        self._chats: dict[int | str, Gate] = {}

    def gates(self, endpoint: str, chat_id: Any) -> list[Gate]:
        """The gates a call passes, narrowest first (a call without a chat passes none)."""
        if chat_id is None:
            return []
        if endpoint not in POSTING:
            return [self.overall]
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        gate = self._chats.get(chat_id)
        if gate is None:
            group = isinstance(chat_id, str) or chat_id < 0
            gate = Gate(*((GROUP_LIMIT, GROUP_SECONDS) if group else (CHAT_LIMIT, CHAT_SECONDS)))
            self._chats[chat_id] = gate
            self._forget_idle()
        return [gate, self.overall]

    @asynccontextmanager
    async def slot(self, endpoint: str, chat_id: Any) -> AsyncIterator[None]:
        """Hold the call's place in every window it counts in while it runs."""
        gates = self.gates(endpoint, chat_id)
        entered: list[Gate] = []
        for gate in gates:
            gate.users += 1
        try:
            for gate in gates:
                await gate.enter(self.clock, self.sleep)
                entered.append(gate)
            yield
        finally:
            now = self.clock()
            for gate in gates:
                gate.users -= 1
            for gate in entered:
                gate.leave(now)

    def _forget_idle(self) -> None:
        """Drop windows of chats nobody used for a window's length (memory stays bounded)."""
        if len(self._chats) <= IDLE_CHATS_KEPT:
            return
        now = self.clock()
        for key, gate in list(self._chats.items()):
            if not gate.users and gate.window.delay(now) == 0 and gate.window.idle:
                del self._chats[key]


class StrictRateLimiter(BaseRateLimiter[int]):
    """PTB's rate-limiter extension point on a Pacer; a 429 halts every call for its retry_after
    and the call is retried up to `max_retries` times."""

    def __init__(self, per_second: int, max_retries: int = 3) -> None:
        """Pace to `per_second` calls overall."""
        self.pacer = Pacer(per_second)
        self.max_retries = max_retries
        self._clear = asyncio.Event()
        self._clear.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Run the call inside its windows; on 429 pause everything and retry."""
        retries = rate_limit_args or self.max_retries
        attempt = 0
        while True:
            await self._clear.wait()
            try:
                async with self.pacer.slot(endpoint, data.get("chat_id")):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                log.warning("429 from Telegram on %s: pausing %s", endpoint, exc.retry_after)
                self._clear.clear()
                try:
                    await asyncio.sleep(_seconds(exc.retry_after).total_seconds() + MARGIN_S)
                finally:
                    self._clear.set()
