"""The bot's store opened directly, with the token the tests and benchmarks use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.shell.app import make_store
from bot.shell.config import load_settings
from bot.storage import Store

TOKEN = "123456:TEST-token-for-the-loopback-fake-api"


@asynccontextmanager
async def direct_store(data_dir: Path, database_url: str | None) -> AsyncIterator[Store]:
    """The bot's store opened directly, to seed or inspect data while no bot runs."""
    store = make_store(load_settings(token=TOKEN, data_dir=data_dir, database_url=database_url))
    await store.open()
    try:
        yield store
    finally:
        await store.close()
