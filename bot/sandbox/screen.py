"""What the sandbox prints: the bot's messages per chat, numbered buttons, files saved to disk."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.fakeapi import BotEvent
from bot.fakeapi.users import ChatView

TAP = re.compile(r"#(?:(\d+)\.)?(\d+)")
PREFIXES = {  # by event kind; deletions are not printed
    "message": "🤖",
    "document": "🤖",
    "photo": "🤖",
    "edit": "  ✎",
    "callback_answer": "  💬",
}


async def next_event(view: ChatView) -> BotEvent:
    """The chat's next bot event, however long it takes."""
    while True:
        try:
            return await view.expect(timeout=3600)
        except AssertionError:  # an hour without news
            continue


@dataclass(frozen=True)
class Shown:
    """A bot message printed with buttons: its chat and its message id there."""

    view: ChatView
    message_id: int

    def buttons(self) -> list[tuple[str, str | None]]:
        """The message's buttons as the chat shows them now (none once it is deleted)."""
        try:
            return self.view.buttons(self.message_id)
        except AssertionError:
            return []


class Screen:
    """Prints bot events, numbers messages that have buttons, and finds the button a #tap names."""

    def __init__(self, files: Path, chats: dict[str, ChatView]) -> None:
        """Save files under `files`; the chats by tag, lines tagged when there are several."""
        self.files = files
        self.views = {view.chat_id: view for view in chats.values()}
        self.tags = {view.chat_id: tag for tag, view in chats.items()} if len(chats) > 1 else {}
        self.shown: list[Shown] = []
        self._numbers: dict[tuple[int, int], int] = {}

    def say(self, text: str, chat_id: int | None = None) -> None:
        """Print lines (of a chat, when given) for the person, tagged when there are several."""
        margin = f"{self.tags.get(chat_id or 0, ''):<5} │ " if self.tags else ""
        print("\n".join(margin + line for line in text.split("\n")), flush=True)

    def show(self, event: BotEvent) -> None:
        """Print one bot event with its numbered buttons; save a file it carries."""
        prefix = PREFIXES.get(event.kind)
        if prefix is None or (event.kind == "callback_answer" and not event.text):
            return
        text = (event.text or "").replace("\n", "\n   ")
        lines = [f"{prefix}{self._number(event)} {text}".rstrip()]
        if event.filename:
            lines.append(f"   📎 saved {self._save(event.filename, event.data or b'')}")
        labels = [label for row in event.buttons for label, _ in row]
        if labels:
            lines.append("   " + "  ".join(f"[#{i} {label}]" for i, label in enumerate(labels, 1)))
        self.say("\n".join(lines), event.chat_id)

    def find(self, spec: str, chat_id: int) -> tuple[Shown, str | None] | str:
        """The message and callback data that `#3` (newest buttons here) or `#5.3` names, or why
        there is none."""
        match = TAP.fullmatch(spec)
        if match is None:
            return "tap a button with #3, or #5.3 for button 3 of message [5]"
        message, index = match.group(1), int(match.group(2))
        if message is None:
            here = [s for s in self.shown if s.view.chat_id == chat_id and s.buttons()]
            if not here:
                return "no message here has buttons"
            shown = here[-1]
        elif 1 <= int(message) <= len(self.shown):
            shown = self.shown[int(message) - 1]
        else:
            return f"there is no message [{message}]"
        buttons = shown.buttons()
        if not 1 <= index <= len(buttons):
            return f"message [{self.shown.index(shown) + 1}] has {len(buttons)} buttons now"
        return shown, buttons[index - 1][1]

    async def follow(
        self, view: ChatView, notice: Callable[[BotEvent], None] | None = None
    ) -> None:
        """Print the chat's bot events as they arrive, passing each to `notice` too if given."""
        while True:
            event = await next_event(view)
            self.show(event)
            if notice:
                notice(event)

    def _number(self, event: BotEvent) -> str:
        """' [n]' for a message with buttons (numbered when first seen with them), else ''."""
        key = (event.chat_id, event.message_id or 0)
        if key not in self._numbers and event.buttons:
            self.shown.append(Shown(self.views[event.chat_id], key[1]))
            self._numbers[key] = len(self.shown)
        return f" [{self._numbers[key]}]" if key in self._numbers else ""

    def _save(self, filename: str, data: bytes) -> str:
        """Write a file the bot sent under the files folder; its path and size."""
        self.files.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(filename).stem, Path(filename).suffix
        path, copy = self.files / filename, 1
        while path.exists():
            copy += 1
            path = self.files / f"{stem}-{copy}{suffix}"
        path.write_bytes(data)
        return f"{path} ({len(data)} bytes)"
