"""AiohttpRequest, PTB's transport for every Bot API call, over real HTTP on 127.0.0.1: calls
and uploads arrive as PTB sends them, at most `connections` at once, and transport failures
become PTB's TimedOut / NetworkError."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import telegram
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.fakeapi import FakeBotAPI
from bot.shell.http import AiohttpRequest
from testkit.ports import free_port

TOKEN = "123456:test-token"


MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}


class SlowServer:
    """Answers every POST with a message after `delay` seconds, counting those in flight."""

    def __init__(self, delay: float) -> None:
        """Nothing received yet."""
        self.delay = delay
        self.in_flight = self.peak = self.served = 0
        self.forms: list[dict[str, object]] = []

    async def receive(self, request: web.Request) -> web.Response:
        """Record the form, wait, answer."""
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            form = await request.post()
            self.forms.append({k: _field(v) for k, v in form.items()})
            await asyncio.sleep(self.delay)
            self.served += 1
            return web.json_response({"ok": True, "result": MESSAGE})
        finally:
            self.in_flight -= 1


@asynccontextmanager
async def opened(request: AiohttpRequest) -> AsyncIterator[AiohttpRequest]:
    """The request initialized for the block and shut down after it."""
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def _field(value: object) -> object:
    """A form field as text, or an uploaded file as (file name, content)."""
    upload = getattr(value, "file", None)
    return value if upload is None else (getattr(value, "filename", None), upload.read())


@pytest.fixture
async def slow() -> AsyncIterator[tuple[SlowServer, str]]:
    """A SlowServer on 127.0.0.1 and its URL."""
    server = SlowServer(delay=0.05)
    app = web.Application()
    app.router.add_post("/{tail:.*}", server.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield server, f"http://{host}:{port}"
    await runner.cleanup()


async def test_real_calls_and_uploads_through_ptb() -> None:
    """A message and a photo upload reach the fake Bot API exactly as sent."""
    async with FakeBotAPI(TOKEN) as server:
        user = server.user(42)
        request = AiohttpRequest(3)
        async with telegram.Bot(TOKEN, base_url=server.base_url, request=request) as bot:
            sent = await bot.send_message(42, "Refuel now: 3:1 carbs to protein ✓")
            await bot.send_document(42, io.BytesIO(b"a,b\n1,2\n"), filename="export.csv")
        assert sent.text == "Refuel now: 3:1 carbs to protein ✓"
        await user.expect("Refuel now: 3:1 carbs to protein ✓")
        assert user.messages[-1]["document"]["file_name"] == "export.csv"


async def test_at_most_connections_in_flight(slow: tuple[SlowServer, str]) -> None:
    """20 concurrent calls all arrive, never more than 3 at the server at once."""
    server, url = slow
    async with opened(AiohttpRequest(3)) as request:
        data = RequestData()
        results = await asyncio.gather(
            *(request.post(f"{url}/m{n}", data, pool_timeout=10) for n in range(20))
        )
    assert results == [MESSAGE] * 20
    assert server.served == 20
    assert 1 < server.peak <= 3


async def test_upload_is_multipart_with_its_file_name(slow: tuple[SlowServer, str]) -> None:
    """Files go as multipart parts with their names; the other parameters as form fields."""
    server, url = slow
    async with opened(AiohttpRequest()) as request:
        bot = telegram.Bot(TOKEN, base_url=f"{url}/bot", request=request)
        await bot.send_document(7, io.BytesIO(b"x;y"), filename="h.csv", caption="c")
    form = server.forms[-1]
    assert form["document"] == ("h.csv", b"x;y")
    assert (form["chat_id"], form["caption"]) == ("7", "c")


async def test_a_slow_answer_is_timed_out(slow: tuple[SlowServer, str]) -> None:
    """A reply slower than the read timeout raises PTB's TimedOut."""
    server, url = slow
    server.delay = 2.0
    async with opened(AiohttpRequest(read_timeout=0.2)) as request:
        with pytest.raises(TimedOut):
            await request.post(f"{url}/getMe")


async def test_nobody_listening_is_a_network_error() -> None:
    """A refused connection raises PTB's NetworkError (the caller retries), not aiohttp's."""
    async with opened(AiohttpRequest()) as request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{free_port()}/getMe")


async def test_a_request_not_initialized_refuses_calls() -> None:
    """Calling before initialize (or after shutdown) is refused with a plain reason."""
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:1/getMe")
    async with opened(request):
        pass
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:1/getMe")


async def test_no_error_carries_the_token() -> None:
    """aiohttp puts the URL (and so the token) in some errors: the message masks it and the
    cause is not chained."""
    async with opened(AiohttpRequest()) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post("http://[::1/bot123456:SECRET-token/getMe")
    assert "SECRET" not in str(caught.value)
    assert "/bot<token>/" in str(caught.value)
    assert "SECRET" not in repr(caught.value.__cause__)
