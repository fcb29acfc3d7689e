"""/history: plain sentences and the latest check-ins, a chart fitted to the data, and the
numbers behind them (training load, baseline z-scores) one tap away."""

from __future__ import annotations

from datetime import datetime, tzinfo

from telegram import Update

from bot.athletes.history import render_history, render_numbers
from bot.athletes.profiles import athlete_zone, load_profile
from bot.athletes.recording import checkin_history
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers.common import answer_query, drop_buttons, keyboard
from rules.model import CheckIn
from rules.trends import history_chart

NOTHING_YET = "No check-ins yet. After training, send /checkin: your history starts there."
NUMBERS_LABEL = "📊 The numbers behind this"


async def history(update: Update, context: BotContext) -> None:
    """Send the history text and, once there is a session, the chart."""
    found = await _history(context, update.effective_user.id)
    if found is None:
        await update.effective_chat.send_message(NOTHING_YET)
        return
    checkins, tz, now = found
    today = now.astimezone(tz).date()
    await update.effective_chat.send_message(
        render_history(checkins, tz, today, now),
        reply_markup=keyboard([(NUMBERS_LABEL, callbacks.HISTORY_NUMBERS)], columns=1),
    )
    days = history_chart(checkins, tz, today, now)
    if days:
        caption = f"Leg heaviness (line) and session load (bars) since {days[0].day:%a %d %b}."
        await context.services.charts.send(update.effective_chat, days, caption)


async def on_numbers(update: Update, context: BotContext) -> None:
    """The numbers behind /history, with their definitions and sources."""
    query = update.callback_query
    await answer_query(query)
    await drop_buttons(query)
    found = await _history(context, update.effective_user.id)
    if found is None:
        await update.effective_chat.send_message(NOTHING_YET)
        return
    checkins, tz, now = found
    await update.effective_chat.send_message(
        render_numbers(checkins, tz, now.astimezone(tz).date())
    )


async def _history(context: BotContext, uid: int) -> tuple[list[CheckIn], tzinfo, datetime] | None:
    """The athlete's check-ins, their zone and now; None before the first check-in."""
    svc = context.services
    checkins = await checkin_history(svc.store, uid)
    if not checkins:
        return None
    tz = athlete_zone(await load_profile(svc.store, uid), svc.settings.default_tz)
    return checkins, tz, svc.clock.now()
