"""The one-tap buttons a reminder or reply carries: its action, and a 15-minute snooze."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.athletes.reminder_records import snooze_until
from bot.shell import callbacks
from rules.reminders import NUTRITION_KINDS, TEAM_PROMPT_KINDS, Reminder, ReminderKind

SNOOZE_LABEL = "⏰ In 15 min"


def markup_for(reminder: Reminder, now: datetime) -> InlineKeyboardMarkup:
    """The one-tap buttons a message carries: its action, and a 15-minute snooze on reminders
    while a snooze would still bring it back in time."""
    cid = reminder.checkin_id or ""
    if reminder.kind == ReminderKind.REPLY:  # the guidance itself: Why?, maybe Already ate
        buttons = [("Why?", callbacks.item(callbacks.WHY, cid))]
        if reminder.extra.get("ate_button"):
            buttons.append(_ate(cid))
    else:
        action = _action(reminder, cid)
        snooze = [(SNOOZE_LABEL, callbacks.snooze(reminder.id))]
        buttons = [*([action] if action else []), *(snooze if snooze_until(reminder, now) else [])]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]]
    )


def _ate(checkin_id: str) -> tuple[str, str]:
    """The 'Already ate' button of a check-in."""
    return ("✅ Already ate", callbacks.item(callbacks.ATE, checkin_id))


def _action(reminder: Reminder, checkin_id: str) -> tuple[str, str] | None:
    """The button that acts on a reminder, if its kind has one."""
    kind = reminder.kind
    if kind in TEAM_PROMPT_KINDS:
        return ("✅ Check in", callbacks.item(callbacks.TEAM_CHECKIN, reminder.id))
    if kind in NUTRITION_KINDS:
        return _ate(checkin_id)
    if kind == ReminderKind.FOLLOWUP:
        return ("Answer: 2 questions", callbacks.item(callbacks.FOLLOWUP, checkin_id))
    if kind == ReminderKind.READINESS:
        return ("Answer: 5 questions", callbacks.READY)
    return None
