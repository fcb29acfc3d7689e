"""/checkin and the 48 h follow-up: store the answers, reply with guidance, plan reminders."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.athletes.profiles import WITHDRAWN, consented, load_profile
from bot.athletes.questions import CHECKIN, FOLLOWUP
from bot.athletes.recording import advised_points, record_checkin
from bot.athletes.service import mark_refuelled
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers.common import DRAFT, answer_query, drop_buttons, keyboard
from handlers.flow import Draft, Next, Then, ask, live_draft, start_flow
from handlers.onboarding import consented_profile, require_profile
from rules.model import CheckIn, Kind
from rules.trends import refuelled_in_time

GONE = "I can't find that check-in any more (it may have been erased)."


async def checkin(update: Update, context: BotContext) -> None:
    """Start a post-session check-in (or pick an unfinished one back up)."""
    if not await require_profile(update, context, Then(Next.CHECKIN)):
        return
    draft, _expired = await live_draft(update, context)
    if draft and draft.flow == CHECKIN.name:
        await ask(
            update, context, draft, note="Picking up your unfinished check-in (/cancel drops it)."
        )
        return
    await start_flow(update, context, CHECKIN)


async def continue_checkin(update: Update, context: BotContext, prefill: Mapping[str, Any]) -> None:
    """After set-up: the check-in that was asked for, with what a team prompt filled in."""
    await start_flow(update, context, CHECKIN, prefill=dict(prefill))


async def finish_checkin(update: Update, context: BotContext, draft: Draft) -> None:
    """Store the check-in with its reminders, then reply with guidance."""
    await _finish(update, context, draft, Kind.CHECKIN)


async def finish_followup(update: Update, context: BotContext, draft: Draft) -> None:
    """Store the 48 h follow-up answer and reply with guidance that uses the history."""
    await _finish(update, context, draft, Kind.FOLLOWUP)


def _model(draft: Draft, kind: Kind, now: datetime, update_id: int) -> CheckIn:
    """Build the model from a finished draft's answers."""
    answers: dict[str, Any] = dict(draft.answers)
    finished = answers.pop("finished_at", None)
    extra = {k: answers.pop(k) for k in list(answers) if k.startswith("_") or k == "followup_of"}
    record = {
        **answers,
        "kind": str(kind),
        "finished_at": finished,
        "created_at": now.isoformat(),
        "id": draft.id,
        "update_id": update_id,
        **extra,
    }
    return CheckIn.from_record(record)


async def _finish(update: Update, context: BotContext, draft: Draft, kind: Kind) -> None:
    """The shared end of both flows: consent check, one atomic write, guidance, team alert."""
    svc = context.services
    uid = update.effective_user.id
    profile = await consented_profile(update, context)
    if profile is None:
        return
    model = _model(draft, kind, svc.clock.now(), update.update_id)
    recorded = await record_checkin(
        svc.store, uid, profile, model, svc.settings.default_tz, clear_state=DRAFT
    )
    if recorded is None:
        return
    await svc.reminders.send_now(context.bot, uid, recorded.reply)
    if recorded.red_flag:
        await svc.teams.red_flag(uid, model.id)


async def on_item(update: Update, context: BotContext) -> None:
    """Buttons on a stored check-in: Why?, Already ate, and the follow-up's Answer."""
    query = update.callback_query
    action, cid = callbacks.parse_item(query.data or "") or ("", "")
    svc = context.services
    uid = update.effective_user.id
    record = await svc.store.checkin(uid, cid)
    if record is None:
        await answer_query(query, GONE, alert=True)
        await drop_buttons(query)
        return
    if action == callbacks.WHY:
        await answer_query(query)
        await _show_why(update, context, cid, 0)
    elif not consented(await load_profile(svc.store, uid)):  # Already ate / Answer store new data
        await answer_query(query, WITHDRAWN, alert=True)
        await drop_buttons(query, prefix=action)
    elif action == callbacks.ATE:
        now = svc.clock.now()
        await mark_refuelled(svc.store, uid, cid, now.isoformat())
        await answer_query(query, _refuel_logged(CheckIn.from_record(record), now))
        await drop_buttons(query, prefix=callbacks.ATE)
    else:
        await answer_query(query)
        await drop_buttons(query)
        await start_flow(update, context, FOLLOWUP, prefill={"followup_of": cid})


def _refuel_logged(checkin: CheckIn, now: datetime) -> str:
    """What an "Already ate" tap means, as /history will count it."""
    in_time = refuelled_in_time(replace(checkin, refuelled_at=checkin.refuelled_at or now))
    if in_time is False:
        return (
            "Logged. The 60-minute window had closed by then, so /history counts this refuel "
            "as late. No more refuel reminders for this session."
        )
    logged = "Logged, nice!" if in_time else "Logged."
    return f"{logged} No more refuel reminders for this session."


async def on_why_point(update: Update, context: BotContext) -> None:
    """A point button under a Why? explanation: show that point in the same message."""
    query = update.callback_query
    cid, index = callbacks.parse_why_point(query.data or "") or ("", 0)
    await answer_query(query)
    await _show_why(update, context, cid, index, in_place=True)


async def _show_why(
    update: Update,
    context: BotContext,
    cid: str,
    index: int,
    *,
    in_place: bool = False,
) -> None:
    """One point of a check-in's advice with its sources, and buttons to the other points."""
    svc = context.services
    points = await advised_points(svc.store, update.effective_user.id, cid, svc.settings.default_tz)
    if not points:
        await update.effective_chat.send_message(GONE)
        return
    index = min(index, len(points) - 1)
    text = points[index].explain(index + 1, len(points))
    buttons = [
        (f"· {n + 1} ·" if n == index else str(n + 1), callbacks.why_point(cid, n))
        for n in range(len(points))
    ]
    markup = keyboard(buttons, columns=len(buttons)) if len(points) > 1 else None
    if in_place:
        with suppress(BadRequest):  # the same point tapped again: nothing to change
            await update.callback_query.edit_message_text(text, reply_markup=markup)
        return
    await update.effective_chat.send_message(text, reply_markup=markup)
