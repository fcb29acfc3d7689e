"""Webhook delivery of the fake Bot API and the round-robin proxy standing in for nginx."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.fakeapi import FakeBotAPI, RoundRobinProxy
from bot.fakeapi.webhook import SECRET_HEADER
from testkit.ports import free_port
from tests.conftest import TOKEN, eventually

SECRET = "s3cret-Value_1"


async def until(check: Callable[[], bool]) -> None:
    """Wait until the synchronous check holds."""

    async def holds() -> bool:
        """The check, awaitable."""
        return check()

    await eventually(holds)


@asynccontextmanager
async def serving(handler: web.RequestHandler) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 answering every path with handler; yields its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class Receiver:
    """A webhook endpoint that fails its first requests, can hold requests, and records updates."""

    def __init__(self, fail_first: int = 0) -> None:
        """Answer 500 to the first fail_first requests, 200 afterwards."""
        self.fail_first = fail_first
        self.requests = 0
        self.secrets: list[str | None] = []
        self.received: list[dict] = []  # updates answered with 200, in answer order
        self.open = asyncio.Event()  # clear it to hold requests until set again
        self.open.set()
        self.chats_in_flight: Counter[int] = Counter()
        self.overlaps = 0  # requests that arrived while one of the same chat was held
        self.peak = 0  # most requests held at once

    async def handle(self, request: web.Request) -> web.Response:
        """Record the update; fail, or hold it while closed, then answer 200."""
        update = await request.json()
        self.requests += 1
        self.secrets.append(request.headers.get(SECRET_HEADER))
        if self.requests <= self.fail_first:
            return web.Response(status=500)
        chat = update["message"]["chat"]["id"]
        self.overlaps += self.chats_in_flight[chat] > 0
        self.chats_in_flight[chat] += 1
        self.peak = max(self.peak, self.chats_in_flight.total())
        try:
            await self.open.wait()
        finally:
            self.chats_in_flight[chat] -= 1
        self.received.append(update)
        return web.json_response({})

    def ids_by_chat(self) -> dict[int, list[int]]:
        """Received update_ids per chat, in arrival order."""
        chats: dict[int, list[int]] = {}
        for update in self.received:
            chats.setdefault(update["message"]["chat"]["id"], []).append(update["update_id"])
        return chats


@pytest.fixture
async def client(api: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    """A PTB Bot pointed at the fake server (to set and inspect the webhook)."""
    async with telegram.Bot(TOKEN, base_url=api.base_url) as bot:
        yield bot


@pytest.fixture
def fast_retries(api: FakeBotAPI) -> None:
    """Retry failed deliveries within milliseconds so the tests stay fast."""
    api.pusher.retry_first, api.pusher.retry_max = 0.01, 0.05


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text with the worker's name and the text."""
    assert update.message is not None
    await update.message.reply_text(f"{context.bot_data['name']}: {update.message.text}")


@asynccontextmanager
async def webhook_worker(api: FakeBotAPI, name: str, webhook_url: str, port: int):
    """A PTB Application with an echo handler, receiving updates by webhook on port."""
    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.bot_data["name"] = name
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=webhook_url,
            secret_token=SECRET,
        )
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            await app.stop()


