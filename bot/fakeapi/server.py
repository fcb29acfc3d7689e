"""Loopback HTTP server speaking the Telegram Bot API, for tests, sandboxes and benchmarks."""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from typing import Any

from aiohttp import web

from bot.fakeapi.errors import ApiError
from bot.fakeapi.faults import RandomFaults
from bot.fakeapi.lifecycle import Service
from bot.fakeapi.limits import RateLimits
from bot.fakeapi.methods import METHODS, chat_member
from bot.fakeapi.state import BotEvent, Upload, World, now
from bot.fakeapi.users import ChatView, FakeGroup, FakeUser
from bot.fakeapi.webhook import WebhookPusher

TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
QUIET_SECONDS = 0.3  # how long a chat must stay silent after the expected messages
# Parameters that are free text; every other form value is JSON-decoded when it parses.
TEXT_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "inline_message_id", "file_id", "parse_mode"}
    | {"action", "url", "title", "description", "short_description", "language_code"}
    | {"secret_token", "query", "name", "emoji", "question", "explanation"}
)


def _decode(key: str, value: str) -> Any:
    """A form value as Telegram reads it: JSON for structured/numeric fields, else the string."""
    if key in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _attach(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    """Put uploaded parts in place: under their own name or where "attach://name" refers."""
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = uploads.pop(value.removeprefix("attach://"), value)
    return {**uploads, **params}


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    params = {key: _decode(key, value) for key, value in request.query.items()}
    if request.content_type == "application/json" and request.can_read_body:
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    uploads: dict[str, Upload] = {}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = _decode(key, str(value))
    return _attach(params, uploads)


class FakeBotAPI(Service):
    """A fake Telegram Bot API server on 127.0.0.1 with scripted users."""

    def __init__(
        self,
        token: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure the server; token=None accepts any well-formed token."""
        self.token = token
        self.host = host
        self.port = port
        self.world = World(token)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._faults: dict[str, deque[ApiError]] = {}
        self.random_faults: RandomFaults | None = None  # set to inject faults at random
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self.limits = RateLimits()
        self.pusher = WebhookPusher(self.world)  # POSTs updates while setWebhook is in force
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        """Start listening; the chosen port is then in .port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_id}/{name}", self._handle_file)
        self.world.closed = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        await self.pusher.start()

    async def stop(self) -> None:
        """Stop pushing to the webhook, end pending long-polls and stop listening."""
        await self.pusher.stop()
        self.world.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Value for PTB's base_url (PTB appends the token and /method)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's base_file_url."""
        return f"http://{self.host}:{self.port}/file/bot"

    # -- scripting ----------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object."""
        return self.world.bot_user

    @property
    def blocked_users(self) -> set[int]:
        """Chat ids of users who blocked the bot (sending to them gives 403)."""
        return self.world.blocked_users

    @blocked_users.setter
    def blocked_users(self, users: set[int]) -> None:
        """Replace the set of users who blocked the bot."""
        self.world.blocked_users = set(users)

    def user(
        self,
        user_id: int,
        first_name: str = "Ana",
        username: str | None = None,
        language_code: str = "en",
    ) -> FakeUser:
        """The fake user with this id (created with its private chat on first call)."""
        if user_id not in self._users:
            user = {"id": user_id, "is_bot": False, "first_name": first_name}
            user |= {"language_code": language_code} | ({"username": username} if username else {})
            chat = {"id": user_id, "type": "private", "first_name": first_name}
            self.world.users[user_id] = user
            self.world.add_chat(chat | ({"username": username} if username else {}))
            self._users[user_id] = FakeUser(self.world, user)
        return self._users[user_id]

    def group(
        self, chat_id: int, title: str, type: str = "supergroup", username: str | None = None
    ) -> FakeGroup:
        """The fake group/supergroup/channel with this id (created on first call)."""
        if chat_id not in self._groups:
            info = {"id": chat_id, "type": type, "title": title}
            info = self.world.add_chat(info | ({"username": username} if username else {})).info
            self._groups[chat_id] = FakeGroup(self.world, info)
        return self._groups[chat_id]

    def upgrade_to_supergroup(self, group: FakeGroup, new_id: int, by: FakeUser) -> FakeGroup:
        """Turn a group into a supergroup with a new id, as Telegram does: a service message in
        each chat, members carried over, and sends to the old id answered 400 with
        migrate_to_chat_id."""
        old_id = group.chat_id
        new = self.group(new_id, group.info["title"], "supergroup")
        for (chat_id, user_id), status in list(self.world.members.items()):
            if chat_id == old_id:
                self.world.members[(new_id, user_id)] = status
        for chat_id, fields in (
            (old_id, {"migrate_to_chat_id": new_id}),
            (new_id, {"migrate_from_chat_id": old_id}),
        ):
            self.world.push_update({"message": self.world.add_message(chat_id, by.user, fields)})
        self.world.migrated[old_id] = new_id
        return new

    def set_bot_status(self, chat_id: int, status: str, by: FakeUser | None = None) -> None:
        """Change the bot's own status in a chat and deliver the my_chat_member update."""
        bot = self.world.bot_user
        old = self.world.member_status(chat_id, bot["id"])
        self.world.members[(chat_id, bot["id"])] = status
        change = {
            "chat": self.world.chat(chat_id).info,
            "from": by.user if by else bot,
            "date": now(),
            "old_chat_member": chat_member(bot, old),
            "new_chat_member": chat_member(bot, status),
        }
        self.world.push_update({"my_chat_member": change})

    def enforce_rate_limits(self, enabled: bool = True) -> None:
        """Answer sends beyond 30/s overall, 1/s per chat or 20/min per group with 429."""
        self.limits.enabled = enabled

    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Set a user's status in a chat: creator, administrator, member, restricted, left..."""
        self.world.members[(chat_id, user_id)] = status

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update; a given update_id is kept (e.g. to simulate re-delivery)."""
        return self.world.push_update(update)

    def next_update_id(self) -> int:
        """Reserve and return the next update_id."""
        return self.world.next_update_id()

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of method fail with a Telegram-style error."""
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(ApiError.build(status, description, retry_after) for _ in range(times))

    async def expect_only(
        self,
        chat: ChatView,
        *contains: str,
        kind: str = "message",
        quiet: float = QUIET_SECONDS,
        timeout: float = 5.0,  # noqa: ASYNC109 - as ChatView.expect's
    ) -> list[BotEvent]:
        """The chat's next bot events of `kind` are exactly these, one each and in this order, and
        no other follows within `quiet` seconds: an extra or a duplicated message fails."""
        found = []
        for text in contains:
            event = await chat.expect(kind=kind, timeout=timeout)
            if text.lower() not in (event.text or "").lower():
                raise AssertionError(
                    f"chat {chat.chat_id}: expected {kind} containing {text!r}, "
                    f"got {event.describe()}"
                )
            found.append(event)
        await self.assert_quiet(chat, quiet, kind=kind)
        return found

    async def assert_quiet(
        self, chat: ChatView, seconds: float = QUIET_SECONDS, *, kind: str = "message"
    ) -> None:
        """No unconsumed bot event of `kind` is in the chat, and none arrives within `seconds`
        (the wait ends on the world's event signal, so an extra one fails as it arrives)."""
        try:
            extra = await chat.expect(kind=kind, timeout=seconds)
        except AssertionError:
            return
        raise AssertionError(f"chat {chat.chat_id}: unexpected {extra.describe()}")

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every recorded call of one method (case-insensitive)."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    # -- HTTP ---------------------------------------------------------------

    def _check_token(self, token: str) -> None:
        """401 unless the token is the configured one (or well-formed when none is set)."""
        valid = token == self.token if self.token is not None else bool(TOKEN_RE.match(token))
        if not valid:
            raise ApiError(401, "Unauthorized")

    def _raise_fault(self, method: str) -> None:
        """Raise the next injected failure of this method, if any."""
        faults = self._faults.get(method.lower())
        if faults:
            raise faults.popleft()

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        """Serve /bot{token}/{method}."""
        params = await read_params(request)
        name, handler = METHODS.get(request.match_info["method"].lower(), (None, None))
        self.calls.append((name or request.match_info["method"], params))
        try:
            self._check_token(request.match_info["token"])
            if name is None or handler is None:
                raise ApiError(404, "Not Found")
            self._raise_fault(name)
            self.limits.check(name, self._chat_id(params))
            if await self._random_fault(name, params, request):
                return web.Response(status=499)  # never reaches the client: connection dropped
            result = await handler(self.world, params)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.status)
        return web.json_response({"ok": True, "result": result})

    def _chat_id(self, params: dict[str, Any]) -> int:
        """The numeric chat a call addresses (0 when none or unknown)."""
        raw = params.get("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            try:
                return int(self.world.chat_by_username(raw).info["id"])
            except ApiError:
                return 0
        return int(raw) if isinstance(raw, int | str) and str(raw).lstrip("-").isdigit() else 0

    async def _random_fault(self, name: str, params: dict[str, Any], request: web.Request) -> bool:
        """Apply a random fault (raise its ApiError or wait); True when the call must be dropped."""
        kind = self.random_faults.pick(name, params.get("chat_id")) if self.random_faults else None
        if kind is None or self.random_faults is None:
            return False
        if kind == "blocked":
            self.world.blocked_users.add(params["chat_id"])
        error = self.random_faults.error(kind)
        if error is not None:
            raise error
        if kind == "slow":
            await asyncio.sleep(self.random_faults.slow_seconds)
            return False
        if kind == "timeout":
            await asyncio.sleep(self.random_faults.hang_seconds)
        if request.transport is not None:
            request.transport.abort()
        return True

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serve a stored file's bytes under base_file_url."""
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.payload(), status=error.status)
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)
