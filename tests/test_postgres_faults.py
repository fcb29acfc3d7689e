"""PostgreSQL outages: the athlete hears what wasn't saved, nothing acknowledged is lost, and the
bot carries on by itself once the database is back (the TinyDB twin is tests/test_disk_full.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.fakeapi import FakeBotAPI
from bot.shell.clock import Clock
from testkit.pgcluster import TempCluster
from tests.conftest import REPLY, eventually, onboard, svc
from tests.test_e2e_checkin import answer_all
from tests.test_e2e_reminders import HEAVY, checked_in, statuses

pytestmark = pytest.mark.backends("postgres")


@asynccontextmanager
async def outage(cluster: TempCluster, database_url: str) -> AsyncIterator[None]:
    """The bot's database refuses connections and drops the open ones, until the block ends."""
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(cluster.dsn())
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_answer_not_saved_during_outage_then_recovered(
    api: FakeBotAPI, bot, pg_cluster: TempCluster, database_url: str
) -> None:
    """Answers given before the outage survive it; the one given during it is asked again."""
    user = api.user(811)
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, HEAVY[:3])
    await user.expect("How hard")
    async with outage(pg_cluster, database_url):
        await user.press("6")
        await user.expect("couldn't save that")
        await user.send("/checkin")
        await user.expect("couldn't save that")
    await user.send("/checkin")  # the database is back: pick up where the saved answers end
    await user.expect("How hard")
    await user.press("6")
    await answer_all(user, HEAVY[4:])
    await user.expect(REPLY)
    [record] = await svc(bot).store.checkins(811)
    assert record["rpe"] == 6


async def test_reminder_due_during_outage_is_sent_once_afterwards(
    api: FakeBotAPI, bot, clock: Clock, pg_cluster: TempCluster, database_url: str
) -> None:
    """The dispatcher keeps ticking through the outage and delivers the reminder once after."""
    user = api.user(812)
    await checked_in(user)

    def refuels() -> int:
        return sum("Refuel time" in (e.text or "") for e in user.events)

    async with outage(pg_cluster, database_url):
        clock.advance(timedelta(minutes=30, seconds=1))
        await asyncio.sleep(0.5)  # ten ticks fail meanwhile
        assert refuels() == 0
    await user.expect("Refuel time")

    async def settled() -> bool:
        return (await statuses(bot, 812))["nutrition_open"] == "sent"

    await eventually(settled)
    await api.assert_quiet(user)
    assert refuels() == 1
