"""Bot API methods that send, edit and delete text messages, and the message fields they share."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.markup import MAX_CAPTION, MAX_TEXT, check_reply_markup
from bot.fakeapi.registry import (
    Params,
    checked_text,
    flag,
    integer,
    method,
    required,
    target_chat,
)
from bot.fakeapi.state import BotEvent, ChatState, World, now

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def markup_fields(chat: ChatState, p: Params) -> dict[str, Any]:
    """Message fields for reply_markup; reply keyboards are remembered on the chat."""
    markup = check_reply_markup(p.get("reply_markup"))
    if markup is None:
        return {}
    if "inline_keyboard" in markup:
        return {"reply_markup": markup}
    if "keyboard" in markup:
        chat.reply_keyboard = [[_label(b) for b in row] for row in markup["keyboard"]]
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    return {}


def _label(button: Any) -> str:
    """Label of a reply keyboard button given as a string or a KeyboardButton."""
    return button["text"] if isinstance(button, dict) else str(button)


def reply_fields(chat: ChatState, p: Params) -> dict[str, Any]:
    """The reply_to_message field for reply_parameters / reply_to_message_id."""
    reply = p.get("reply_parameters")
    reply = reply if isinstance(reply, dict) else {}
    reply_id = reply.get("message_id") or p.get("reply_to_message_id")
    if not reply_id:
        return {}
    original = chat.messages.get(int(reply_id))
    if original is None:
        if reply.get("allow_sending_without_reply") or flag(p, "allow_sending_without_reply"):
            return {}
        raise ApiError.bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}


def _message_text(p: Params, too_long: str) -> str:
    """The visible text parameter of a message, or 400 when it is too long or empty."""
    text = checked_text(p, "text", MAX_TEXT, too_long)
    if not text.strip():
        raise ApiError.bad_request("message text is empty")
    return text


def _find_message(world: World, p: Params, action: str) -> tuple[ChatState, dict[str, Any]]:
    """The message addressed by chat_id + message_id, or 400 "message to <action> not found"."""
    if p.get("inline_message_id"):
        raise ApiError.bad_request(f"message to {action} not found")
    chat = target_chat(world, p)
    message = chat.messages.get(integer(p, "message_id"))
    if message is None:
        raise ApiError.bad_request(f"message to {action} not found")
    return chat, message


def _replace_message(world: World, chat: ChatState, new: dict[str, Any]) -> dict[str, Any]:
    """Store an edited bot message (a fresh dict, so earlier events keep their snapshot)."""
    if new["message_id"] not in chat.bot_message_ids:
        raise ApiError.bad_request("message can't be edited")
    new = {k: v for k, v in new.items() if v is not None}
    if new == {k: v for k, v in chat.messages[new["message_id"]].items() if k != "edit_date"}:
        raise ApiError.bad_request(NOT_MODIFIED)
    new["edit_date"] = now()
    chat.messages[new["message_id"]] = new
    world.record(BotEvent.from_message("edit", new))
    return new


def _edit(
    world: World, p: Params, chat: ChatState, message: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    """Apply changes and the given inline keyboard (none when not given) to a bot message."""
    markup = markup_fields(chat, p).get("reply_markup")
    base = {k: v for k, v in message.items() if k not in ("edit_date", "reply_markup")}
    return _replace_message(world, chat, {**base, **changes, "reply_markup": markup})


@method("sendMessage")
async def send_message(world: World, p: Params) -> Any:
    """Send a text message to a chat."""
    chat = target_chat(world, p)
    text = _message_text(p, "message is too long")
    fields = {"text": text, **markup_fields(chat, p), **reply_fields(chat, p)}
    message = world.add_bot_message(chat.info["id"], fields)
    world.record(BotEvent.from_message("message", message))
    return message


@method("editMessageText")
async def edit_message_text(world: World, p: Params) -> Any:
    """Replace a message's text (and inline keyboard, which is dropped when not given)."""
    chat, message = _find_message(world, p, "edit")
    if "text" not in message:
        raise ApiError.bad_request("there is no text in the message to edit")
    return _edit(world, p, chat, message, text=_message_text(p, "MESSAGE_TOO_LONG"))


@method("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> Any:
    """Replace a media message's caption (and inline keyboard)."""
    chat, message = _find_message(world, p, "edit")
    if "text" in message:
        raise ApiError.bad_request("there is no caption in the message to edit")
    caption = checked_text(p, "caption", MAX_CAPTION, "message caption is too long") or None
    return _edit(world, p, chat, message, caption=caption)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> Any:
    """Replace (or remove) a message's inline keyboard."""
    chat, message = _find_message(world, p, "edit")
    return _edit(world, p, chat, message)


@method("deleteMessage")
async def delete_message(world: World, p: Params) -> Any:
    """Delete a message."""
    chat, message = _find_message(world, p, "delete")
    del chat.messages[message["message_id"]]
    world.record(BotEvent("delete", chat.info["id"], message["message_id"], None, [], message))
    return True


@method("sendChatAction")
async def send_chat_action(world: World, p: Params) -> Any:
    """Accept a chat action such as "typing"."""
    target_chat(world, p)
    required(p, "action")
    return True
