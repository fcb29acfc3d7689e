"""In-memory world of the fake Bot API: chats, messages, updates, files and bot output."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.markup import BOT_USERNAME, inline_buttons

DEFAULT_BOT_ID = 7000000001


def bot_user(token: str | None) -> dict[str, Any]:
    """The bot's own User object, as getMe returns it."""
    prefix = (token or "").split(":", 1)[0]
    return {
        "id": int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID,
        "is_bot": True,
        "first_name": "Heavy Legs",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def now() -> int:
    """Current Unix time, as Telegram dates are."""
    return int(time.time())


@dataclass
class Upload:
    """A file part received in a multipart request."""

    filename: str
    data: bytes
    mime_type: str


@dataclass
class StoredFile:
    """A file known to the server, addressable by file_id."""

    file_id: str
    file_unique_id: str
    filename: str
    data: bytes
    mime_type: str


@dataclass
class BotEvent:
    """One thing the bot did in a chat: message, edit, document, photo, callback_answer, delete."""

    kind: str
    chat_id: int
    message_id: int | None
    text: str | None
    buttons: list[list[tuple[str, str | None]]]
    raw: dict[str, Any]
    filename: str | None = None
    data: bytes | None = None

    @classmethod
    def from_message(
        cls, kind: str, message: dict[str, Any], file: StoredFile | None = None
    ) -> BotEvent:
        """Describe a bot message (sent or edited) as an event."""
        return cls(
            kind=kind,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=message.get("text", message.get("caption")),
            buttons=inline_buttons(message),
            raw=message,
            filename=file.filename if file else None,
            data=file.data if file else None,
        )

    def describe(self) -> str:
        """One line for assertion messages."""
        buttons = [label for row in self.buttons for label, _ in row]
        extra = f" buttons={buttons}" if buttons else ""
        extra += f" file={self.filename!r}" if self.filename else ""
        return f"[{self.kind} #{self.message_id}] {self.text!r}{extra}"


@dataclass
class ChatState:
    """A chat with its messages (user and bot) and the bot's output events."""

    info: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[BotEvent] = field(default_factory=list)
    last_message_id: int = 0
    reply_keyboard: list[list[str]] | None = None
    bot_message_ids: set[int] = field(default_factory=set)

    def bot_messages(self) -> list[dict[str, Any]]:
        """Current (edited, not deleted) bot messages, oldest first."""
        return [msg for mid, msg in sorted(self.messages.items()) if mid in self.bot_message_ids]


@dataclass
class QueuedUpdate:
    """An update waiting to be confirmed by getUpdates or by a 2xx answer of the webhook."""

    update: dict[str, Any]
    delivered: bool = False  # handed out by getUpdates
    in_flight: bool = False  # being POSTed to the webhook
    attempts: int = 0  # failed webhook deliveries so far
    retry_at: float = 0.0  # loop time before which the webhook is not tried again

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        """The update type, e.g. "message" or "callback_query"."""
        return next((key for key in self.update if key != "update_id"), "")


@dataclass
class Webhook:
    """The webhook set by setWebhook (url "" when none) and the last failure to deliver to it."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class Signal:
    """Wakes every coroutine currently waiting whenever something changes."""

    def __init__(self) -> None:
        """Start with no waiters."""
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake all current waiters."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self) -> None:
        """Wait for the next notify (bound it with asyncio.timeout)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)


