"""Reminder records as stored: a planned nudge, a check-in's reply, a daily renewal."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.athletes.parsing import zone
from rules.preferences import plan_readiness
from rules.reminders import Reminder, ReminderKind, ReminderPlan

SNOOZE_FOR = timedelta(minutes=15)


def snooze_until(reminder: Reminder, now: datetime) -> datetime | None:
    """When a snooze tapped now would bring the reminder back; None if it would be too late."""
    due = now + SNOOZE_FOR
    return due if due < reminder.expires_at else None


REPLY_TTL = timedelta(hours=12)  # a check-in's guidance is still worth sending this late


def record_for(
    plan: ReminderPlan, user_id: int, checkin_id: str | None, reminder_id: str
) -> dict[str, Any]:
    """The stored form of a planned reminder."""
    return Reminder(
        reminder_id, user_id, plan.kind, plan.due_at, plan.expires_at, plan.text, checkin_id
    ).to_doc()


def reply_record(
    user_id: int, checkin_id: str, text: str, now: datetime, *, ate_button: bool, reminder_id: str
) -> dict[str, Any]:
    """The guidance reply to a check-in as an outbox record, stored with the check-in itself so
    it is sent (and retried) by the dispatcher even if the first attempt or the process fails."""
    return Reminder(
        reminder_id,
        user_id,
        ReminderKind.REPLY,
        now,
        now + REPLY_TTL,
        text,
        checkin_id,
        extra={"ate_button": ate_button},
    ).to_doc()


def next_daily(reminder: Reminder, now: datetime, new_id: str) -> dict[str, Any] | None:
    """The next occurrence of a daily reminder (the morning check-in), in the athlete's zone."""
    repeat = reminder.extra.get("repeat")
    if not repeat or reminder.extra.get("renewed"):
        return None
    plan = plan_readiness(now, zone(repeat["tz"]), time.fromisoformat(repeat["at"]))
    if plan is None:
        return None
    return record_for(plan, reminder.user_id, None, new_id) | {"repeat": repeat}
