"""Webhook delivery of the fake Bot API: queued updates POSTed one by one to the set URL."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp

from bot.fakeapi.state import QueuedUpdate, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def order_key(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (else its user); updates of one key are kept in order."""
    payload = next((v for k, v in update.items() if k != "update_id" and isinstance(v, dict)), {})
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat") or {}
    sender = payload.get("from") or payload.get("user") or {}
    key = chat.get("id", sender.get("id"))
    return key if isinstance(key, int) else None


class WebhookPusher:
    """POSTs pending updates to the webhook while one is set, as Telegram does.

    Up to the webhook's max_connections requests are in flight, never two of one chat; an
    update is confirmed only by a 2xx answer, else retried after a growing, capped pause.
    """

    def __init__(
        self,
        world: World,
        *,
        retry_first: float = 0.2,
        retry_max: float = 1.0,
        request_timeout: float = 10.0,
    ) -> None:
        """Deliver the updates of world; nothing runs before start()."""
        self.world = world
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.request_timeout = request_timeout
        self._url = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def in_flight(self) -> int:
        """Number of webhook requests currently under way."""
        return len(self._tasks)

    async def start(self) -> None:
        """Start watching the queue and the webhook setting."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
        )
        self._runner = asyncio.create_task(self._run(), name="fakeapi-webhook")

    async def stop(self) -> None:
        """Cancel the pusher and its requests (their updates stay queued)."""
        tasks = [*self._tasks, *([self._runner] if self._runner else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = None
        self._url = ""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        """Dispatch whenever updates arrive, requests end, the webhook changes or a retry is due."""
        while True:
            pause = self._dispatch()
            try:
                async with asyncio.timeout(pause):
                    await self.world.updates_signal.wait()
            except TimeoutError:
                pass

    def _dispatch(self) -> float | None:
        """Start every request that may start now; seconds until the next retry is due."""
        hook = self.world.webhook
        if hook.url != self._url:  # deleted or moved: requests to the old URL are abandoned
            for task in self._tasks:
                task.cancel()
            self._url = hook.url
        if not hook.url:
            return None
        now = asyncio.get_running_loop().time()
        held: set[int] = set()  # chats with an earlier update still unconfirmed
        pause = math.inf
        for queued in self.world.queued_updates():
            if len(self._tasks) >= hook.max_connections:
                break
            key = order_key(queued.update)
            if key in held:
                continue
            if key is not None:
                held.add(key)
            if queued.in_flight:
                continue
            if queued.retry_at > now:
                pause = min(pause, queued.retry_at - now)
                continue
            queued.in_flight = True
            task = asyncio.create_task(self._deliver(queued, hook.url, hook.secret_token))
            self._tasks.add(task)
        return None if pause == math.inf else pause

    async def _deliver(self, queued: QueuedUpdate, url: str, secret: str | None) -> None:
        """POST one update, then confirm it or schedule its retry, and wake the dispatcher."""
        try:
            error = await self._post(queued.update, url, secret)
            if error is None:
                self.world.confirm_delivery(queued.update_id)
            else:
                queued.attempts += 1
                pause = self.retry_first * 2 ** min(queued.attempts - 1, 16)
                queued.retry_at = asyncio.get_running_loop().time() + min(pause, self.retry_max)
                self.world.webhook_failed(url, error)
        finally:
            queued.in_flight = False
            task = asyncio.current_task()
            if task is not None:
                self._tasks.discard(task)
            self.world.updates_signal.notify()

    async def _post(self, update: dict[str, Any], url: str, secret: str | None) -> str | None:
        """POST the update as JSON; None on a 2xx answer, else the error as Telegram words it."""
        assert self._session is not None, "start() the pusher first"
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as answer:
                await answer.read()
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc}"
        if 200 <= answer.status < 300:
            return None
        return f"Wrong response from the webhook: {answer.status} {answer.reason}"
