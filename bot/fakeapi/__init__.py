"""Fake Telegram Bot API server on loopback, with scripted users, webhook delivery and a
round-robin proxy, for tests, sandboxes and benchmarks."""

from bot.fakeapi.errors import ApiError
from bot.fakeapi.faults import FAULTS, RandomFaults
from bot.fakeapi.markup import BOT_USERNAME
from bot.fakeapi.proxy import RoundRobinProxy
from bot.fakeapi.server import FakeBotAPI
from bot.fakeapi.state import BotEvent
from bot.fakeapi.users import FakeGroup, FakeUser

__all__ = [
    "BOT_USERNAME",
    "FAULTS",
    "ApiError",
    "BotEvent",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "RandomFaults",
    "RoundRobinProxy",
]
