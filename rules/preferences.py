"""The athlete's reminder preferences as pure data: which reminders, quiet hours, morning check-in.

Quiet hours delay a reminder to the end of the quiet period; one that would then arrive after it
stopped being useful (its `expires_at`) is skipped. The morning readiness check-in comes at the
time the athlete picked for it and is not moved by quiet hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from rules.reminders import NUTRITION_KINDS, ReminderKind, ReminderPlan, first_bedtime_after

REMINDER_GROUPS: dict[str, tuple[ReminderKind, ...]] = {
    "nutrition": NUTRITION_KINDS,
    "bedtime": (ReminderKind.BEDTIME,),
    "followup": (ReminderKind.FOLLOWUP,),
}
READINESS_VALID_FOR = timedelta(hours=4)
READINESS_TEXT = (
    "Good morning! How are you today? Five one-tap questions: fatigue, sleep, soreness, stress "
    "and mood (about 20 seconds)."
)


@dataclass(frozen=True)
class Preferences:
    """Which reminder groups are off, the quiet hours and the morning check-in time."""

    off: frozenset[str] = frozenset()
    quiet: tuple[time, time] | None = None
    readiness_at: time | None = None

    @classmethod
    def from_profile(cls, profile: dict[str, Any] | None) -> Preferences:
        """Read the preferences stored in a profile (defaults: everything on, no quiet hours)."""
        profile = profile or {}
        quiet = profile.get("quiet_hours")
        ready = profile.get("readiness_at")
        return cls(
            off=frozenset(profile.get("reminders_off") or ()),
            quiet=(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1])) if quiet else None,
            readiness_at=time.fromisoformat(ready) if ready else None,
        )

    def allows(self, kind: str) -> bool:
        """Whether reminders of this kind are switched on."""
        return not any(kind in REMINDER_GROUPS[group] for group in self.off)


def quiet_end(moment: datetime, tz: tzinfo, quiet: tuple[time, time]) -> datetime | None:
    """When the quiet period containing `moment` ends (UTC), or None if `moment` isn't quiet."""
    start, end = quiet
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    wraps = start > end
    inside = (clock >= start or clock < end) if wraps else start <= clock < end
    if not inside or start == end:
        return None
    day = local.date() + timedelta(days=1 if wraps and clock >= start else 0)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def apply_preferences(
    plans: Iterable[ReminderPlan], prefs: Preferences, tz: tzinfo
) -> list[ReminderPlan]:
    """Drop switched-off reminders; move the rest out of quiet hours (skip them if then useless)."""
    kept: list[ReminderPlan] = []
    for plan in plans:
        if not prefs.allows(plan.kind):
            continue
        later = quiet_end(plan.due_at, tz, prefs.quiet) if prefs.quiet else None
        if later is not None:
            plan = ReminderPlan(plan.kind, later, plan.expires_at, plan.text)
        if plan.due_at < plan.expires_at:
            kept.append(plan)
    return kept


def plan_readiness(now: datetime, tz: tzinfo, at: time) -> ReminderPlan | None:
    """The next morning readiness prompt: the first local `at` after `now`."""
    due = first_bedtime_after(now, tz, at)
    if due is None:
        return None
    return ReminderPlan(ReminderKind.READINESS, due, due + READINESS_VALID_FOR, READINESS_TEXT)
