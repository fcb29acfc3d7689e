"""Concurrent update processing that still keeps each athlete's updates in order."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256


def sequence_key(update: object) -> Hashable:
    """Whose updates must not overlap: the user's (else the chat's); one shared key otherwise."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", None)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Runs different users' updates concurrently, each user's one at a time in arrival order.

    A user's answers read and rewrite their draft, so two of them must never interleave; the
    FIFO asyncio.Lock per user keeps them in the order PTB fetched them, and `guard` (the store's
    lock) keeps other processes sharing the database from handling the same user meanwhile.
    """

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        guard: Callable[[Hashable], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        """Allow up to `max_concurrent_updates` updates in flight."""
        super().__init__(max_concurrent_updates)
        self._guard = guard or (lambda _key: nullcontext())
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: Counter[Hashable] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update once its user's earlier updates are done."""
        key = sequence_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock, self._guard(key):
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    @property
    def users_in_flight(self) -> int:
        """How many users have updates being processed or waiting."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
