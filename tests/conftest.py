"""Shared fixtures: a loopback fake Bot API, a throwaway PostgreSQL server, and the real bot
Application running against them (on each storage backend)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.fakeapi import FakeBotAPI, FakeUser
from bot.shell.app import build_application, running
from bot.shell.clock import Clock
from bot.shell.config import Settings, load_settings
from bot.shell.context import Services
from rules.catalogue import SLEEP_WHY
from testkit.pgcluster import TempCluster, start_for_pytest
from testkit.store import TOKEN

REPLY = SLEEP_WHY  # every guidance reply carries the sleep point

BotFactory = Callable[[], AbstractAsyncContextManager[Application]]
BACKENDS = ("tinydb", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the store on each backend (or those its `backends` mark names)."""
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("backend", only.args if only else BACKENDS)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """An empty PostgreSQL database for the postgres backend; None for TinyDB files."""
    if backend == "tinydb":
        yield None
        return
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.lend_database()
    yield url
    cluster.give_back(url)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1."""
    async with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TempCluster]:
    """A throwaway PostgreSQL server for the session; skips (or fails in CI) if there is none."""
    cluster = start_for_pytest(TempCluster())
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The bot's data folder for this test."""
    return tmp_path / "data"


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, shared across restarts so tests can fast-forward time."""
    return Clock()


def bot_settings(
    api: FakeBotAPI, data_dir: Path, database_url: str | None = None, **overrides: object
) -> Settings:
    """The bot's settings against the fake API: fast ticks, no flood gate in the way of
    scripted users acting at machine speed (see test_security), and unpaced sends (strict
    pacing, a second between two messages to a chat, is tested in test_pacing)."""
    return load_settings(
        **{
            "token": TOKEN,
            "api_url": api.base_url,
            "data_dir": data_dir,
            "database_url": database_url,
            "tick_seconds": 0.05,
            "flood_max_updates": 100_000,
            "send_rate": 0,
            **overrides,
        }
    )


@pytest.fixture
def bot_factory(
    api: FakeBotAPI, data_dir: Path, clock: Clock, database_url: str | None
) -> BotFactory:
    """Start the real Application (polling the fake API); call again to 'restart' it."""

    @asynccontextmanager
    async def start() -> AsyncIterator[Application]:
        settings = bot_settings(api, data_dir, database_url)
        async with running(build_application(settings, clock), poll_timeout=1) as app:
            yield app

    return start


@pytest.fixture
async def bot(bot_factory: BotFactory) -> AsyncIterator[Application]:
    """The running bot."""
    async with bot_factory() as app:
        yield app


def svc(app: Application) -> Services:
    """The services of a running app."""
    return app.bot_data["services"]


async def onboard(
    user: FakeUser, zone_label: str = "Berlin / Paris", bedtime: str = "22:30"
) -> None:
    """Run /start with consent, a time zone and a bedtime."""
    await user.send("/start")
    await user.expect("not medical advice")
    await user.expect("OK to store")
    await user.press("I agree")
    await user.expect("time zone")
    await user.press(zone_label)
    await user.expect("go to bed")
    await user.press(bedtime)
    await user.expect("All set")


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until the async `check` holds (the bot works concurrently with the test)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def withdraw(user: FakeUser) -> None:
    """Withdraw consent through /settings."""
    await user.send("/settings")
    await user.expect("Your settings")
    await user.press_data("set|consent")
    await user.expect("Withdraw consent?")
    await user.press("Yes, withdraw")
    await user.expect("Consent withdrawn")


async def consent_again(user: FakeUser) -> None:
    """After withdrawal, a button that needs consent: set-up asks only for consent again."""
    await user.expect("20-second set-up")
    await user.expect("OK to store")
    await user.press("I agree")  # time zone and bedtime are stored: not asked again
    await user.expect("All set")
