"""The athlete's reminder preferences as pure data: which reminders, quiet hours, morning check-in.

Quiet hours delay a reminder to the end of the quiet period; one that would then arrive after it
stopped being useful (its `expires_at`) is skipped, except the bedtime wind-down: the athlete chose
that bedtime, so it comes just before the quiet hours begin instead (at most an hour early). The
morning readiness check-in comes at the time the athlete picked for it and is not moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from rules.reminders import (
    NUTRITION_KINDS,
    WIND_DOWN_BEFORE,
    ReminderKind,
    ReminderPlan,
    first_bedtime_after,
)

REMINDER_GROUPS: dict[str, tuple[ReminderKind, ...]] = {
    "nutrition": NUTRITION_KINDS,
    "bedtime": (ReminderKind.BEDTIME,),
    "followup": (ReminderKind.FOLLOWUP,),
}
READINESS_VALID_FOR = timedelta(hours=4)
BEFORE_QUIET = timedelta(minutes=5)  # a wind-down brought forward comes this long before quiet
MAX_EARLIER = timedelta(hours=1)  # ... and at most this much earlier than planned
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
    def from_values(
        cls, off: Iterable[str], quiet: Sequence[str] | None, readiness_at: str | None
    ) -> Preferences:
        """Read stored values ("HH:MM" times; defaults: everything on, no quiet hours)."""
        return cls(
            off=frozenset(off),
            quiet=(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1])) if quiet else None,
            readiness_at=time.fromisoformat(readiness_at) if readiness_at else None,
        )

    def allows(self, kind: str) -> bool:
        """Whether reminders of this kind are switched on."""
        return not any(kind in REMINDER_GROUPS[group] for group in self.off)


def quiet_period(
    moment: datetime, tz: tzinfo, quiet: tuple[time, time]
) -> tuple[datetime, datetime] | None:
    """The quiet period containing `moment` as (start, end) in UTC, or None if it isn't quiet."""
    start, end = quiet
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    wraps = start > end
    inside = (clock >= start or clock < end) if wraps else start <= clock < end
    if not inside or start == end:
        return None
    began = local.date() - timedelta(days=1 if wraps and clock < end else 0)
    ends = began + timedelta(days=1 if wraps else 0)
    return (
        datetime.combine(began, start, tzinfo=tz).astimezone(UTC),
        datetime.combine(ends, end, tzinfo=tz).astimezone(UTC),
    )


def quiet_end(moment: datetime, tz: tzinfo, quiet: tuple[time, time]) -> datetime | None:
    """When the quiet period containing `moment` ends (UTC), or None if `moment` isn't quiet."""
    period = quiet_period(moment, tz, quiet)
    return period[1] if period else None


def _out_of_quiet(plan: ReminderPlan, tz: tzinfo, quiet: tuple[time, time]) -> ReminderPlan:
    """The plan moved out of quiet hours: later, or (a wind-down) just before they begin."""
    period = quiet_period(plan.due_at, tz, quiet)
    if period is None:
        return plan
    start, end = period
    due = end
    if end >= plan.expires_at and plan.kind == ReminderKind.BEDTIME:
        earlier = start - BEFORE_QUIET
        due = earlier if plan.due_at - earlier <= MAX_EARLIER else end
    return ReminderPlan(plan.kind, due, plan.expires_at, plan.text)


def apply_preferences(
    plans: Iterable[ReminderPlan], prefs: Preferences, tz: tzinfo
) -> list[ReminderPlan]:
    """Drop switched-off reminders; move the rest out of quiet hours (skip them if then useless)."""
    kept: list[ReminderPlan] = []
    for plan in plans:
        if not prefs.allows(plan.kind):
            continue
        if prefs.quiet:
            plan = _out_of_quiet(plan, tz, prefs.quiet)
        if plan.due_at < plan.expires_at:
            kept.append(plan)
    return kept


def wind_down_blocked(prefs: Preferences, bedtime: time, tz: tzinfo, now: datetime) -> bool:
    """Whether quiet hours leave no moment for the bedtime wind-down the athlete switched on."""
    at = first_bedtime_after(now, tz, bedtime)
    if at is None or not prefs.allows(ReminderKind.BEDTIME):
        return False
    plan = ReminderPlan(ReminderKind.BEDTIME, at - WIND_DOWN_BEFORE, at, "")
    return not apply_preferences([plan], prefs, tz)


def plan_readiness(now: datetime, tz: tzinfo, at: time) -> ReminderPlan | None:
    """The next morning readiness prompt: the first local `at` after `now`."""
    due = first_bedtime_after(now, tz, at)
    if due is None:
        return None
    return ReminderPlan(ReminderKind.READINESS, due, due + READINESS_VALID_FOR, READINESS_TEXT)
