"""Bot API method implementations of the fake server, registered by Telegram method name."""

from __future__ import annotations

# Importing each method module registers its methods in METHODS.
from bot.fakeapi import chats, commands, files, messages, updates  # noqa: F401
from bot.fakeapi.chats import chat_member
from bot.fakeapi.commands import TOO_OLD
from bot.fakeapi.messages import NOT_MODIFIED
from bot.fakeapi.registry import METHODS

__all__ = ["METHODS", "NOT_MODIFIED", "TOO_OLD", "chat_member"]
