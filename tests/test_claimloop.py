"""The claim loop shared by reminders and teams: room, one task per key, hand-back on shutdown."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from bot.shell.claimloop import ClaimLoop
from bot.shell.clock import Clock


class Recorder:
    """A fake store side: claims to hand out, and what was worked and released."""

    def __init__(self, claims: list[str]) -> None:
        self.claims = claims
        self.rooms: list[int] = []
        self.worked: list[str] = []
        self.released: list[str] = []
        self.gate = asyncio.Event()

    async def claim(self, _now: datetime, room: int) -> list[str]:
        self.rooms.append(room)
        return self.claims[:room]

    async def work(self, _bot: Any, claim: str) -> None:
        await self.gate.wait()
        self.worked.append(claim)

    async def release(self, claim: str, _at: datetime) -> None:
        self.released.append(claim)


def loop_for(recorder: Recorder, room: int) -> ClaimLoop[str]:
    return ClaimLoop(
        "test-tick",
        Clock(),
        claim=recorder.claim,
        key=lambda claim: claim,
        work=recorder.work,
        release=recorder.release,
        max_in_flight=room,
    )


def context(running: bool = True) -> Any:
    """A context whose application runs tasks on the test's loop."""
    tasks: list[asyncio.Task[None]] = []
    app = SimpleNamespace(
        running=running,
        create_task=lambda coro, name: tasks.append(asyncio.create_task(coro, name=name)),
        tasks=tasks,
    )
    return SimpleNamespace(application=app, bot=None)


async def test_each_claim_runs_once_while_in_flight_and_room_is_respected() -> None:
    recorder = Recorder(["a", "b", "c"])
    loop = loop_for(recorder, room=2)
    ctx = context()
    await loop.tick(ctx)
    await loop.tick(ctx)  # no room left: nothing is claimed twice
    assert recorder.rooms == [2]
    assert loop.busy("a")
    assert loop.busy("b")
    assert not loop.busy("c")
    recorder.gate.set()
    await asyncio.gather(*ctx.application.tasks)
    assert sorted(recorder.worked) == ["a", "b"]
    assert not loop.busy("a")


async def test_a_claim_already_in_flight_is_not_run_again_now() -> None:
    recorder = Recorder(["a"])
    loop = loop_for(recorder, room=4)
    ctx = context()
    await loop.tick(ctx)
    recorder.gate.set()
    await loop.run_now(None, "a")  # the tick's task has it: skipped
    await asyncio.gather(*ctx.application.tasks)
    assert recorder.worked == ["a"]
    await loop.run_now(None, "a")  # done: may run again
    assert recorder.worked == ["a", "a"]


async def test_claims_made_as_shutdown_begins_are_handed_back() -> None:
    recorder = Recorder(["a", "b"])
    loop = loop_for(recorder, room=4)
    ctx = context()

    async def claim_then_stop(now: datetime, room: int) -> list[str]:
        ctx.application.running = False
        return await Recorder.claim(recorder, now, room)

    loop.claim = claim_then_stop
    await loop.tick(ctx)
    assert recorder.released == ["a", "b"]
    assert recorder.worked == []
    assert ctx.application.tasks == []


async def test_a_tick_cancelled_by_stopping_ends_quietly_but_not_while_running() -> None:
    """The JobQueue cancels a tick still claiming when the application stops: that is no
    error (APScheduler would log one); a cancellation while running still propagates."""
    hanging = asyncio.Event()

    async def slow_claim(_now: datetime, _room: int) -> list[str]:
        await hanging.wait()
        return []

    recorder = Recorder([])
    recorder.claim = slow_claim  # type: ignore[method-assign]
    loop = loop_for(recorder, 2)
    for running, propagates in ((False, False), (True, True)):
        ctx = context(running=True)
        tick = asyncio.create_task(loop.tick(ctx))
        await asyncio.sleep(0)
        ctx.application.running = running  # stop() clears it before cancelling its jobs
        tick.cancel()
        if propagates:
            try:
                await tick
            except asyncio.CancelledError:
                pass
            else:
                raise AssertionError("a cancellation while running was swallowed")
        else:
            await tick
            assert not tick.cancelled()
