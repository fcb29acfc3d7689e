"""Group side of teams: /team, /session, /report, /channel, /coach, /join, and the bot's own
membership changes. Works with privacy mode on: only commands reach the bot."""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.athletes.parsing import parse_timezone, zone
from bot.athletes.profiles import new_id
from bot.shell.context import BotContext, Services
from bot.teams.messages import is_admin, join_markup
from bot.teams.records import Person, Team
from bot.teams.service import published_summary
from bot.teams.timetable import USAGE, describe, parse_session
from rules.reminders import ReminderStatus

log = logging.getLogger(__name__)

NOT_ADMIN = "Sorry, only the group's admins can {what}. Ask one of them to do it. 🙏"
NO_TEAM = "There's no team here yet: a group admin can set one up with /team."
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
CHANNEL_USAGE = "Usage: /channel @channelname (I must be an admin there), or /channel off."


async def _is_admin(update: Update, context: BotContext) -> bool:
    """The sender administers this group (an anonymous admin posts as the group itself)."""
    message, chat = update.effective_message, update.effective_chat
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    user = update.effective_user
    return user is not None and await is_admin(context.bot, chat.id, user.id)


async def _admin_or_refuse(update: Update, context: BotContext, what: str) -> bool:
    """True for an admin; everyone else gets a polite refusal."""
    if await _is_admin(update, context):
        return True
    await update.effective_chat.send_message(NOT_ADMIN.format(what=what))
    return False


def _anonymous(update: Update) -> bool:
    """The command was posted by an anonymous admin (no personal identity)."""
    message = update.effective_message
    return message.sender_chat is not None and message.sender_chat.id == update.effective_chat.id


async def _team(update: Update, svc: Services) -> Team | None:
    """This group's active team, or None (after saying how to set one up)."""
    team = await svc.teams.active(update.effective_chat.id)
    if team is None:
        await update.effective_chat.send_message(NO_TEAM)
    return team


def _sender(update: Update, svc: Services) -> tuple[int, Person]:
    """How the team remembers the sender: first name and when."""
    user = update.effective_user
    return user.id, svc.teams.person(user.first_name)


async def team(update: Update, context: BotContext) -> None:
    """Create (or update) the group's team: /team, /team <time zone>, /team newlink."""
    if not await _admin_or_refuse(update, context, "set up the team"):
        return
    svc, chat = context.services, update.effective_chat
    arg = " ".join(context.args or [])
    wants_link = arg.lower() == "newlink"
    new_link = wants_link and await svc.teams.get(chat.id) is not None  # a new team has one
    try:
        tz = parse_timezone(arg) if arg and not wants_link else None
    except ValueError as exc:
        await chat.send_message(f"🤔 {exc}\nUsage: /team, /team Europe/Madrid, /team newlink")
        return
    coach = None if _anonymous(update) else _sender(update, svc)
    saved = await svc.teams.set_up(
        chat.id, chat.title or "Team", tz=tz, new_link=new_link, coach=coach
    )
    note = (
        "\n\nYou posted anonymously, so I can't tell who you are: to get private rosters and "
        "red-flag alerts, send /coach here without anonymity."
        if coach is None
        else "\n\nCoaches: /roster in a private chat with me shows who joined."
    )
    renewed = (
        "🔑 New join link: the old one has stopped working. Members who already joined stay in; "
        "anyone still to join needs this button.\n\n"
        if new_link
        else ""
    )
    await chat.send_message(
        f"{renewed}🏃 Team “{saved.title}” is ready (time zone {saved.tz}).\n"
        "Athletes: tap the button to join in a private chat. Before anything is shared you'll "
        "see exactly what your coach will see. In this group I only ever post team totals."
        f"{note}",
        reply_markup=join_markup(context.bot, saved),
    )


async def coach(update: Update, context: BotContext) -> None:
    """An admin signs up for private rosters and alerts."""
    if not await _admin_or_refuse(update, context, "become coaches"):
        return
    svc = context.services
    if _anonymous(update):
        await update.effective_chat.send_message(
            "You're posting anonymously, so I can't tell who you are. Please send /coach as "
            "yourself."
        )
        return
    if await _team(update, svc) is None:
        return
    uid, coach = _sender(update, svc)
    await svc.teams.add_coach(update.effective_chat.id, uid, coach)
    await update.effective_chat.send_message(
        f"{coach.name} is a coach of this team ✅ Open a private chat with me "
        f"(https://t.me/{context.bot.username}) and send /roster."
    )