async def test_ptb_webhook_application_receives_user_messages(
    api: FakeBotAPI, client: telegram.Bot
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    ana, ben = api.user(501), api.user(502)
    async with webhook_worker(api, "w1", url, port):
        await ana.send("hello")
        await ben.send("hi there")
        await ana.expect("w1: hello")
        await ben.expect("w1: hi there")
        await until(lambda: api.world.webhook_deliveries == 2)
        info = await client.get_webhook_info()
        assert (info.url, info.pending_update_count, info.max_connections) == (url, 0, 40)
        assert info.last_error_message is None
        with pytest.raises(telegram.error.Conflict):
            await client.get_updates()
    assert api.calls_of("setWebhook")[0]["secret_token"] == SECRET


async def test_failing_endpoint_gets_retries_and_nothing_is_lost(
    api: FakeBotAPI, client: telegram.Bot, fast_retries: None
) -> None:
    receiver = Receiver(fail_first=4)
    users = [api.user(510 + n) for n in range(3)]
    async with serving(receiver.handle) as base:
        await client.set_webhook(f"{base}/hook", secret_token=SECRET)
        sent = [(await user.send(f"m{n}"))["update_id"] for n in range(3) for user in users]
        await until(lambda: len(receiver.received) == len(sent))
        info = await client.get_webhook_info()
    assert sorted(u["update_id"] for u in receiver.received) == sorted(sent)
    assert all(ids == sorted(ids) for ids in receiver.ids_by_chat().values())
    assert receiver.requests == len(sent) + 4
    assert set(receiver.secrets) == {SECRET}
    assert (api.world.webhook_deliveries, info.pending_update_count) == (len(sent), 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None


async def test_unreachable_webhook_keeps_updates_until_redirected(
    api: FakeBotAPI, client: telegram.Bot, fast_retries: None
) -> None:
    user = api.user(520)
    await client.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    sent = [(await user.send(f"m{n}"))["update_id"] for n in range(3)]

    async def failed() -> bool:
        """The fake API has recorded a connection failure."""
        info = await client.get_webhook_info()
        return (info.last_error_message or "").startswith("Connection failed")

    await eventually(failed)
    assert (await client.get_webhook_info()).pending_update_count == 3
    receiver = Receiver()
    async with serving(receiver.handle) as base:
        await client.set_webhook(f"{base}/hook")
        await until(lambda: len(receiver.received) == 3)
        info = await client.get_webhook_info()
    assert [u["update_id"] for u in receiver.received] == sent
    assert (info.pending_update_count, info.last_error_message) == (0, None)


async def test_one_request_per_chat_at_a_time_within_max_connections(
    api: FakeBotAPI, client: telegram.Bot
) -> None:
    receiver = Receiver()
    receiver.open.clear()
    users = [api.user(530 + n) for n in range(6)]
    async with serving(receiver.handle) as base:
        await client.set_webhook(f"{base}/hook", max_connections=4)
        for user in users:
            for n in range(3):
                await user.send(f"m{n}")
        await until(lambda: receiver.peak == 4)
        await asyncio.sleep(0.1)  # room for a wrong fifth request to show up
        assert (receiver.requests, api.pusher.in_flight) == (4, 4)
        receiver.open.set()
        await until(lambda: len(receiver.received) == 18)
    assert (receiver.overlaps, receiver.peak) == (0, 4)
    by_chat = receiver.ids_by_chat()
    assert len(by_chat) == 6
    assert all(len(ids) == 3 and ids == sorted(ids) for ids in by_chat.values())


async def test_deleted_webhook_hands_updates_back_to_get_updates(
    api: FakeBotAPI, client: telegram.Bot, fast_retries: None
) -> None:
    user = api.user(540)
    await client.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    sent = await user.send("still here")
    await until(lambda: api.world.webhook.last_error_date is not None)
    await client.delete_webhook()
    updates = await client.get_updates(timeout=1)
    assert [u.update_id for u in updates] == [sent["update_id"]]
    assert api.pusher.in_flight == 0


async def test_proxy_alternates_upstreams_and_skips_a_stopped_one() -> None:
    async def named(name: str, request: web.Request) -> web.Response:
        """Answer with the upstream's name, the path, a forwarded header and the body."""
        body = await request.text()
        return web.Response(text=f"{name} {request.path_qs} {request.headers['X-Test']} {body}")

    async with (
        serving(partial(named, "a")) as a,
        serving(partial(named, "b")) as b,
        RoundRobinProxy([a, b]) as proxy,
        aiohttp.ClientSession() as http,
    ):

        async def ask() -> tuple[int, str]:
            """POST through the proxy; (status, text)."""
            async with http.post(f"{proxy.url}/x?q=1", data="hi", headers={"X-Test": "t"}) as r:
                return r.status, await r.text()

        assert [await ask() for _ in range(4)] == [
            (200, "a /x?q=1 t hi"),
            (200, "b /x?q=1 t hi"),
        ] * 2
        async with serving(partial(named, "c")) as c:
            proxy.remove(a)
            proxy.add(c)
            assert {(await ask())[1][0] for _ in range(4)} == {"b", "c"}
        assert [(await ask())[1][0] for _ in range(3)] == ["b"] * 3
        assert proxy.refused[c] >= 1
        proxy.remove(b)
        assert (await ask())[0] == 502  # only the stopped upstream is left


async def test_two_webhook_workers_behind_the_proxy_share_updates(api: FakeBotAPI) -> None:
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]) as proxy:
        url = f"{proxy.url}/hook"
        async with (
            webhook_worker(api, "w1", url, ports[0]) as first,
            webhook_worker(api, "w2", url, ports[1]),
        ):
            users = [api.user(550 + n) for n in range(6)]
            for user in users:
                await user.send("one")
            answers = [(await user.expect(": one")).text for user in users]
            assert {text.split(":")[0] for text in answers} == {"w1", "w2"}
            await first.updater.stop()
            for user in users:
                await user.send("two")
            assert [(await user.expect(": two")).text for user in users] == ["w2: two"] * 6
    assert api.world.webhook_deliveries == 12
    assert api.world.pending_update_count == 0
