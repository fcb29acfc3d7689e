"""Kill test: the real bot (`python -m bot`) is SIGKILLed at random moments and restarted while
simulated athletes keep checking in; nothing acknowledged is lost or doubled, and every pending
reminder is still delivered, exactly once, by the bot that comes back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotAPI
from tests.conftest import TOKEN
from tests.simulation import (
    Athlete,
    Athletes,
    check_acked_stored_once,
    deliver_everything,
    pending,
    reader,
    run_athlete,
)

pytestmark = pytest.mark.chaos  # whole-process stress: `pytest -m "chaos and not slow"`

REPO = Path(__file__).resolve().parent.parent
RESULTS: Counter[str] = Counter()


class BotProcess:
    """`python -m bot` against the fake API, its clock following an offset file."""

    def __init__(self, api: FakeBotAPI, home: Path, database_url: str | None = None) -> None:
        """Prepare the environment (PostgreSQL when `database_url`); nothing runs yet."""
        self.api = api
        self.home = home
        self.offset_file = home / "clock-offset"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": api.base_url,
            "BOT_DATA_DIR": str(home / "data"),
            "BOT_TICK_SECONDS": "0.05",
            "BOT_CLOCK_OFFSET_FILE": str(self.offset_file),
            "BOT_FLOOD_MAX_UPDATES": "1000",
            "BOT_SEND_RATE": "0",  # unpaced, as in-process tests run (conftest.bot_settings)
            "BOT_LOG_LEVEL": "WARNING",
            **({"BOT_DATABASE_URL": database_url} if database_url else {}),
        }
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, ready: Callable[[], bool] | None = None) -> None:
        """Start the bot and wait until it is `ready` (by default: polling for updates)."""
        calls_before = len(self.api.calls)
        with (self.home / f"bot-{self.starts}.log").open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.home, env=self.env, stdout=log, stderr=log
            )
        self.starts += 1
        ready = ready or (
            lambda: any(name == "getUpdates" for name, _ in self.api.calls[calls_before:])
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not ready():
            assert self.proc.returncode is None, f"bot exited: {self.log_tail()}"
            assert asyncio.get_running_loop().time() < deadline, "bot did not become ready"
            await asyncio.sleep(0.02)

    async def quiet(self, still: float = 1.0, within: float = 30.0) -> None:
        """Wait until every queued update was fetched and the bot made no call but getUpdates
        for `still` seconds (updates sent before the athletes stopped are handled by then)."""
        deadline = asyncio.get_running_loop().time() + within
        seen = -1
        while True:
            calls = sum(name != "getUpdates" for name, _ in self.api.calls)
            if self.api.world.pending_update_count == 0 and calls == seen:
                return
            assert asyncio.get_running_loop().time() < deadline, "the bot never went quiet"
            seen = calls
            await asyncio.sleep(still)

    async def kill(self) -> None:
        """SIGKILL the bot."""
        assert self.proc is not None
        assert self.proc.returncode is None, f"bot died on its own: {self.log_tail()}"
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    def log_tail(self, limit: int | None = 2000) -> str:
        """The end of the latest run's log (all of it with limit=None)."""
        text = (self.home / f"bot-{self.starts - 1}.log").read_text(errors="replace")
        return text[-limit:] if limit else text

    async def move_clock_to(self, when: datetime) -> None:
        """Fast-forward the running bot's clock (atomically rewrite the offset file)."""
        offset = (when - datetime.now(UTC)).total_seconds()
        tmp = self.offset_file.with_suffix(".tmp")
        tmp.write_text(str(max(offset, self.offset())))
        os.replace(tmp, self.offset_file)

    def offset(self) -> float:
        """The current clock offset in seconds."""
        with contextlib.suppress(FileNotFoundError):
            return float(self.offset_file.read_text())
        return 0.0

    def now(self) -> datetime:
        """The bot's notion of now."""
        return datetime.now(UTC) + timedelta(seconds=self.offset())


def check_reminders_kept(athletes: Athletes, known: dict[str, str], note: str) -> None:
    """No reminder ever disappears, and none that was sent goes back to pending."""
    now = {r["id"]: r["status"] for d in athletes.values() for r in d["reminders"]}
    vanished = [rid for rid in known if rid not in now]
    reborn = [rid for rid, status in known.items() if status != "pending" and now[rid] == "pending"]
    assert not vanished, f"{note}: reminders vanished: {vanished[:5]}"
    assert not reborn, f"{note}: settled reminders became pending again: {reborn[:5]}"
    known.update(now)


async def kill_trials(
    api: FakeBotAPI, home: Path, database_url: str | None, trials: int, athletes: int, seed: int
) -> None:
    """Run the athletes across `trials` kill/restart cycles, then deliver every reminder."""
    rng = random.Random(seed)
    bot = BotProcess(api, home, database_url)
    read = reader(home / "data", database_url)
    people = [Athlete(api.user(7000 + i)) for i in range(athletes)]
    tasks = [
        asyncio.create_task(run_athlete(a, api, random.Random(rng.random()), checkins=10_000))
        for a in people
    ]
    known: dict[str, str] = {}
    try:
        for trial in range(trials):
            await bot.start()
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            await bot.kill()
            note = f"seed={seed} trial={trial}"
            stored = await read()
            check_acked_stored_once(stored, api, [a.user.id for a in people], note)
            check_reminders_kept(stored, known, note)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await bot.start()
    try:
        await bot.quiet()  # else a late check-in's reminders would count against the snapshot
        final = await read()
        stored = check_acked_stored_once(final, api, [a.user.id for a in people], "final")
        due = {r["id"]: r for r in pending(final)}
        seen_before = {uid: len(api.world.chats[uid].events) for uid in api.world.chats}
        await deliver_everything(read, bot.now, bot.move_clock_to)
    finally:
        await bot.kill()
    after = {r["id"]: r for d in (await read()).values() for r in d["reminders"]}
    for rid, record in due.items():
        assert after[rid]["status"] == "sent", f"reminder not delivered after restarts: {record}"
    for uid in {r["user_id"] for r in due.values()}:
        texts = Counter(r["text"] for r in due.values() if r["user_id"] == uid)
        events = api.world.chats[uid].events[seen_before[uid] :]
        seen = Counter(e.text for e in events if e.kind == "message" and e.text in texts)
        assert seen == texts, f"athlete {uid}: pending {texts} but received {seen}"
    RESULTS.update(trials=trials, restarts=bot.starts, checkins=stored, delivered=len(due))
    print("kill results", dict(RESULTS))


async def test_sigkill_restart_loses_nothing(
    api: FakeBotAPI, tmp_path: Path, database_url: str | None
) -> None:
    await kill_trials(api, tmp_path, database_url, trials=20, athletes=6, seed=1)


@pytest.mark.slow
async def test_sigkill_restart_loses_nothing_many(
    api: FakeBotAPI, tmp_path: Path, database_url: str | None
) -> None:
    await kill_trials(api, tmp_path, database_url, trials=200, athletes=10, seed=2)
