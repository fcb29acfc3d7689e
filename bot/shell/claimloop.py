"""One claim loop for everything the store schedules (reminders, teams): a short repeating tick
claims what is due, works each claim in its own task, and hands claims back on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from telegram import Bot
from telegram.ext import Application

from bot.shell.clock import Clock
from bot.shell.context import BotContext

# A tick that runs late (busy loop, suspended laptop) is still run: lateness is judged per
# record against its own expiry, so APScheduler must not silently drop ticks (default 1 s).
TICK_MISFIRE_GRACE_S = 3600
UNBOUNDED = 1 << 30

Claim = TypeVar("Claim")


@dataclass(slots=True)
class ClaimLoop(Generic[Claim]):
    """Claims due work from the store and runs each claim at most once at a time."""

    name: str
    clock: Clock
    claim: Callable[[datetime, int], Awaitable[Sequence[Claim]]]  # (now, room) -> claims
    key: Callable[[Claim], Hashable]
    work: Callable[[Bot, Claim], Awaitable[None]]
    release: Callable[[Claim, datetime], Awaitable[None]]  # hand a claim back, due at a time
    max_in_flight: int = UNBOUNDED
    _in_flight: set[Hashable] = field(default_factory=set)

    def start(self, application: Application, interval: float) -> None:
        """Run the tick every `interval` seconds in the application's JobQueue."""
        application.job_queue.run_repeating(
            self.tick,
            interval=interval,
            first=0.0,
            name=self.name,
            job_kwargs={
                "misfire_grace_time": TICK_MISFIRE_GRACE_S,
                "coalesce": True,
                "max_instances": 1,
            },
        )

    def busy(self, key: Hashable) -> bool:
        """Whether the claim with this key is being worked on now."""
        return key in self._in_flight

    async def tick(self, context: BotContext) -> None:
        """Claim what is due (as much as there is room for) and start each claim's task."""
        try:
            await self._tick(context)
        except asyncio.CancelledError:
            if context.application.running:
                raise
            # Stopping cancels a tick still claiming; nothing is lost: a claim not yet worked
            # comes back when its lease runs out, or with the due index rebuilt at start.

    async def _tick(self, context: BotContext) -> None:
        """One tick's work."""
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0 or not context.application.running:
            return
        now = self.clock.now()
        claims = await self.claim(now, room)
        if not context.application.running:  # shutdown began meanwhile: hand them back
            for claim in claims:
                await self.release(claim, now)
            return
        for claim in claims:
            key = self.key(claim)
            if key not in self._in_flight:
                self._in_flight.add(key)
                context.application.create_task(
                    self._run(context.bot, claim, key), name=f"{self.name}:{key}"
                )

    async def run_now(self, bot: Bot, claim: Claim) -> None:
        """Work on a claim made outside the tick at once (unless it is already in flight)."""
        key = self.key(claim)
        if key not in self._in_flight:
            self._in_flight.add(key)
            await self._run(bot, claim, key)

    async def _run(self, bot: Bot, claim: Claim, key: Hashable) -> None:
        """Work one claim, then let it be claimed again."""
        try:
            await self.work(bot, claim)
        finally:
            self._in_flight.discard(key)
