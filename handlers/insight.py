"""/history: recent check-ins, trends and a chart of the last six weeks."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.athletes.chart import cached_chart
from bot.athletes.history import render_history
from bot.athletes.profiles import athlete_zone
from bot.athletes.recording import checkin_history
from bot.shell.context import BotContext
from rules.load import sessions
from rules.trends import chart_days

CHART_DAYS = 42
MIN_SESSIONS = 2
NOT_ENOUGH = (
    "Not enough data yet: I need at least {n} post-session check-ins for a history and chart "
    "(you have {have}). After training, send /checkin."
)


async def history(update: Update, context: BotContext) -> None:
    """Send the history text and, with enough data, the chart."""
    svc = context.services
    uid = update.effective_user.id
    profile = await svc.store.profile(uid)
    checkins = await checkin_history(svc.store, uid)
    have = len(sessions(checkins))
    if have < MIN_SESSIONS:
        await update.effective_chat.send_message(NOT_ENOUGH.format(n=MIN_SESSIONS, have=have))
        return
    tz = athlete_zone(profile, svc.settings.default_tz)
    today = svc.clock.now().astimezone(tz).date()
    await update.effective_chat.send_message(render_history(checkins, tz, today))
    days = tuple(chart_days(checkins, tz, today, CHART_DAYS))
    png = await asyncio.to_thread(cached_chart, days)
    await update.effective_chat.send_photo(
        InputFile(png, filename="history.png"),
        caption="Leg heaviness (line) and session load (bars), last 6 weeks.",
    )
