"""Help, privacy, cancel and forget, and the command menus per chat scope."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ChatMemberStatus

from bot.athletes import service
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers import flow
from handlers.common import DRAFT, answer_query, drop_buttons, keyboard

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("checkin", "Check in after training"),
    BotCommand("start", "Set-up: consent, time zone, bedtime"),
    BotCommand("history", "Your recent check-ins, trends and a chart"),
    BotCommand("settings", "Time zone, bedtime, reminders, quiet hours"),
    BotCommand("cancel", "Stop the current questions"),
    BotCommand("privacy", "What I store and why"),
    BotCommand("export", "Download everything I store about you"),
    BotCommand("forget", "Erase everything I store about you"),
    BotCommand("leave", "Leave a team: stop sharing with its coaches"),
    BotCommand("roster", "Coaches: your teams and athletes"),
    BotCommand("help", "What I can do"),
]

TEAM_COMMANDS = [
    BotCommand("team", "Admins: create the team, or /team Europe/Madrid, /team newlink"),
    BotCommand("session", "Admins: schedule sessions, e.g. /session mon,wed 18:00 90"),
    BotCommand("report", "Admins: the latest session's team summary"),
    BotCommand("coach", "Admins: get rosters and red-flag alerts privately"),
    BotCommand("channel", "Admins: link a channel for post-session notes"),
]
MEMBER_COMMANDS = [
    BotCommand("join", "Join this group's team (privately, you see what is shared first)"),
    BotCommand("help", "How the team works"),
]
# (scope, menu): athletes in private chats, members and admins in groups (Telegram shows the
# most specific scope that matches; the default is the private menu).
COMMAND_MENUS = [
    (BotCommandScopeDefault(), COMMANDS),
    (BotCommandScopeAllPrivateChats(), COMMANDS),
    (BotCommandScopeAllGroupChats(), MEMBER_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), [*TEAM_COMMANDS, *MEMBER_COMMANDS]),
]
GROUP_HELP = (
    "This group can run a team: after each scheduled session every member who joined gets a "
    "private check-in prompt, and the group gets one summary with totals only (never anyone's "
    "answers).\n"
    "Everyone: /join shows the button to join privately (you see what your coaches will see "
    "before agreeing).\n"
    "Admins: /team creates it, /session schedules sessions (/session mon,wed 18:00 90), /report "
    "shows the latest summary, /coach gets you rosters and red-flag alerts privately, /channel "
    "links a channel.\n"
    "Check-ins themselves are private: message me directly."
)

HELP = (
    "Here's what I can do:\n"
    "/checkin: after training, a few taps and I'll tell you how to recover\n"
    "/history: your recent check-ins, training load, refuel hit rate and a chart\n"
    "/settings: time zone, bedtime, which reminders, quiet hours, morning check-in, consent\n"
    "/start: set-up again (consent, time zone, bedtime)\n"
    "/cancel: stop the current questions\n"
    "/privacy: what I store and why\n"
    "/export: download everything I store about you (JSON and CSV)\n"
    "/forget: erase everything about you\n"
    "/leave: leave a team (its coaches stop seeing your data at once)\n"
    "/roster: for coaches, your teams and the athletes who share with you\n\n"
    "I remind you to refuel 30–60 min after you finish, to wind down before bed, and I check "
    "back two days after a session when your legs were heavy or hurt; any reminder can be "
    "snoozed 15 min. "
    "General guidance, not medical advice."
)

PRIVACY = (
    "What I store, only after you agree: your time zone, bedtime and your check-in answers "
    "(session, effort, leg heaviness, motivation, breathing, joint pain/twitching, sleep), plus "
    "the reminders planned from them. Nobody else sees them, unless you join a coach's team and "
    "agree to share with its coaches (/leave stops that at once). /export sends you a copy, "
    "/settings lets you withdraw consent (no new answers are stored) and /forget erases all "
    "of it at once."
)


async def help_command(update: Update, _context: BotContext) -> None:
    """List the commands."""
    await update.effective_chat.send_message(HELP)


async def privacy(update: Update, _context: BotContext) -> None:
    """Say what is stored."""
    await update.effective_chat.send_message(PRIVACY)


async def cancel(update: Update, context: BotContext) -> None:
    """Drop the unfinished flow, if any."""
    if await flow.current_draft(update, context) is None:
        await update.effective_chat.send_message("Nothing to cancel. /checkin starts a check-in.")
        return
    await context.services.store.set_state(update.effective_user.id, DRAFT, None)
    await update.effective_chat.send_message(
        "Cancelled: nothing from those answers was saved. /checkin starts again."
    )


async def forget(update: Update, _context: BotContext) -> None:
    """Ask for confirmation before erasing everything."""
    await update.effective_chat.send_message(
        "This erases everything I store about you: profile, check-ins, reminders. It can't be "
        "undone. Sure?",
        reply_markup=keyboard(
            [("Yes, erase it all", f"{callbacks.FORGET}|yes"), ("Keep", f"{callbacks.FORGET}|no")]
        ),
    )


async def forget_confirmed(update: Update, context: BotContext) -> None:
    """Erase the athlete's data after the confirmation tap."""
    query = update.callback_query
    await answer_query(query)
    await drop_buttons(query)
    if query.data != f"{callbacks.FORGET}|yes":
        await update.effective_chat.send_message("Kept. Nothing was erased.")
        return
    uid = update.effective_user.id
    svc = context.services
    await service.forget(svc.store, uid)
    context.application.drop_user_data(uid)
    context.application.drop_chat_data(update.effective_chat.id)
    await update.effective_chat.send_message(
        "Done: everything about you is erased, pending reminders included. /start to begin again."
    )


async def group_help(update: Update, _context: BotContext) -> None:
    """/help in a group: how the team works, and its commands."""
    await update.effective_chat.send_message(GROUP_HELP)


async def blocked_or_unblocked(update: Update, context: BotContext) -> None:
    """An athlete blocked (or unblocked) the bot: stop (or resume) messaging them at once."""
    change = update.my_chat_member
    store = context.services.store
    if change is None or await store.profile(change.chat.id) is None:
        return  # never stored: nothing to mark, and no file is created for them
    active = change.new_chat_member.status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await store.update_profile(change.chat.id, {"active": active})
    log.info("athlete %s %s the bot", change.chat.id, "unblocked" if active else "blocked")
