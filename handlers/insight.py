"""/history: plain sentences and the latest check-ins, a chart fitted to the data, and the
numbers behind them (training load, baseline z-scores) one tap away."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.athletes.history import render_history, render_numbers
from bot.athletes.profiles import athlete_zone, load_profile
from bot.athletes.recording import checkin_history
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers.common import answer_query, drop_buttons, keyboard
from rules.load import local_day, sessions
from rules.trends import chart_days

MAX_CHART_DAYS = 42
NOTHING_YET = "No check-ins yet. After training, send /checkin: your history starts there."
NUMBERS_LABEL = "📊 The numbers behind this"


async def history(update: Update, context: BotContext) -> None:
    """Send the history text and, once there is a session, the chart."""
    svc = context.services
    uid = update.effective_user.id
    checkins = await checkin_history(svc.store, uid)
    if not checkins:
        await update.effective_chat.send_message(NOTHING_YET)
        return
    tz = athlete_zone(await load_profile(svc.store, uid), svc.settings.default_tz)
    now = svc.clock.now()
    today = now.astimezone(tz).date()
    await update.effective_chat.send_message(
        render_history(checkins, tz, today, now),
        reply_markup=keyboard([(NUMBERS_LABEL, callbacks.HISTORY_NUMBERS)], columns=1),
    )
    if not sessions(checkins):
        return
    first = min(local_day(c, tz) for c in checkins)
    days = tuple(chart_days(checkins, tz, today, chart_span(first, today), now))
    caption = f"Leg heaviness (line) and session load (bars) since {days[0].day:%a %d %b}."
    await svc.charts.send(update.effective_chat, days, caption)


def chart_span(first: date, today: date) -> int:
    """Days the chart shows: from the first check-in's day to today, at most six weeks."""
    return min(MAX_CHART_DAYS, (today - first).days + 1)


async def on_numbers(update: Update, context: BotContext) -> None:
    """The numbers behind /history, with their definitions and sources."""
    query = update.callback_query
    svc = context.services
    uid = update.effective_user.id
    await answer_query(query)
    await drop_buttons(query)
    checkins = await checkin_history(svc.store, uid)
    if not checkins:
        await update.effective_chat.send_message(NOTHING_YET)
        return
    tz = athlete_zone(await load_profile(svc.store, uid), svc.settings.default_tz)
    today = svc.clock.now().astimezone(tz).date()
    await update.effective_chat.send_message(render_numbers(checkins, tz, today))