async def session(update: Update, context: BotContext) -> None:
    """Schedule, list or clear team sessions."""
    if not await _admin_or_refuse(update, context, "schedule sessions"):
        return
    svc, chat = context.services, update.effective_chat
    found = await _team(update, svc)
    if found is None:
        return
    args = context.args or []
    if not args:
        listed = "\n".join(f"• {describe(s)}" for s in found.sessions.values())
        await chat.send_message(f"Sessions ({found.tz}):\n{listed or '(none yet)'}\n\n{USAGE}")
        return
    if args == ["clear"]:
        await svc.teams.clear_sessions(chat.id)
        await chat.send_message("All sessions removed. No more check-in prompts for now.")
        return
    today = svc.clock.now().astimezone(zone(found.tz)).date()
    try:
        record = parse_session(args, today) | {"id": new_id()}
    except ValueError as exc:
        await chat.send_message(f"🤔 {exc}\n\n{USAGE}")
        return
    refused = await svc.teams.schedule(chat.id, record)
    if refused:
        await chat.send_message(f"🤔 {refused}")
        return
    await chat.send_message(
        f"Scheduled: {describe(record)} ({found.tz}). When it ends, every member gets a "
        "private check-in prompt; the team summary follows here later."
    )


async def report(update: Update, context: BotContext) -> None:
    """The published summary of the latest session (fixed once published; totals only)."""
    if not await _admin_or_refuse(update, context, "ask for the team report"):
        return
    svc = context.services
    found = await _team(update, svc)
    if found is None:
        return
    item = published_summary(found)
    if item is None:
        await update.effective_chat.send_message(
            "No team summary yet: one is published here 3 h after each session ends. Schedule "
            "sessions with /session."
        )
    elif item.status == ReminderStatus.SENT and item.text:
        await update.effective_chat.send_message(item.text)
    else:
        due = item.due.astimezone(zone(found.tz))
        await update.effective_chat.send_message(
            f"The summary of the latest session is published here at {due:%H:%M} ({found.tz}),"
            " once, so nobody's answers can be worked out from two versions of it."
        )


async def channel(update: Update, context: BotContext) -> None:
    """Link a channel (where the bot and the coach are admins) for post-session notes."""
    if not await _admin_or_refuse(update, context, "link a channel"):
        return
    svc, chat = context.services, update.effective_chat
    if await _team(update, svc) is None:
        return
    args = context.args or []
    if args == ["off"]:
        await svc.teams.link_channel(chat.id, None)
        await chat.send_message("Channel unlinked: no more post-session notes there.")
        return
    if len(args) != 1:
        await chat.send_message(CHANNEL_USAGE)
        return
    target = await _channel_problem(update, context, args[0])
    if isinstance(target, str):
        await chat.send_message(f"{target}\n{CHANNEL_USAGE}")
        return
    linked = {"id": target.id, "title": target.title or args[0]}
    await svc.teams.link_channel(chat.id, linked)
    await chat.send_message(
        f"Linked “{linked['title']}”: after each session I'll post a short recovery note there "
        "with a button to check in privately."
    )


async def _channel_problem(update: Update, context: BotContext, ref: str) -> Chat | str:
    """The channel to link, or why it can't be linked."""
    if _anonymous(update):
        return "I can't check a channel for an anonymous admin; please send it as yourself."
    bot = context.bot
    try:
        target = await bot.get_chat(int(ref) if ref.lstrip("-").isdigit() else ref)
    except TelegramError:
        return f"I can't find {ref}. Add me to the channel as an admin first."
    if target.type != ChatType.CHANNEL:
        return f"{ref} is not a channel."
    if not await is_admin(bot, target.id, bot.id):
        return "I'm not an admin of that channel yet: add me with the right to post."
    if not await is_admin(bot, target.id, update.effective_user.id):
        return "Only an admin of that channel can link it."
    return target


async def join_here(update: Update, context: BotContext) -> None:
    """/join in the group: note the person for the roster and show the join button."""
    svc = context.services
    found = await _team(update, svc)
    if found is None:
        return
    if not _anonymous(update):
        await svc.teams.note_invited(found, *_sender(update, svc))
    await update.effective_chat.send_message(
        "Tap to join privately (you'll see what your coach sees before agreeing):",
        reply_markup=join_markup(context.bot, found),
    )


async def private_only(update: Update, _context: BotContext) -> None:
    """Group-only commands sent in a private chat."""
    await update.effective_chat.send_message(
        "That command works in your team's group chat (add me there first). "
        "Here, /roster shows your teams if you coach one."
    )


async def on_migrate(update: Update, context: BotContext) -> None:
    """A group became a supergroup (Telegram says so in both chats): the team follows it."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat.id
    await context.services.teams.follow_migration(old, new)


async def on_my_member(update: Update, context: BotContext) -> None:
    """The bot was removed from (or re-added to) a group: pause or resume its team."""
    change = update.my_chat_member
    svc = context.services
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    active = change.new_chat_member.status not in GONE
    has_team = await svc.teams.set_active(change.chat.id, active)
    if not has_team and active and change.chat.type != ChatType.CHANNEL:
        await change.chat.send_message(
            "Thanks for adding me! 👋 A group admin can create the team with /team."
        )
