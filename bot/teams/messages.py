"""What teams see and tap: join links, admin checks, prompts, channel notes, alerts, summaries."""

from __future__ import annotations

import secrets

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.teams.records import Team
from rules.article import SENTENCES

ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

PROMPT = "🏁 {title}: done training? Check in (30 seconds) and I'll plan your recovery."
REPROMPT = (
    "A gentle nudge from {title}: if you trained, a 30-second check-in still helps your "
    "recovery plan. I won't ask again for this session."
)
CHANNEL_NOTE = (
    "🏁 {title}: session done. Recovery starts now.\n\n"
    f"“{SENTENCES['nutrition']}”\n\n“{SENTENCES['sleep']}”\n\n"
    "Check in privately for your own recovery plan 👇"
)
ALERT = (
    "🚩 Red flag for {name} ({title}): heavy legs persisting beyond 48 hours with {signs}.\n\n"
    f"From the article: “{SENTENCES['persistent']}”\n\n"
    "They got the same caution from me. This is general guidance, not a diagnosis: consider "
    "easing their load and suggesting a check with a sports-medicine professional."
)
JOIN_LABEL = "Join the team"


def new_code() -> str:
    """An unguessable join secret (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def join_payload(team: Team) -> str:
    """The /start payload of a team's join link (≤ 64 chars of [A-Za-z0-9_-])."""
    return f"{-team.id}-{team.code}"


def deep_link(bot: Bot, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>."""
    return f"https://t.me/{bot.username}?start={payload}"


def bot_link_markup(bot: Bot, label: str, payload: str) -> InlineKeyboardMarkup:
    """One URL button opening a private chat with the bot."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=deep_link(bot, payload))]])


def join_markup(bot: Bot, team: Team, label: str = JOIN_LABEL) -> InlineKeyboardMarkup:
    """The button under a team's messages that opens its join link."""
    return bot_link_markup(bot, label, join_payload(team))


async def is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the user is an administrator (or owner) of the chat right now."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in ADMINS
