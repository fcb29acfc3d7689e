"""Telegram faults injected at random: nothing crashes, no reminder is lost or sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotAPI, RandomFaults
from bot.shell.app import build_application, running
from bot.shell.clock import Clock
from tests.conftest import bot_settings
from tests.simulation import (
    Athlete,
    check_acked_stored_once,
    check_reminders_sent_once,
    deliver_everything,
    reader,
    run_athlete,
)

pytestmark = pytest.mark.chaos  # whole-bot stress under random faults: `pytest -m chaos`

UPDATER = "telegram.ext.Updater"
# Figures of the last run, printed for docs/reliability.md.
TOTALS: Counter[str] = Counter()


async def nudge(clock: Clock) -> None:
    """Keep the bot's clock moving so retries scheduled "in 10 s" come due quickly."""
    while True:
        await asyncio.sleep(0.5)
        clock.advance(timedelta(seconds=11))


async def fault_trial(
    api: FakeBotAPI,
    data_dir: Path,
    database_url: str | None,
    seed: int,
    athletes: int,
    rate: float,
    caplog,
    checkins: int,
) -> None:
    """Athletes check in while the API fails at `rate` (the rate limiter keeps the bot at
    Telegram's 30 calls/s, so keep the crowd small); then every reminder falls due."""
    rng = random.Random(seed)
    faults = RandomFaults(rate, seed=seed, slow_seconds=0.1, hang_seconds=0.6)
    clock = Clock()
    settings = bot_settings(api, data_dir, database_url, request_timeout=0.4)
    app = build_application(settings, clock)
    crashes: list[BaseException] = []

    async def record(_update: object, context) -> None:
        """Remember every error that reached the error handlers."""
        crashes.append(context.error)

    app.add_error_handler(record)
    people = [Athlete(api.user(9000 + seed * 100 + i)) for i in range(athletes)]
    read = reader(data_dir, database_url)
    async with running(app, poll_timeout=1):
        api.random_faults = faults
        nudger = asyncio.create_task(nudge(clock))
        try:
            async with asyncio.timeout(60):
                await asyncio.gather(
                    *(run_athlete(a, api, random.Random(rng.random()), checkins) for a in people)
                )
            stored = check_acked_stored_once(
                await read(), api, [a.user.id for a in people], f"seed={seed}"
            )

            async def move_to(when: datetime) -> None:
                """Fast-forward the bot's clock to `when`."""
                clock.advance(max(when - clock.now(), timedelta(0)))

            reminders = await deliver_everything(read, clock.now, move_to)
        finally:
            nudger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await nudger
            api.random_faults = None
    outcomes = check_reminders_sent_once(await read(), api, f"seed={seed}")
    unexpected = [e for e in crashes if not _telegram_side(e)]
    assert not unexpected, f"seed={seed}: handler crashed: {unexpected!r}"
    # PTB's updater logs failed getUpdates calls at ERROR and retries: that is Telegram's fault
    ours = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name != UPDATER]
    assert not ours, f"seed={seed}: errors were logged: {[r.getMessage() for r in ours]}"
    TOTALS.update(faults.injected)
    TOTALS.update(trials=1, checkins=stored, reminders=reminders, **outcomes)
    assert sum(faults.injected.values()) > 0, "no fault was injected: the test proves nothing"


def _telegram_side(error: BaseException | None) -> bool:
    """Errors that are Telegram failing (answered politely by the bot's error handler)."""
    from telegram.error import Forbidden, NetworkError, RetryAfter

    return isinstance(error, NetworkError | Forbidden | RetryAfter)


@pytest.mark.parametrize("seed", [0])
async def test_random_telegram_faults_lose_nothing(
    api: FakeBotAPI, tmp_path: Path, database_url: str | None, seed: int, caplog
) -> None:
    await fault_trial(api, tmp_path / "data", database_url, seed, 3, 0.08, caplog, checkins=1)
    print("fault totals", dict(TOTALS))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 110))
async def test_random_telegram_faults_lose_nothing_many(
    api: FakeBotAPI, tmp_path: Path, database_url: str | None, seed: int, caplog
) -> None:
    await fault_trial(api, tmp_path / "data", database_url, seed, 6, 0.15, caplog, checkins=2)
    print("fault totals", dict(TOTALS))
