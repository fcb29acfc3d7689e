"""Apply the athlete's settings to reminders already scheduled: move, cancel, revive, snooze."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.athletes.profiles import (
    athlete_bedtime,
    athlete_zone,
    athlete_zone_name,
    consented,
    load_profile,
    new_id,
)
from bot.athletes.reminder_records import record_for, snooze_until
from bot.shell.context import Services
from bot.storage.base import PENDING, ReminderFilter
from rules.model import CheckIn
from rules.preferences import REMINDER_GROUPS, Preferences, apply_preferences, plan_readiness
from rules.reminders import Reminder, ReminderKind, ReminderStatus, plan_reminders

log = logging.getLogger(__name__)

SETTINGS_REASON = "settings"
EVERYTHING_OFF = Preferences(off=frozenset(REMINDER_GROUPS))


# Pending, or switched off by a setting (and so revivable when it is switched on again).
LIVE = (
    PENDING,
    ReminderFilter(statuses=frozenset({ReminderStatus.CANCELLED}), reason=SETTINGS_REASON),
)


def _off(now: datetime) -> dict[str, Any]:
    """The change that switches a reminder off because of a setting."""
    return {
        "status": ReminderStatus.CANCELLED,
        "reason": SETTINGS_REASON,
        "settled_at": now.isoformat(),
    }


async def reschedule(svc: Services, uid: int) -> list[dict[str, Any]]:
    """Re-plan every live reminder from the current profile in one write; return pending ones."""
    profile = await load_profile(svc.store, uid)
    prefs = profile.preferences if consented(profile) else EVERYTHING_OFF
    tz, bedtime = athlete_zone(profile, svc.settings.default_tz), athlete_bedtime(profile)
    now = svc.clock.now()
    checkins = {r["id"]: CheckIn.from_record(r) for r in await svc.store.checkins(uid)}
    changes: dict[str, dict[str, Any]] = {}
    for doc in await svc.store.reminders(uid):
        if not any(f.matches(doc) for f in LIVE):
            continue
        reminder = Reminder.from_doc(doc)
        if reminder.kind == ReminderKind.READINESS:
            changes[reminder.id] = _off(now)
            continue
        model = checkins.get(reminder.checkin_id or "")
        plans = plan_reminders(model, now, tz=tz, bedtime=bedtime) if model else []
        plan = {p.kind: p for p in apply_preferences(plans, prefs, tz)}.get(reminder.kind)
        if plan is not None:
            changes[reminder.id] = {
                "status": ReminderStatus.PENDING,
                "due_at": plan.due_at.isoformat(),
                "expires_at": plan.expires_at.isoformat(),
                "text": plan.text,
            }
        elif reminder.expires_at > now or reminder.status != ReminderStatus.PENDING:
            changes[reminder.id] = _off(now)
    new = []
    ready = plan_readiness(now, tz, prefs.readiness_at) if prefs.readiness_at else None
    if ready is not None:
        repeat = {"at": prefs.readiness_at.strftime("%H:%M"), "tz": athlete_zone_name(profile)}
        new.append(record_for(ready, uid, None, new_id()) | {"repeat": repeat})
    where = tuple(replace(f, ids=frozenset(changes)) for f in LIVE)
    touched = await svc.store.update_reminders(uid, where, each=changes, new=new)
    pending = [r for r in touched if r["status"] == ReminderStatus.PENDING]
    log.info("athlete settings applied: %d reminders pending", len(pending))
    return pending


async def snooze(svc: Services, uid: int, reminder_id: str) -> datetime | None:
    """Send a delivered reminder again in 15 minutes; None if it would then be useless."""
    doc = await svc.store.reminder(uid, reminder_id)
    record = Reminder.from_doc(doc) if doc else None
    if record is None or record.status != ReminderStatus.SENT:
        return None
    due = snooze_until(record, svc.clock.now())
    if due is None:
        return None
    changes = {
        "status": ReminderStatus.PENDING,
        "due_at": due.isoformat(),
        "snoozes": record.extra.get("snoozes", 0) + 1,
    }
    sent = ReminderFilter(ids=frozenset({reminder_id}), statuses=frozenset({ReminderStatus.SENT}))
    touched = await svc.store.update_reminders(uid, (sent,), changes)
    return due if touched else None
