"""Bot API method implementations of the fake server, registered by Telegram method name."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.fakeapi.errors import ApiError
from bot.fakeapi.markup import (
    MAX_CAPTION,
    MAX_TEXT,
    check_reply_markup,
    utf16_len,
    visible_text,
)
from bot.fakeapi.state import BotEvent, ChatState, StoredFile, Upload, World, now

Params = dict[str, Any]
Handler = Callable[[World, Params], Awaitable[Any]]

METHODS: dict[str, tuple[str, Handler]] = {}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
RESTRICTED_RIGHTS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
)
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
UPLOAD_FIELDS = {"document": "application/octet-stream", "photo": "image/jpeg"}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under a Telegram method name (looked up case-insensitively)."""

    def register(handler: Handler) -> Handler:
        """Store the handler in METHODS."""
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


# -- parameter helpers ------------------------------------------------------


def _required(p: Params, key: str) -> Any:
    """A required parameter, or 400 "<key> is empty"."""
    value = p.get(key)
    if value is None or value == "":
        raise ApiError.bad_request(f"{key} is empty")
    return value


def _int(p: Params, key: str, default: int | None = None) -> int:
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


def _flag(p: Params, key: str) -> bool:
    """A boolean parameter (form values arrive decoded or as "true")."""
    return p.get(key) in (True, "true", "True", 1, "1")


def _chat(world: World, p: Params) -> ChatState:
    """The chat addressed by chat_id (numeric or @username)."""
    raw = _required(p, "chat_id")
    if isinstance(raw, str) and raw.startswith("@"):
        return world.chat_by_username(raw)
    return world.chat(_int(p, "chat_id"))


def _target_chat(world: World, p: Params) -> ChatState:
    """The chat the bot writes to; 403 when that user blocked the bot."""
    chat = _chat(world, p)
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


def _text(p: Params, key: str, limit: int, too_long: str) -> str:
    """Visible text of a text/caption parameter after parse_mode, length-checked."""
    text = visible_text(str(p.get(key) or ""), p.get("parse_mode"))
    if utf16_len(text) > limit:
        raise ApiError.bad_request(too_long)
    return text


def _markup_fields(chat: ChatState, p: Params) -> dict[str, Any]:
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


def _reply_fields(chat: ChatState, p: Params) -> dict[str, Any]:
    """The reply_to_message field for reply_parameters / reply_to_message_id."""
    reply = p.get("reply_parameters")
    reply = reply if isinstance(reply, dict) else {}
    reply_id = reply.get("message_id") or p.get("reply_to_message_id")
    if not reply_id:
        return {}
    original = chat.messages.get(int(reply_id))
    if original is None:
        if reply.get("allow_sending_without_reply") or _flag(p, "allow_sending_without_reply"):
            return {}
        raise ApiError.bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}


def _find_message(world: World, p: Params, action: str) -> tuple[ChatState, dict[str, Any]]:
    """The message addressed by chat_id + message_id, or 400 "message to <action> not found"."""
    if p.get("inline_message_id"):
        raise ApiError.bad_request(f"message to {action} not found")
    chat = _target_chat(world, p)
    message = chat.messages.get(_int(p, "message_id"))
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


