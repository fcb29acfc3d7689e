"""Scripted Telegram users and groups that talk to the bot through the fake server."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.fakeapi.markup import command_entities
from bot.fakeapi.state import BotEvent, ChatState, World, now

KINDS = frozenset({"message", "edit", "document", "photo", "callback_answer", "delete", "reply"})
# "reply": what a person reads as the bot's next turn, a new message or a message edited into a
# new question (an edit that carries buttons).
# Smallest valid PNG (1x1 transparent pixel), the content of photos users send.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


def _text_fields(text: str) -> dict[str, Any]:
    """Fields of a user text message, with the bot_command entity when it starts with one."""
    entities = command_entities(text)
    return {"text": text, **({"entities": entities} if entities else {})}


def _matches(event: BotEvent, contains: str | None, kind: str | None) -> bool:
    """Whether an event has the wanted kind and contains the wanted text."""
    if kind == "reply":
        if not (event.kind == "message" or (event.kind == "edit" and event.buttons)):
            return False
    elif kind is not None and event.kind != kind:
        return False
    return contains is None or contains.lower() in (event.text or "").lower()


def _rows(message: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    """Inline keyboard rows of a message (empty when it has none)."""
    return (message or {}).get("reply_markup", {}).get("inline_keyboard", [])


def _pick_button(
    buttons: list[dict[str, Any]], label: str | None, data: str | None
) -> dict[str, Any] | None:
    """The button with this callback_data, exact label, or unique label substring."""
    if data is not None:
        found = [b for b in buttons if b.get("callback_data") == data]
    else:
        needle = (label or "").lower()
        found = [b for b in buttons if b["text"] == label]
        found = found or [b for b in buttons if needle in b["text"].lower()]
    return found[0] if len(found) == 1 else None


class ChatView:
    """What a chat participant sees: the bot's output events and current messages."""

    def __init__(self, world: World, chat_id: int) -> None:
        """View a chat of the world; the expect() cursor starts at the beginning."""
        self._world = world
        self.chat_id = chat_id
        self._cursor = 0

    @property
    def _chat(self) -> ChatState:
        """The chat's state."""
        return self._world.chat(self.chat_id)

    @property
    def events(self) -> list[BotEvent]:
        """All bot output events in this chat, oldest first."""
        return list(self._chat.events)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Current state of all bot messages in the chat (after edits and deletions)."""
        return self._chat.bot_messages()

    @property
    def last_message(self) -> dict[str, Any] | None:
        """The newest bot message, if any."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the bot currently shows, if any."""
        return self._chat.reply_keyboard

    def buttons(self, message: dict[str, Any] | int | None = None) -> list[tuple[str, str | None]]:
        """(label, callback_data) of a message (dict or id), else of the latest keyboard."""
        if not isinstance(message, dict):
            message = self._keyboard_message(message)
        return [(b["text"], b.get("callback_data")) for row in _rows(message) for b in row]

    async def expect(
        self,
        contains: str | None = None,
        *,
        kind: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-facing API
    ) -> BotEvent:
        """Wait for the next unconsumed event matching contains/kind and move past it."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; use one of {sorted(KINDS)}")
        try:
            async with asyncio.timeout(timeout):
                while (event := self._next_match(contains, kind)) is None:
                    await self._world.events_signal.wait()
        except TimeoutError:
            raise AssertionError(self._expect_failure(contains, kind, timeout)) from None
        return event

    def _next_match(self, contains: str | None, kind: str | None) -> BotEvent | None:
        """Consume and return the first matching event after the cursor, if any."""
        events = self._chat.events
        for index in range(self._cursor, len(events)):
            if _matches(events[index], contains, kind):
                self._cursor = index + 1
                return events[index]
        return None

    def _expect_failure(self, contains: str | None, kind: str | None, timeout: float) -> str:
        """Assertion message listing what the bot sent since the cursor."""
        unseen = self._chat.events[self._cursor :]
        lines = [event.describe() for event in unseen] or ["(nothing)"]
        return (
            f"chat {self.chat_id}: no {kind or 'event'} containing {contains!r} within "
            f"{timeout}s ({self._cursor} earlier events already consumed). Bot sent:\n  "
            + "\n  ".join(lines)
        )

    def _keyboard_message(self, message_id: int | None) -> dict[str, Any] | None:
        """The given message, or the newest bot message with an inline keyboard (if any)."""
        if message_id is None:
            return next((m for m in reversed(self.messages) if _rows(m)), None)
        if message_id not in self._chat.messages:
            raise AssertionError(f"chat {self.chat_id} has no message #{message_id}")
        return self._chat.messages[message_id]

    async def _send_as(self, sender: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """Post a message from sender into this chat and queue the matching update."""
        if self._chat.info["type"] == "channel":
            post = {"sender_chat": self._chat.info, **fields}
            message = self._world.add_message(self.chat_id, None, post)
            return self._world.push_update({"channel_post": message})
        message = self._world.add_message(self.chat_id, sender, fields)
        return self._world.push_update({"message": message})

    async def _press_as(
        self, sender: dict[str, Any], label: str | None, data: str | None, message_id: int | None
    ) -> dict[str, Any]:
        """Press an inline button as sender and queue the callback_query update."""
        if label is None and data is None:
            raise ValueError("press() needs a button label or data=")
        message = self._keyboard_message(message_id)
        if message is None:
            raise AssertionError(f"chat {self.chat_id}: the bot sent no message with buttons")
        buttons = [b for row in _rows(message) for b in row]
        button = _pick_button(buttons, label, data)
        if button is None or not button.get("callback_data"):
            available = [(b["text"], b.get("callback_data")) for b in buttons]
            wanted = f"data={data!r}" if data is not None else f"label={label!r}"
            raise AssertionError(
                f"no unique callback button with {wanted} in message #{message['message_id']}; "
                f"available: {available}"
            )
        return self._queue_callback(sender, message, button["callback_data"])

    def _queue_callback(
        self, sender: dict[str, Any], message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        """Queue a callback_query update with a fresh, answerable query id."""
        query = {
            "id": self._world.open_callback(self.chat_id),
            "from": sender,
            "message": message,
            "chat_instance": f"ci{abs(self.chat_id)}",
            "data": data,
        }
        return self._world.push_update({"callback_query": query})


class FakeUser(ChatView):
    """A Telegram user chatting privately with the bot (private chat id == user id)."""

    def __init__(self, world: World, user: dict[str, Any]) -> None:
        """Wrap a registered user and their private chat."""
        super().__init__(world, user["id"])
        self.user = user
        self.id: int = user["id"]

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message (leading /commands get a bot_command entity)."""
        return await self._send_as(self.user, _text_fields(text))

    async def press(
        self, label: str | None = None, *, data: str | None = None, message_id: int | None = None
    ) -> dict[str, Any]:
        """Press an inline button of the latest keyboard message (or message_id)."""
        return await self._press_as(self.user, label, data, message_id)

    async def press_data(self, data: str, message_id: int | None = None) -> dict[str, Any]:
        """Send any callback data from a bot message, as a modified or outdated client could."""
        bot_messages = self._chat.bot_messages()
        message = self._chat.messages.get(message_id) if message_id else bot_messages[-1]
        if message is None:
            raise AssertionError(f"chat {self.chat_id}: no bot message to press on")
        return self._queue_callback(self.user, message, data)

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of this user's messages, producing an edited_message update."""
        original = self._chat.messages.get(message_id)
        if original is None or original.get("from", {}).get("id") != self.id:
            raise AssertionError(f"user {self.id} has no message #{message_id} to edit")
        base = {k: v for k, v in original.items() if k != "entities"}
        edited = {**base, **_text_fields(text), "edit_date": now()}
        self._chat.messages[message_id] = edited
        return self._world.push_update({"edited_message": edited})

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a sticker."""
        sticker = {
            **self._file_ids("sticker.webp", b"RIFF", "image/webp"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send_as(self.user, {"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        """Send a 1x1 PNG photo, downloadable by the bot through getFile."""
        size = {**self._file_ids("photo.png", TINY_PNG, "image/png"), "width": 1, "height": 1}
        fields: dict[str, Any] = {"photo": [{**size, "file_size": len(TINY_PNG)}]}
        if caption:
            fields["caption"] = caption
        return await self._send_as(self.user, fields)

    async def send_location(
        self, latitude: float = 46.05, longitude: float = 14.51
    ) -> dict[str, Any]:
        """Send a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._send_as(self.user, {"location": location})

    def _file_ids(self, filename: str, data: bytes, mime_type: str) -> dict[str, str]:
        """Store a file sent by the user and return its file_id/file_unique_id."""
        stored = self._world.store_file(filename, data, mime_type)
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}


ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


class FakeGroup(ChatView):
    """A group, supergroup or channel where several fake users talk to the bot."""

    def __init__(self, world: World, info: dict[str, Any]) -> None:
        """Wrap a registered group chat."""
        super().__init__(world, info["id"])
        self.info = info

    async def send(self, user: FakeUser, text: str) -> dict[str, Any]:
        """Post a text message from user (a channel_post without sender in channels)."""
        return await self._send_as(user.user, _text_fields(text))

    async def send_anonymous(self, text: str) -> dict[str, Any]:
        """Post as an anonymous admin: from GroupAnonymousBot, sender_chat the group itself."""
        fields = {**_text_fields(text), "sender_chat": self.info}
        message = self._world.add_message(self.chat_id, ANONYMOUS_ADMIN, fields)
        return self._world.push_update({"message": message})

    async def press(
        self,
        user: FakeUser,
        label: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Press an inline button of a bot message in this group as user."""
        return await self._press_as(user.user, label, data, message_id)
