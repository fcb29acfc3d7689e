"""Private side of teams for athletes: join by deep link with consent, /leave, and the
"Done training? Check in" button of a team prompt."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from telegram import Update

from bot.athletes.parsing import MAX_FINISH_AGE
from bot.athletes.profiles import consented, load_profile
from bot.athletes.questions import CHECKIN
from bot.athletes.service import join_team, leave_team
from bot.shell import callbacks
from bot.shell.context import BotContext, Services
from bot.teams.records import Team
from handlers import checkin as checkin_handlers
from handlers.common import answer_query, drop_buttons, keyboard
from handlers.flow import Next, Then, start_flow
from handlers.onboarding import begin_setup, require_profile
from rules.reminders import TEAM_PROMPT_KINDS, Reminder

JOIN, DECLINE, LEAVE = "jy", "jn", "lv"
CODE_PATTERN = re.compile(r"^(\d{1,16})-([A-Za-z0-9_-]{16,43})$")
CHECKIN_PAYLOAD = "checkin"
TOO_LATE = (
    "That session ended over a day ago, too long for a check-in about how your legs feel now. "
    "Check in right after your next session, or /checkin for one from the last 24 hours."
)
BAD_LINK = "That join link isn't valid (any more). Ask your coach for the current one."
SHARES = (
    "If you join “{title}”, your coaches will see:\n"
    "• your first name, that you joined, and whether you check in after team sessions\n"
    "• your check-ins: session type and length, effort (RPE), leg heaviness, motivation, "
    "breathing, joint pain or twitching, sleep, and trends over time\n"
    "• a private alert if the 48 h red-flag rule trips (heavy legs with joint pain or "
    "twitching)\n\n"
    "The group only ever sees team totals, never your answers. Other athletes see nothing of "
    "yours. /leave stops all sharing at once.\n\nJoin and share this with your coaches?"
)


async def _team_for(svc: Services, payload: str) -> Team | None:
    """The active team whose join link this is (constant-time secret check), or None."""
    match = CODE_PATTERN.match(payload)
    team_id = callbacks.chat_id(f"-{match.group(1)}") if match else None
    if match is None or team_id is None:
        return None
    team = await svc.teams.following_moves(team_id)  # links from before a supergroup move work
    if not team or not team.active:
        return None
    return team if secrets.compare_digest(team.code, match.group(2)) else None


async def start_with_payload(update: Update, context: BotContext) -> None:
    """/start <payload> from a deep link: a team's join link, or the channel's check-in button."""
    payload = (context.args or [""])[0][:64]
    if payload == CHECKIN_PAYLOAD:
        await checkin_handlers.checkin(update, context)
        return
    team = await _team_for(context.services, payload)
    if team is None:
        await update.effective_chat.send_message(f"{BAD_LINK}\n/help shows what I can do.")
        return
    profile = await load_profile(context.services.store, update.effective_user.id)
    if not consented(profile):
        await update.effective_chat.send_message(
            f"Hi! 👋 Your coach invited you to “{team.title}”. First a 20-second set-up "
            "for your own recovery advice; then I'll show what joining shares."
        )
        await begin_setup(update, context, Then(Next.JOIN, {"code": payload}))
        return
    await ask_consent(update, context, payload)


async def ask_consent(update: Update, context: BotContext, payload: str) -> None:
    """Show exactly what the coach will see, with Join / Not now buttons."""
    svc = context.services
    team = await _team_for(svc, payload)
    if team is None:
        await update.effective_chat.send_message(BAD_LINK)
        return
    if str(update.effective_user.id) in team.members:
        await update.effective_chat.send_message(
            f"You're already in “{team.title}” ✅ Nothing changed. /leave stops sharing."
        )
        return
    await update.effective_chat.send_message(
        SHARES.format(title=team.title),
        reply_markup=keyboard(
            [("✅ Join and share", f"{JOIN}|{payload}"), ("Not now", f"{DECLINE}|-")]
        ),
    )


async def after_setup(update: Update, context: BotContext, data: Mapping[str, Any]) -> None:
    """Onboarding finished for someone who came through a join link."""
    await ask_consent(update, context, str(data.get("code", "")))


async def on_join_button(update: Update, context: BotContext) -> None:
    """Join (with sharing) or decline."""
    query = update.callback_query
    await answer_query(query)
    await drop_buttons(query)
    action, _, payload = (query.data or "").partition("|")
    chat = update.effective_chat
    if action == DECLINE:
        await chat.send_message("OK, you haven't joined and nothing is shared.")
        return
    svc, user = context.services, update.effective_user
    team = await _team_for(svc, payload)
    profile = await load_profile(svc.store, user.id)
    if team is None or not consented(profile):
        await chat.send_message(BAD_LINK if team is None else "Please finish /start first.")
        return
    member = {"name": user.first_name, "joined_at": svc.clock.now().isoformat()}
    if not await join_team(svc.store, user.id, team.id, member):
        await chat.send_message(f"You're already in “{team.title}” ✅")
        return
    await chat.send_message(
        f"You're in “{team.title}” ✅ After each team session I'll send you a check-in "
        "prompt. /leave stops sharing at once."
    )


async def leave(update: Update, context: BotContext) -> None:
    """Stop sharing: at once with one team, or pick when in several."""
    svc, uid = context.services, update.effective_user.id
    profile = await load_profile(svc.store, uid)
    teams = list(profile.teams) if profile else []
    if not teams:
        await update.effective_chat.send_message("You're not in any team, so nothing is shared.")
        return
    if len(teams) == 1:
        await _leave(update, svc, [int(teams[0])])
        return
    found = [await svc.teams.get(int(t)) for t in teams]
    titles = [team.title if team else t for team, t in zip(found, teams, strict=True)]
    buttons = [(title, f"{LEAVE}|{t}") for title, t in zip(titles, teams, strict=True)]
    await update.effective_chat.send_message(
        "Which team should stop seeing your data?",
        reply_markup=keyboard([*buttons, ("All of them", f"{LEAVE}|all")], columns=1),
    )


async def on_leave_button(update: Update, context: BotContext) -> None:
    """Leave the chosen team (or all)."""
    query = update.callback_query
    await answer_query(query)
    await drop_buttons(query)
    svc, uid = context.services, update.effective_user.id
    profile = await load_profile(svc.store, uid)
    mine = profile.team_ids if profile else []
    choice = (query.data or "").partition("|")[2]
    chosen = mine if choice == "all" else [t for t in mine if str(t) == choice]
    await _leave(update, svc, chosen)


async def _leave(update: Update, svc: Services, team_ids: list[int]) -> None:
    """Remove the athlete from teams and confirm."""
    uid = update.effective_user.id
    for team_id in team_ids:
        await leave_team(svc.store, uid, team_id)
    await update.effective_chat.send_message(
        "Done: your coaches no longer see anything of yours and team prompts stop. Your own "
        "check-ins stay private to you."
        if team_ids
        else "You're not in that team any more."
    )


async def on_team_checkin(update: Update, context: BotContext) -> None:
    """The prompt's button: start the check-in with the session's end and length filled in."""
    query = update.callback_query
    svc, uid = context.services, update.effective_user.id
    _, reminder_id = callbacks.parse_item(query.data or "") or ("", "")
    doc = await svc.store.reminder(uid, reminder_id)
    prompt = Reminder.from_doc(doc) if doc else None
    await answer_query(query)
    await drop_buttons(query)
    if prompt is None or prompt.kind not in TEAM_PROMPT_KINDS:
        await update.effective_chat.send_message(
            "That prompt is no longer available. /checkin starts a check-in."
        )
        return
    session_end = prompt.extra["session_end"]
    if svc.clock.now() - datetime.fromisoformat(session_end) > MAX_FINISH_AGE:
        await update.effective_chat.send_message(TOO_LATE)
        return
    prefill = {"finished_at": session_end, "duration_min": prompt.extra["duration"]}
    if await require_profile(update, context, Then(Next.CHECKIN, prefill)):
        await start_flow(update, context, CHECKIN, prefill=prefill)
