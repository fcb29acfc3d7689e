"""The registry of Bot API methods and the parameter readers every method module shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.markup import utf16_len, visible_text
from bot.fakeapi.state import ChatState, World

Params = dict[str, Any]
Handler = Callable[[World, Params], Awaitable[Any]]

METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under a Telegram method name (looked up case-insensitively)."""

    def register(handler: Handler) -> Handler:
        """Store the handler in METHODS."""
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def required(p: Params, key: str) -> Any:
    """A required parameter, or 400 "<key> is empty"."""
    value = p.get(key)
    if value is None or value == "":
        raise ApiError.bad_request(f"{key} is empty")
    return value


def integer(p: Params, key: str, default: int | None = None) -> int:
    """An integer parameter (required when no default is given)."""
    value = p.get(key)
    if value is None or value == "":
        if default is None:
            raise ApiError.bad_request(f"{key} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"invalid {key} specified") from None


def flag(p: Params, key: str) -> bool:
    """A boolean parameter (form values arrive decoded or as "true")."""
    return p.get(key) in (True, "true", "True", 1, "1")


def addressed_chat(world: World, p: Params) -> ChatState:
    """The chat addressed by chat_id (numeric or @username)."""
    raw = required(p, "chat_id")
    if isinstance(raw, str) and raw.startswith("@"):
        return world.chat_by_username(raw)
    return world.chat(integer(p, "chat_id"))


def target_chat(world: World, p: Params) -> ChatState:
    """The chat the bot writes to; 403 when that user blocked the bot."""
    chat = addressed_chat(world, p)
    if (new_id := world.migrated.get(chat.info["id"])) is not None:
        raise ApiError(
            400, "Bad Request: group chat was upgraded to a supergroup chat", None, new_id
        )
    if chat.info["id"] in world.blocked_users:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    status = world.members.get((chat.info["id"], world.bot_user["id"]))
    kind = chat.info["type"]
    if kind == "channel" and status not in ("creator", "administrator"):
        raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
    if kind in ("group", "supergroup") and status in ("left", "kicked"):
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
    return chat


def checked_text(p: Params, key: str, limit: int, too_long: str) -> str:
    """Visible text of a text/caption parameter after parse_mode, length-checked."""
    text = visible_text(str(p.get(key) or ""), p.get("parse_mode"))
    if utf16_len(text) > limit:
        raise ApiError.bad_request(too_long)
    return text