class World:
    """All state shared by the HTTP side (the bot) and the playing users."""

    def __init__(self, token: str | None) -> None:
        """Create an empty world for a bot with this token."""
        self.bot_user = bot_user(token)
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatState] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.migrated: dict[int, int] = {}  # a group's id -> its supergroup's, once upgraded
        self.blocked_users: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.open_callbacks: dict[str, int] = {}
        self.webhook = Webhook()
        self.webhook_deliveries = 0  # updates confirmed by a 2xx answer of the webhook
        self.allowed_updates: list[str] | None = None
        self.closed = False
        self.updates_signal = Signal()
        self.events_signal = Signal()
        # Called with every bot output event (e.g. benchmarks timing replies per chat).
        self.listeners: list[Callable[[BotEvent], None]] = []
        self._queue: list[QueuedUpdate] = []
        self._last_update_id = 0
        self._ids = itertools.count(1)

    # -- chats and messages -------------------------------------------------

    def add_chat(self, info: dict[str, Any]) -> ChatState:
        """Register a chat (idempotent) and return its state."""
        return self.chats.setdefault(info["id"], ChatState(info))

    def chat(self, chat_id: int) -> ChatState:
        """The chat with this id, or 400 "chat not found"."""
        if chat_id not in self.chats:
            raise ApiError.bad_request("chat not found")
        return self.chats[chat_id]

    def chat_by_username(self, username: str) -> ChatState:
        """The chat whose @username matches, or 400 "chat not found"."""
        wanted = username.lstrip("@").lower()
        for chat in self.chats.values():
            if str(chat.info.get("username", "")).lower() == wanted:
                return chat
        raise ApiError.bad_request("chat not found")

    def add_message(
        self, chat_id: int, sender: dict[str, Any] | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Create a message in a chat with the next message_id and return it."""
        chat = self.chat(chat_id)
        chat.last_message_id += 1
        message: dict[str, Any] = {"message_id": chat.last_message_id, "date": now()}
        if sender is not None:
            message["from"] = sender
        message.update({"chat": chat.info, **fields})
        chat.messages[message["message_id"]] = message
        return message

    def record(self, event: BotEvent) -> None:
        """Append a bot output event to its chat and wake expecting users."""
        self.chat(event.chat_id).events.append(event)
        for listener in self.listeners:
            listener(event)
        self.events_signal.notify()

    def add_bot_message(self, chat_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a message sent by the bot (channel posts carry sender_chat instead of from)."""
        chat = self.chat(chat_id)
        if chat.info["type"] == "channel":
            message = self.add_message(chat_id, None, {"sender_chat": chat.info, **fields})
        else:
            message = self.add_message(chat_id, self.bot_user, fields)
        chat.bot_message_ids.add(message["message_id"])
        return message

    def member_status(self, chat_id: int, user_id: int) -> str:
        """The configured member status of a user in a chat (default "member")."""
        return self.members.get((chat_id, user_id), "member")

    # -- callback queries and files -----------------------------------------

    def open_callback(self, chat_id: int) -> str:
        """Register a new callback query pressed in a chat and return its id."""
        query_id = f"{chat_id}{next(self._ids):08d}"
        self.open_callbacks[query_id] = chat_id
        return query_id

    def store_file(self, filename: str, data: bytes, mime_type: str) -> StoredFile:
        """Keep a file and give it a file_id."""
        number = next(self._ids)
        stored = StoredFile(f"FILE{number:06d}", f"U{number:06d}", filename, data, mime_type)
        self.files[stored.file_id] = stored
        return stored

    # -- updates ------------------------------------------------------------

    def next_update_id(self) -> int:
        """Reserve and return the next update_id."""
        self._last_update_id += 1
        return self._last_update_id

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (keeping a given update_id) and wake long-polls."""
        if "update_id" not in update:
            update = {"update_id": self.next_update_id(), **update}
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._queue.append(QueuedUpdate(update))
        self._queue.sort(key=lambda queued: queued.update_id)
        self.updates_signal.notify()
        return update

    @property
    def pending_update_count(self) -> int:
        """Number of updates not confirmed yet."""
        return len(self._queue)

    def drop_pending_updates(self) -> None:
        """Forget all queued updates."""
        self._queue.clear()

    @property
    def webhook_url(self) -> str:
        """The webhook URL ("" when updates are served by getUpdates)."""
        return self.webhook.url

    def set_webhook(self, url: str, secret_token: str | None, max_connections: int) -> None:
        """Set (or with url "" remove) the webhook; a new URL starts without a last error."""
        if url != self.webhook.url:
            self.webhook = Webhook(url)
        self.webhook.secret_token = secret_token
        self.webhook.max_connections = max_connections
        self.updates_signal.notify()

    def webhook_failed(self, url: str, message: str) -> None:
        """Record a failed delivery to url as the webhook's last error (if still the webhook)."""
        if url == self.webhook.url:
            self.webhook.last_error_date = now()
            self.webhook.last_error_message = message

    def queued_updates(self) -> list[QueuedUpdate]:
        """The unconfirmed allowed updates, oldest first (disallowed ones are dropped)."""
        self._drop_disallowed()
        return list(self._queue)

    def confirm_delivery(self, update_id: int) -> None:
        """Forget an update the webhook answered with 2xx and count the delivery."""
        self._queue = [q for q in self._queue if q.update_id != update_id]
        self.webhook_deliveries += 1

    def _confirm(self, offset: int) -> None:
        """Apply getUpdates' offset: forget delivered updates before it (or keep the last -N)."""
        if offset < 0:
            self._queue = self._queue[offset:]
        elif offset > 0:
            self._queue = [q for q in self._queue if q.update_id >= offset or not q.delivered]

    def _drop_disallowed(self) -> None:
        """Forget queued updates of kinds outside allowed_updates (when set)."""
        if self.allowed_updates:
            self._queue = [q for q in self._queue if q.kind in self.allowed_updates]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        """Mark up to limit allowed updates delivered and return them."""
        self._drop_disallowed()
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        return [queued.update for queued in batch]

    async def get_updates(
        self, offset: int, limit: int, wait_seconds: float, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """Long-poll for updates like Telegram's getUpdates."""
        if allowed is not None:
            self.allowed_updates = allowed or None
        self._confirm(offset)
        try:
            async with asyncio.timeout(wait_seconds):
                while not self.closed and not self.webhook.url:
                    if batch := self._take(limit):
                        return batch
                    await self.updates_signal.wait()
        except TimeoutError:
            pass
        return []

    def close(self) -> None:
        """End pending long-polls; the server is going away."""
        self.closed = True
        self.updates_signal.notify()