def _edited(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a message with changes applied, ignoring its previous edit_date."""
    base = {k: v for k, v in message.items() if k not in ("edit_date", "reply_markup")}
    return {**base, **changes}


# -- updates and webhooks ---------------------------------------------------


@method("getMe")
async def get_me(world: World, p: Params) -> Any:
    """Return the bot user."""
    return world.bot_user


@method("getUpdates")
async def get_updates(world: World, p: Params) -> Any:
    """Long-poll for updates, confirming those before offset."""
    if world.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    limit = min(max(_int(p, "limit", 100), 1), 100)
    allowed = p.get("allowed_updates")
    return await world.get_updates(
        _int(p, "offset", 0), limit, float(p.get("timeout") or 0), allowed
    )


@method("setWebhook")
async def set_webhook(world: World, p: Params) -> Any:
    """Set the webhook pending updates are POSTed to (an empty url removes it)."""
    url = str(p.get("url") or "")
    if url and not url.startswith(("http://", "https://")):
        raise ApiError.bad_request("bad webhook: an HTTP(S) URL must be provided for webhook")
    secret = str(p.get("secret_token") or "") or None
    if secret is not None and not SECRET_TOKEN_RE.match(secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    max_connections = min(max(_int(p, "max_connections", 40), 1), 100)
    if p.get("allowed_updates") is not None:
        world.allowed_updates = p["allowed_updates"] or None
    if _flag(p, "drop_pending_updates"):
        world.drop_pending_updates()
    world.set_webhook(url, secret, max_connections)
    return True


@method("deleteWebhook")
async def delete_webhook(world: World, p: Params) -> Any:
    """Remove the webhook (updates are then served by getUpdates), optionally dropping updates."""
    if _flag(p, "drop_pending_updates"):
        world.drop_pending_updates()
    world.set_webhook("", None, 40)
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> Any:
    """Return WebhookInfo: URL, pending updates, connections and the last delivery error."""
    hook = world.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": world.pending_update_count,
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
    if world.allowed_updates:
        info["allowed_updates"] = world.allowed_updates
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


# -- messages ---------------------------------------------------------------


@method("sendMessage")
async def send_message(world: World, p: Params) -> Any:
    """Send a text message to a chat."""
    chat = _target_chat(world, p)
    text = _text(p, "text", MAX_TEXT, "message is too long")
    if not text.strip():
        raise ApiError.bad_request("message text is empty")
    fields = {"text": text, **_markup_fields(chat, p), **_reply_fields(chat, p)}
    message = world.add_bot_message(chat.info["id"], fields)
    world.record(BotEvent.from_message("message", message))
    return message


@method("editMessageText")
async def edit_message_text(world: World, p: Params) -> Any:
    """Replace a message's text (and inline keyboard, which is dropped when not given)."""
    chat, message = _find_message(world, p, "edit")
    if "text" not in message:
        raise ApiError.bad_request("there is no text in the message to edit")
    text = _text(p, "text", MAX_TEXT, "MESSAGE_TOO_LONG")
    if not text.strip():
        raise ApiError.bad_request("message text is empty")
    markup = _markup_fields(chat, p).get("reply_markup")
    return _replace_message(world, chat, _edited(message, text=text, reply_markup=markup))


@method("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> Any:
    """Replace a media message's caption (and inline keyboard)."""
    chat, message = _find_message(world, p, "edit")
    if "text" in message:
        raise ApiError.bad_request("there is no caption in the message to edit")
    caption = _text(p, "caption", MAX_CAPTION, "message caption is too long") or None
    markup = _markup_fields(chat, p).get("reply_markup")
    return _replace_message(world, chat, _edited(message, caption=caption, reply_markup=markup))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> Any:
    """Replace (or remove) a message's inline keyboard."""
    chat, message = _find_message(world, p, "edit")
    markup = _markup_fields(chat, p).get("reply_markup")
    return _replace_message(world, chat, _edited(message, reply_markup=markup))


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
    _target_chat(world, p)
    _required(p, "action")
    return True


# -- files ------------------------------------------------------------------


def _resolve_file(world: World, value: Any, field: str) -> StoredFile:
    """Store an uploaded file, or look up a file_id / URL given as a string."""
    if isinstance(value, Upload):
        return world.store_file(value.filename, value.data, value.mime_type)
    if isinstance(value, str) and value in world.files:
        return world.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return world.store_file(value.rsplit("/", 1)[-1] or field, b"", UPLOAD_FIELDS[field])
    raise ApiError.bad_request(f"there is no {field} in the request")


def _file_fields(stored: StoredFile, field: str) -> dict[str, Any]:
    """The Document or PhotoSize list describing a stored file."""
    ids = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if field == "photo":
        return {"photo": [{**ids, "width": 1280, "height": 720, "file_size": len(stored.data)}]}
    return {
        "document": {
            **ids,
            "file_name": stored.filename,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
    }


async def _send_file(world: World, p: Params, field: str) -> dict[str, Any]:
    """Send a document or photo with an optional caption."""
    chat = _target_chat(world, p)
    stored = _resolve_file(world, _required(p, field), field)
    caption = _text(p, "caption", MAX_CAPTION, "message caption is too long")
    fields = {
        **_file_fields(stored, field),
        **({"caption": caption} if caption else {}),
        **_markup_fields(chat, p),
        **_reply_fields(chat, p),
    }
    message = world.add_bot_message(chat.info["id"], fields)
    world.record(BotEvent.from_message(field, message, stored))
    return message


@method("sendDocument")
async def send_document(world: World, p: Params) -> Any:
    """Send a document."""
    return await _send_file(world, p, "document")


@method("sendPhoto")
async def send_photo(world: World, p: Params) -> Any:
    """Send a photo."""
    return await _send_file(world, p, "photo")


@method("getFile")
async def get_file(world: World, p: Params) -> Any:
    """Describe a stored file with a file_path usable under base_file_url."""
    stored = world.files.get(str(_required(p, "file_id")))
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": f"{stored.file_id}/{stored.filename}",
    }


# -- callback queries and commands ------------------------------------------


@method("answerCallbackQuery")
async def answer_callback_query(world: World, p: Params) -> Any:
    """Answer a callback query once; unknown or repeated ids are rejected."""
    query_id = str(p.get("callback_query_id") or "")
    chat_id = world.open_callbacks.pop(query_id, None)
    if chat_id is None:
        raise ApiError.bad_request(TOO_OLD)
    world.record(BotEvent("callback_answer", chat_id, None, p.get("text"), [], dict(p)))
    return True


def _commands_key(p: Params) -> str:
    """Storage key for a (scope, language_code) pair of the command list."""
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(p.get("language_code") or "")


@method("setMyCommands")
async def set_my_commands(world: World, p: Params) -> Any:
    """Store the command list for a scope and language."""
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
    world.commands[_commands_key(p)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(world: World, p: Params) -> Any:
    """Return the command list for a scope and language."""
    return world.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(world: World, p: Params) -> Any:
    """Delete the command list for a scope and language."""
    world.commands.pop(_commands_key(p), None)
    return True


# -- chats and members ------------------------------------------------------


@method("getChat")
async def get_chat(world: World, p: Params) -> Any:
    """Return a ChatFullInfo for a known chat."""
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **_chat(world, p).info,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
    }


def chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object of the given status with all required fields."""
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(ADMIN_RIGHTS, True), can_be_edited=False, is_anonymous=False)
    elif status == "restricted":
        member.update(dict.fromkeys(RESTRICTED_RIGHTS, False), is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _user(world: World, user_id: int) -> dict[str, Any]:
    """The bot, a known user, or a placeholder User object for an unknown id."""
    if user_id == world.bot_user["id"]:
        return world.bot_user
    return world.users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "User"})


@method("getChatMember")
async def get_chat_member(world: World, p: Params) -> Any:
    """Return a user's membership in a chat (configured status, default "member")."""
    chat = _chat(world, p)
    user_id = _int(p, "user_id")
    return chat_member(_user(world, user_id), world.member_status(chat.info["id"], user_id))


@method("getChatAdministrators")
async def get_chat_administrators(world: World, p: Params) -> Any:
    """Return the members configured as creator or administrator of a chat."""
    chat_id = _chat(world, p).info["id"]
    return [
        chat_member(_user(world, user_id), status)
        for (member_chat, user_id), status in world.members.items()
        if member_chat == chat_id and status in ("creator", "administrator")
    ]
