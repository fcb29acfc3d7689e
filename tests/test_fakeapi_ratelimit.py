"""The fake server's opt-in flood limits and its per-event listeners."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import RetryAfter

from bot.fakeapi import ApiError, BotEvent, FakeBotAPI
from bot.fakeapi.ratelimit import FloodLimits

TOKEN = "123456:test-token"


class FakeTime:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        """Start at an arbitrary instant."""
        self.now = 100.0

    def __call__(self) -> float:
        """The current instant."""
        return self.now


def test_global_burst_then_steady_rate() -> None:
    """30 messages to 30 chats pass at once, the 31st waits; a second later 30 more pass."""
    clock = FakeTime()
    limits = FloodLimits(clock=clock)
    for chat in range(30):
        limits.check("sendMessage", chat)
    with pytest.raises(ApiError) as caught:
        limits.check("sendMessage", 99)
    assert (caught.value.status, caught.value.retry_after) == (429, 1)
    clock.now += 1.0
    for chat in range(100, 130):
        limits.check("sendMessage", chat)
    assert (limits.accepted, limits.rejected) == (60, 1)


def test_one_message_per_chat_per_second() -> None:
    """A second message to the same chat within a second is refused; after it, accepted."""
    clock = FakeTime()
    limits = FloodLimits(clock=clock)
    limits.check("sendMessage", 7)
    clock.now += 0.5
    with pytest.raises(ApiError):
        limits.check("sendMessage", 7)
    clock.now += 0.5
    limits.check("sendMessage", 7)
    assert limits.rejected == 1


def test_only_message_sends_to_a_chat_count() -> None:
    """Edits, callback answers and calls without chat_id are never limited."""
    clock = FakeTime()
    limits = FloodLimits(per_second=1, clock=clock)
    limits.check("sendMessage", 1)
    for _ in range(5):
        limits.check("editMessageText", 1)
        limits.check("answerCallbackQuery", None)
        limits.check("sendMessage", None)
    assert (limits.accepted, limits.rejected) == (1, 0)


async def test_server_answers_429_with_retry_after() -> None:
    """Over HTTP a real PTB client sees RetryAfter, and the refused message is not delivered."""
    limits = FloodLimits(per_chat_per_second=0.5)
    async with (
        FakeBotAPI(TOKEN, flood_limits=limits) as server,
        telegram.Bot(TOKEN, base_url=server.base_url) as bot,
    ):
        user = server.user(42)
        await bot.send_message(42, "first")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(42, "second")
        assert "Retry in 2 seconds" in caught.value.message
        assert [event.text for event in user.events] == ["first"]
        assert limits.rejected == 1


async def test_listeners_see_every_bot_event() -> None:
    """World.listeners are called with each output event, in order."""
    async with (
        FakeBotAPI(TOKEN) as server,
        telegram.Bot(TOKEN, base_url=server.base_url) as bot,
    ):
        server.user(42)
        seen: list[BotEvent] = []
        server.world.listeners.append(seen.append)
        sent = await bot.send_message(42, "hi")
        await bot.edit_message_text("hi again", chat_id=42, message_id=sent.message_id)
        assert [(e.kind, e.chat_id, e.text) for e in seen] == [
            ("message", 42, "hi"),
            ("edit", 42, "hi again"),
        ]
