"""Telegram handlers, one module per feature; `register` wires them into an Application."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.athletes.questions import CHECKIN, FOLLOWUP, ONBOARDING, READINESS, SETTING_FLOWS
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers import (
    basics,
    checkin,
    coach,
    coach_view,
    data_rights,
    flow,
    insight,
    membership,
    onboarding,
    readiness,
    routing,
    settings,
    snooze,
)

PRIVATE = filters.ChatType.PRIVATE
GROUP_COMMANDS = {
    "team": coach.team,
    "session": coach.session,
    "report": coach.report,
    "channel": coach.channel,
    "coach": coach.coach,
    "join": coach.join_here,
}


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Route the bot's own membership changes: a private chat (blocked) or a team's group."""
    change = update.my_chat_member
    private = change is not None and change.chat.type == ChatType.PRIVATE
    await (basics.blocked_or_unblocked if private else coach.on_my_member)(update, context)


def flow_hooks() -> flow.FlowHooks:
    """What each flow completes with, and what set-up continues with."""
    settings_flows = {f.name: settings.setting_answered for f in SETTING_FLOWS.values()}
    return flow.FlowHooks(
        completions={
            ONBOARDING.name: onboarding.finish,
            CHECKIN.name: checkin.finish_checkin,
            FOLLOWUP.name: checkin.finish_followup,
            READINESS.name: readiness.finish,
            **settings_flows,
        },
        continuations={
            flow.Next.CHECKIN: checkin.continue_checkin,
            flow.Next.JOIN: membership.after_setup,
            flow.Next.READINESS: readiness.start_readiness,
        },
    )


def register(app: Application) -> None:
    """Bind the flows' hooks, add every handler in priority order, plus the error handler."""
    flow.install(app, flow_hooks())
    commands = {
        "start": onboarding.start,
        "checkin": checkin.checkin,
        "cancel": basics.cancel,
        "help": basics.help_command,
        "privacy": basics.privacy,
        "forget": basics.forget,
        "history": insight.history,
        "settings": settings.settings_command,
        "export": data_rights.export,
        "leave": membership.leave,
        "roster": coach_view.roster,
    }
    app.add_handlers(
        [
            # First: an edited message never re-runs a command or re-answers a question.
            MessageHandler(filters.UpdateType.EDITED, routing.edited),
            CommandHandler("start", membership.start_with_payload, PRIVATE, has_args=True),
            *(
                CommandHandler(n, fn, filters=filters.ChatType.GROUPS)
                for n, fn in GROUP_COMMANDS.items()
            ),
            CommandHandler(list(GROUP_COMMANDS), coach.private_only, filters=PRIVATE),
            ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(filters.StatusUpdate.MIGRATE, coach.on_migrate),
            *(CommandHandler(name, fn, filters=PRIVATE) for name, fn in commands.items()),
            CommandHandler("help", basics.group_help, filters=filters.ChatType.GROUPS),
            CommandHandler(list(commands), routing.group_command, filters=~PRIVATE),
            CallbackQueryHandler(flow.on_button, pattern=r"^q\|"),
            CallbackQueryHandler(onboarding.on_consent, pattern=r"^c\|"),
            CallbackQueryHandler(onboarding.on_general, pattern=callbacks.GENERAL_PATTERN),
            CallbackQueryHandler(insight.on_numbers, pattern=callbacks.HISTORY_NUMBERS_PATTERN),
            CallbackQueryHandler(checkin.on_why_point, pattern=callbacks.WHY_POINT_PATTERN),
            CallbackQueryHandler(checkin.on_item, pattern=r"^(why|ate|fu)\|"),
            CallbackQueryHandler(basics.forget_confirmed, pattern=r"^forget\|(yes|no)$"),
            CallbackQueryHandler(settings.on_button, pattern=r"^set\|"),
            CallbackQueryHandler(snooze.on_snooze, pattern=r"^snz\|"),
            CallbackQueryHandler(readiness.on_start, pattern=r"^rd\|go$"),
            CallbackQueryHandler(membership.on_join_button, pattern=r"^(jy|jn)\|"),
            CallbackQueryHandler(membership.on_leave_button, pattern=r"^lv\|"),
            CallbackQueryHandler(membership.on_team_checkin, pattern=r"^tc\|"),
            CallbackQueryHandler(coach_view.on_view, pattern=r"^cv\|"),
            CallbackQueryHandler(routing.stale_button),
            MessageHandler(PRIVATE & filters.COMMAND, routing.unknown_command),
            MessageHandler(PRIVATE & filters.TEXT, routing.text),
            MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, routing.not_text),
        ]
    )
    app.add_error_handler(routing.on_error)
