"""Update intake that confirms an update to Telegram only once it has been handled.

PTB's Updater confirms as it fetches (polling: the next getUpdates offset moves past a batch
before it is processed; webhook: 200 before processing), so a kill in between loses an athlete's
answer silently. Here a batch is confirmed (the offset moves on) only after every update in it
was handled, and a webhook request is answered 200 only after its update was handled; a crash
before that makes Telegram deliver it again, and the update_id de-duplication makes the second
delivery change nothing. Delivery is therefore at-least-once, effects exactly-once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from contextlib import suppress
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.shell.http import AiohttpRequest

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_PAUSE = 1.0  # seconds after a failed getUpdates before asking again
BUSY_WAIT = 1.0  # at most this long before polling again while only old updates are in flight
BUSY_POLL_GAP = 0.02  # seconds between polls while updates are in flight (each returns them all)
UPDATE_TIMEOUT = 120  # seconds: far beyond any real handler (timeouts and retries included)
MAX_BODY = 1 << 20  # a Telegram update is far smaller than 1 MiB


async def handle(app: Application, update: Update) -> None:
    """Handle one update through the application's per-athlete ordering, until its end; one
    that hangs is abandoned after UPDATE_TIMEOUT so it cannot hold up everyone else's."""
    try:
        async with asyncio.timeout(UPDATE_TIMEOUT):
            await app.update_processor.process_update(update, app.process_update(update))
    except TimeoutError:
        log.error("update %s took over %s s; abandoned", update.update_id, UPDATE_TIMEOUT)


class UpdatesRequest(AiohttpRequest):
    """The getUpdates connection (PTB's `get_updates_request`): hands PTB only the updates from
    `first_new` on. Updates still being handled are offered again by every poll until confirmed;
    dropping them from the JSON keeps PTB from building their objects again each time, which
    cost more CPU than handling them once 100 athletes were answering at the same time."""

    def __init__(self, **kwargs: Any) -> None:
        """One connection (one poll at a time); nothing dropped until polling says where new
        updates begin."""
        super().__init__(1, **kwargs)
        self.first_new: int | None = None

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """The server's JSON without the updates below `first_new`."""
        data = super().parse_json_payload(payload)
        result, first = data.get("result"), self.first_new
        if first is not None and isinstance(result, list):
            data["result"] = [u for u in result if _update_id(u, first) >= first]
        return data


def _update_id(update: object, default: int) -> int:
    """The update_id of a raw update (`default` for anything unexpected: PTB reports it)."""
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if isinstance(value, int) else default


class DurablePolling:
    """Long polling whose getUpdates offset never moves past an update still being handled.

    Updates are handled as they arrive (different athletes concurrently, each athlete's in
    order). The offset sent to Telegram is the lowest id still in flight, so Telegram keeps
    offering those; they are recognised and not started twice. When a poll brings nothing new
    while some are in flight, the next poll waits for one of them to finish (no busy loop).
    With the application's `UpdatesRequest`, those offered again are not even parsed again.
    """

    def __init__(
        self, app: Application, timeout: int = 10, request: UpdatesRequest | None = None
    ) -> None:
        """Poll for `app` with a long-poll `timeout` in seconds, through `request` if given
        (the same object as the application's get_updates_request)."""
        self.app = app
        self.timeout = timeout
        self.request = request
        self.next_new: int | None = None  # the first update id not yet seen
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._poll: asyncio.Future[tuple[Update, ...]] | None = None
        self._stopping = False
        self._last_poll = 0.0

    @property
    def offset(self) -> int | None:
        """What getUpdates may confirm: everything below the lowest id still being handled."""
        return min(self._in_flight, default=self.next_new)

    async def start(self) -> None:
        """Drop any webhook (getUpdates refuses to work beside one) and start polling."""
        await self.app.bot.delete_webhook()
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="durable-polling")

    async def stop(self) -> None:
        """Stop polling; updates being handled are finished, then confirmed."""
        if self._task is None:
            return
        self._stopping = True
        if self._poll is not None:
            self._poll.cancel()  # only the long-poll request: handling runs to its end
        await self._task
        self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self.offset is not None:  # tell Telegram what was handled (best effort)
            with suppress(TelegramError):
                await self.app.bot.get_updates(offset=self.offset, timeout=0, limit=1)

    async def _loop(self) -> None:
        """Fetch, start what is new, and let the offset follow what has been handled."""
        while not self._stopping:
            busy = bool(self._in_flight)
            if busy:  # each poll brings back every update in flight: not more often than this
                await asyncio.sleep(self._last_poll + BUSY_POLL_GAP - time.monotonic())
            self._last_poll = time.monotonic()
            if self.request is not None:
                self.request.first_new = self.next_new
            self._poll = asyncio.ensure_future(
                self.app.bot.get_updates(
                    offset=self.offset,
                    timeout=0 if busy else self.timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
            )
            try:
                updates = await self._poll
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, Conflict) as exc:
                log.warning("getUpdates failed (%s); trying again", type(exc).__name__)
                await asyncio.sleep(RETRY_PAUSE)
                continue
            finally:
                self._poll = None
            if not self._start_new(updates) and self._in_flight:
                await asyncio.wait(
                    self._in_flight.values(), timeout=BUSY_WAIT, return_when="FIRST_COMPLETED"
                )

    def _start_new(self, updates: tuple[Update, ...]) -> bool:
        """Start handling the updates not seen before; whether there were any."""
        fresh = [
            u
            for u in updates
            if u.update_id not in self._in_flight
            and (self.next_new is None or u.update_id >= self.next_new)
        ]
        for update in fresh:
            task = asyncio.create_task(handle(self.app, update), name=f"update:{update.update_id}")
            self._in_flight[update.update_id] = task
            task.add_done_callback(lambda _t, uid=update.update_id: self._in_flight.pop(uid))
            self.next_new = update.update_id + 1
        return bool(fresh)


class DurableWebhook:
    """A webhook server that answers 200 only after the update was handled."""

    def __init__(self, app: Application, listen: str, port: int, path: str, secret: str) -> None:
        """Serve `path` on listen:port; requests must carry `secret` in Telegram's header."""
        self.app = app
        self.listen = listen
        self.port = port
        self.path = "/" + path.lstrip("/")
        self.secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}

    async def start(self, url: str) -> None:
        """Listen, then ask Telegram to post updates to `url`."""
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.app.bot.set_webhook(
            url, secret_token=self.secret.decode(), allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        """Stop accepting requests; updates being handled are finished first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _receive(self, request: web.Request) -> web.Response:
        """Check the secret (in constant time), handle the update, then confirm it."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403, text="wrong secret token")
        try:
            update = Update.de_json(json.loads(await request.read()), self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        task = self._in_flight.get(update.update_id)  # Telegram resent a slow one: join it
        if task is None:
            task = asyncio.create_task(handle(self.app, update))  # runs on if the caller leaves
            self._in_flight[update.update_id] = task
            task.add_done_callback(lambda _t, uid=update.update_id: self._in_flight.pop(uid))
        await asyncio.shield(task)
        return web.Response(status=200)


def _seconds(value: float | object) -> float:
    """A retry_after value (seconds or a timedelta, depending on PTB settings) in seconds."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
