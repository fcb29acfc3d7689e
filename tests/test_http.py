"""BoundedHTTPXRequest keeps at most `slots` Bot API calls in flight, over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.fakeapi import FakeBotAPI
from bot.shell.http import BoundedHTTPXRequest

TOKEN = "123456:test-token"


async def test_at_most_slots_requests_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    """20 concurrent sends all arrive, with never more than 3 inside PTB's HTTPX client."""
    in_flight, peak = 0, 0
    original = HTTPXRequest.do_request

    async def counting(self, *args, **kwargs):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(self, *args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(HTTPXRequest, "do_request", counting)
    async with FakeBotAPI(TOKEN) as server:
        server.user(42)
        request = BoundedHTTPXRequest(3)
        async with telegram.Bot(TOKEN, base_url=server.base_url, request=request) as bot:
            await asyncio.gather(*(bot.send_message(42, f"m{n}") for n in range(20)))
        assert len(server.calls_of("sendMessage")) == 20
    assert 1 < peak <= 3
