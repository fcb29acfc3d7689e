"""The person at the terminal: their Telegram user, the chats they can type in, the current one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.fakeapi import FakeGroup, FakeUser
from bot.fakeapi.users import ChatView
from bot.sandbox.screen import Screen, Shown


@dataclass
class Person:
    """Types into the current chat and taps buttons as their user."""

    user: FakeUser
    chats: dict[str, ChatView]  # by the tag printed before the chat's lines
    here: str

    async def send(self, text: str) -> None:
        """Send a message into the current chat."""
        view = self.chats[self.here]
        await (view.send(self.user, text) if isinstance(view, FakeGroup) else self.user.send(text))

    async def tap(self, shown: Shown, data: str) -> None:
        """Tap the button with this callback data on a printed message."""
        if isinstance(shown.view, FakeGroup):
            await shown.view.press(self.user, data=data, message_id=shown.message_id)
        else:
            await self.user.press(data=data, message_id=shown.message_id)

    def switch(self, tag: str) -> str:
        """Type into the chat with this tag from now on; what to tell the person."""
        if len(self.chats) == 1:
            return "there is only your private chat with the bot here"
        if tag not in self.chats:
            return "type /to " + " or /to ".join(self.chats)
        self.here = tag
        view = self.chats[tag]
        if isinstance(view, FakeGroup):
            return f"✍ you now type in the group “{view.info['title']}”"
        return "✍ you now type in your private chat with the bot"


class Stage(NamedTuple):
    """A sandbox mode set up: who types, the screen, what runs alongside, the first lines."""

    person: Person
    screen: Screen
    jobs: list[Coroutine[Any, Any, None]]
    intro: str
    settle: Callable[[], Awaitable[None]]  # until the simulated people are done: before /wait
