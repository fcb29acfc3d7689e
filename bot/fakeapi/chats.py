"""Bot API methods that describe chats and their members."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.registry import Params, addressed_chat, integer, method
from bot.fakeapi.state import World

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


@method("getChat")
async def get_chat(world: World, p: Params) -> Any:
    """Return a ChatFullInfo for a known chat."""
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **addressed_chat(world, p).info,
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
    chat = addressed_chat(world, p)
    user_id = integer(p, "user_id")
    return chat_member(_user(world, user_id), world.member_status(chat.info["id"], user_id))


@method("getChatAdministrators")
async def get_chat_administrators(world: World, p: Params) -> Any:
    """Return the members configured as creator or administrator of a chat."""
    chat_id = addressed_chat(world, p).info["id"]
    return [
        chat_member(_user(world, user_id), status)
        for (member_chat, user_id), status in world.members.items()
        if member_chat == chat_id and status in ("creator", "administrator")
    ]
