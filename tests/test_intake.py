"""Updates are confirmed to Telegram only after they were handled: a crash mid-update loses
nothing (polling and webhook), and the webhook checks its secret before anything else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.fakeapi import FakeBotAPI
from bot.shell.intake import SECRET_HEADER, DurablePolling, DurableWebhook
from bot.shell.updates import PerUserUpdateProcessor
from testkit.ports import free_port
from tests.conftest import TOKEN

SECRET = "intake-Secret_0123456789"


class Recorder:
    """A /work handler that records each update id and finishes only once released."""

    def __init__(self, *, released: bool = False) -> None:
        """Nothing seen yet."""
        self.seen: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        if released:
            self.release.set()

    async def work(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the update; hang (like a handler killed mid-write) until released."""
        self.seen.append(update.update_id)
        self.started.set()
        await self.release.wait()
        await update.effective_chat.send_message("done")


@pytest.fixture
async def app_factory(api: FakeBotAPI) -> AsyncIterator:
    """Build started Applications against the fake API; all are shut down at the end."""
    apps: list[Application] = []

    async def build(recorder: Recorder) -> Application:
        app = (
            Application.builder()
            .token(TOKEN)
            .base_url(api.base_url)
            .concurrent_updates(PerUserUpdateProcessor())
            .build()
        )
        app.add_handler(CommandHandler("work", recorder.work))
        await app.initialize()
        await app.start()
        apps.append(app)
        return app

    yield build
    for app in apps:
        if app.running:
            await app.stop()
        await app.shutdown()


async def crash(task: asyncio.Task) -> None:
    """Stop a task the way SIGKILL stops a process: no clean-up, no confirmation."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_polling_crash_mid_update_redelivers_it(api: FakeBotAPI, app_factory) -> None:
    user = api.user(71)
    first = Recorder()
    polling = DurablePolling(await app_factory(first), timeout=1)
    await polling.start()
    sent = await user.send("/work")
    await asyncio.wait_for(first.started.wait(), 5)
    polls = len(api.calls_of("getUpdates"))
    await _until(lambda: len(api.calls_of("getUpdates")) > polls)  # would confirm it in PTB's
    await crash(polling._task)
    second = Recorder(released=True)
    restarted = DurablePolling(await app_factory(second), timeout=1)
    await restarted.start()
    await user.expect("done")
    await restarted.stop()
    assert second.seen == [sent["update_id"]]


async def test_webhook_answers_only_after_handling_and_checks_the_secret(
    api: FakeBotAPI, app_factory
) -> None:
    recorder = Recorder()
    port = free_port()
    hook = DurableWebhook(await app_factory(recorder), "127.0.0.1", port, "/hook", SECRET)
    await hook.start(f"http://127.0.0.1:{port}/hook")
    user = api.user(72)
    sent = await user.send("/work")  # the fake API posts it to the webhook, as Telegram does
    await asyncio.wait_for(recorder.started.wait(), 5)
    await asyncio.sleep(0.3)
    assert api.world.webhook_deliveries == 0  # not confirmed while it is being handled
    recorder.release.set()
    await user.expect("done", timeout=10)
    await _until(lambda: api.world.webhook_deliveries == 1)
    assert recorder.seen.count(sent["update_id"]) >= 1
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/hook"
        for headers in ({}, {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: SECRET + "x"}):
            async with session.post(url, json={"update_id": 1}, headers=headers) as response:
                assert response.status == 403
        async with session.post(url, data=b"{", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    await hook.stop()


async def _until(condition, within: float = 5.0) -> None:
    """Wait until `condition()` holds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)
