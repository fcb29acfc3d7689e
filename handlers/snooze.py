"""The "⏰ In 15 min" button on reminders."""

from __future__ import annotations

from telegram import Update

from bot.athletes.profiles import WITHDRAWN, athlete_zone, consented, load_profile
from bot.athletes.replanning import snooze
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers.common import answer_query, drop_buttons
from rules.facts import local_hhmm


async def on_snooze(update: Update, context: BotContext) -> None:
    """Send the reminder again in 15 minutes, if it will still be useful then."""
    query = update.callback_query
    reminder_id = callbacks.parse_with(callbacks.SNOOZE_PATTERN, query.data or "") or ""
    svc = context.services
    uid = update.effective_user.id
    profile = await load_profile(svc.store, uid)
    due = await snooze(svc, uid, reminder_id) if consented(profile) else None
    if not consented(profile):
        await answer_query(query, WITHDRAWN, alert=True)
    elif due is None:
        await answer_query(
            query,
            "Can't snooze this one any more: it's done, or would come too late to help.",
            alert=True,
        )
    else:
        tz = athlete_zone(profile, svc.settings.default_tz)
        await answer_query(query, f"OK, I'll remind you again at {local_hhmm(due, tz)}.")
    await drop_buttons(query, prefix=callbacks.SNOOZE)
