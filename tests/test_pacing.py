"""Strict pacing on a virtual clock: no window, as the server counts arrivals, exceeds its limit."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from pathlib import Path

from telegram.error import RetryAfter

from bot.fakeapi import FakeBotAPI
from bot.fakeapi.limits import Window
from bot.shell.app import build_application
from bot.shell.pacing import Pacer, SlidingWindow, StrictRateLimiter
from tests.conftest import bot_settings

SETTLE_STEPS = 50


class VirtualTime:
    """A clock that moves only when every task waits on it; sleep() waits on that clock."""

    def __init__(self) -> None:
        """Time 0, nobody asleep."""
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        """The virtual now."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wake when the virtual clock reaches now + seconds."""
        waker = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), waker))
        await waker

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        """Let ready tasks run, then jump to the next wake-up, until every task is done."""
        while True:
            for _ in range(SETTLE_STEPS):
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            at, _, waker = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            waker.set_result(None)
        for task in tasks:
            task.result()


async def _simulate(sends: list[int], per_second: int, seed: int) -> list[tuple[float, int]]:
    """Send to each chat in `sends` at once through a Pacer; each call reaches the server at
    a random moment between leaving and its reply (round trips of 1–400 ms)."""
    time = VirtualTime()
    pacer = Pacer(per_second, clock=time.clock, sleep=time.sleep)
    rng = random.Random(seed)
    arrivals: list[tuple[float, int]] = []

    async def send(chat_id: int) -> None:
        async with pacer.slot("sendMessage", chat_id):
            round_trip = rng.uniform(0.001, 0.4)
            arrivals.append((time.now + rng.uniform(0, round_trip), chat_id))
            await time.sleep(round_trip)

    tasks = [asyncio.create_task(send(chat)) for chat in sends]
    await time.run(tasks)
    return sorted(arrivals)


def _server_rejections(arrivals: list[tuple[float, int]], per_second: int) -> int:
    """How many arrivals the fake server's sliding windows would answer with 429."""
    overall = Window(per_second, 1.0)
    chats: dict[int, Window] = {}
    rejected = 0
    for at, chat_id in arrivals:
        chat = chats.setdefault(chat_id, Window(20, 60.0) if chat_id < 0 else Window(1, 1.0))
        if overall.wait(at) > 0 or chat.wait(at) > 0:
            rejected += 1
        overall.stamps.append(at)
        chat.stamps.append(at)
    return rejected


async def test_no_window_exceeds_the_limits_whatever_the_jitter() -> None:
    """Broadcasts, repeated chats and a group: the server would never answer 429."""
    for seed in range(5):
        rng = random.Random(seed)
        sends = [rng.randrange(1, 40) for _ in range(150)] + [-100] * 25
        rng.shuffle(sends)
        arrivals = await _simulate(sends, 30, seed)
        assert len(arrivals) == len(sends)
        assert _server_rejections(arrivals, 30) == 0


async def test_a_broadcast_keeps_close_to_the_limit() -> None:
    """With no round trip 120 sends to distinct chats take 4 windows of virtual time."""
    time = VirtualTime()
    pacer = Pacer(30, clock=time.clock, sleep=time.sleep)

    async def send(chat_id: int) -> None:
        async with pacer.slot("sendMessage", chat_id):
            pass

    await time.run([asyncio.create_task(send(chat)) for chat in range(1, 121)])
    assert 3.0 <= time.now <= 3.0 + 3 * 0.011


def test_a_call_counts_until_a_window_after_its_reply() -> None:
    """In flight blocks indefinitely; after its reply the call counts for the window's length."""
    window = SlidingWindow(1, 1.0)
    assert window.delay(0.0) == 0
    window.start()
    assert window.delay(5.0) == float("inf")
    window.end(5.0)
    assert window.delay(5.5) > 0.5
    assert window.delay(6.02) == 0
    assert window.idle


def test_calls_without_a_chat_pass_and_others_share_the_overall_window() -> None:
    """getUpdates passes freely; an edit counts overall only; a send also in its chat."""
    pacer = Pacer(30)
    assert pacer.gates("getUpdates", None) == []
    assert pacer.gates("editMessageText", 7) == [pacer.overall]
    chat, overall = pacer.gates("sendMessage", "7")
    assert overall is pacer.overall
    assert chat is pacer.gates("sendMessage", 7)[0]
    assert chat.window.limit == 1
    assert pacer.gates("sendMessage", -5)[0].window.limit == 20


async def test_a_429_is_waited_out_and_retried() -> None:
    """The limiter retries a call Telegram refused with retry_after, then gives up."""
    limiter = StrictRateLimiter(30, max_retries=1)
    calls = 0

    async def refused_once() -> dict[str, bool]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryAfter(0)
        return {"ok": True}

    result = await limiter.process_request(
        refused_once, (), {}, "editMessageText", {"chat_id": 1}, None
    )
    assert result == {"ok": True}
    assert calls == 2

    async def always_refused() -> None:
        raise RetryAfter(0)

    try:
        await limiter.process_request(
            always_refused, (), {}, "editMessageText", {"chat_id": 2}, None
        )
    except RetryAfter:
        pass
    else:
        raise AssertionError("a call refused beyond max_retries must raise")


async def test_the_app_sends_within_the_fake_servers_strict_limits(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """The real app's bot, paced at 30/s, against enforced limits: a burst to 45 athletes,
    three messages to one of them and five to a group all pass without a 429."""
    api.enforce_rate_limits()
    users = [api.user(uid).id for uid in range(1001, 1046)]
    group = -100_777
    api.group(group, "Team")
    app = build_application(bot_settings(api, tmp_path / "data", send_rate=30))
    async with app:
        sends = [*users, users[0], users[0], *[group] * 5]
        await asyncio.gather(*(app.bot.send_message(chat, "hello") for chat in sends))
    assert api.limits.rejected == 0
    assert len(api.limits.sent) == len(sends)
