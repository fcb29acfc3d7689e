"""Facts derived once per advice request: thresholds, the heavy-legs streak, refuel timing.

Heaviness streak (`heaviness_hours`): the current observation and the athlete's earlier
observations (check-ins observed at `finished_at`, follow-ups at `created_at`) are sorted by
`observed_at`. If the current one is heavy (>= HEAVY_LEGS), we walk back through earlier
observations: unanswered ones (None) are skipped, the first light one (< HEAVY_LEGS) ends the
streak, and so does a gap of more than STREAK_MAX_GAP_HOURS between two heavy observations
(we cannot vouch for unobserved days). The streak starts at the earliest heavy observation
reached; `heaviness_hours` runs from that moment to `now`. A light or unanswered current
observation gives 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from rules.baseline import BaselineFlag, acted_on, assess_all
from rules.load import LoadSummary, summarize_load
from rules.model import CheckIn, Kind, SessionType

HEAVYISH_LEGS = 5
HEAVY_LEGS = 6
FOLLOWUP_LEGS = 7
HARD_RPE = 7
MODERATE_RPE = 5
LOW_MOTIVATION = 2
SHORT_SLEEP_HOURS = 7.0
PERSISTENT_HOURS = 48.0
STREAK_MAX_GAP_HOURS = 72.0
FOLLOWUP_AFTER = timedelta(hours=48)
REFUEL_IDEAL_FROM = timedelta(minutes=30)
REFUEL_WINDOW = timedelta(minutes=60)
REFUEL_STALE_AFTER = timedelta(hours=12)
HARD_SESSION_TYPES = frozenset({SessionType.INTERVALS, SessionType.STRENGTH})


@dataclass(frozen=True)
class Facts:
    """Everything a rule may look at, computed once; None-safe by construction."""

    checkin: CheckIn
    history: tuple[CheckIn, ...]
    now: datetime
    tz: tzinfo
    bedtime: time | None
    refuel_deadline: datetime | None
    hard_session: bool
    legs_heavyish: bool
    legs_heavy: bool
    heaviness_hours: float
    persistent: bool
    red_signs: bool
    red_flag: bool
    refuel_pending: bool
    low_motivation: bool
    moderate_effort: bool
    short_sleep: bool
    load: LoadSummary | None = None
    baseline_flags: tuple[BaselineFlag, ...] = ()

    @property
    def refuel_open(self) -> bool:
        """The 60-minute window is still open (exactly 60 minutes counts as open)."""
        return self.refuel_deadline is not None and self.now <= self.refuel_deadline

    @property
    def refuel_minutes_left(self) -> int:
        """Whole minutes (rounded up) until the refuel window closes; 0 once closed."""
        if self.refuel_deadline is None:
            return 0
        seconds = (self.refuel_deadline - self.now).total_seconds()
        return max(0, math.ceil(seconds / 60))


def at_least(value: float | None, threshold: float) -> bool:
    """`value >= threshold`, False when the answer is missing."""
    return value is not None and value >= threshold


def at_most(value: float | None, threshold: float) -> bool:
    """`value <= threshold`, False when the answer is missing."""
    return value is not None and value <= threshold


def local_hhmm(moment: datetime, tz: tzinfo) -> str:
    """Clock time HH:MM of an aware datetime in the athlete's time zone."""
    return moment.astimezone(tz).strftime("%H:%M")


def needs_followup(checkin: CheckIn) -> bool:
    """A full check-in with very heavy legs or red signs earns a 48 h follow-up question."""
    return checkin.kind is Kind.CHECKIN and (
        at_least(checkin.leg_heaviness, FOLLOWUP_LEGS) or checkin.red_signs
    )


def relevant_history(checkin: CheckIn, history: Sequence[CheckIn]) -> tuple[CheckIn, ...]:
    """Earlier observations only (not the current one, not later ones), oldest first."""
    earlier = (
        h
        for h in history
        if h is not checkin
        and not (checkin.id and h.id == checkin.id)
        and h.observed_at <= checkin.observed_at
    )
    return tuple(sorted(earlier, key=lambda h: h.observed_at))


def streak_start(checkin: CheckIn, earlier: tuple[CheckIn, ...]) -> datetime | None:
    """When the current unbroken run of heavy observations began; None if legs are not heavy."""
    if not at_least(checkin.leg_heaviness, HEAVY_LEGS):
        return None
    start = checkin.observed_at
    max_gap = timedelta(hours=STREAK_MAX_GAP_HOURS)
    for obs in reversed(earlier):
        if obs.leg_heaviness is None:
            continue
        if obs.leg_heaviness < HEAVY_LEGS or start - obs.observed_at > max_gap:
            break
        start = obs.observed_at
    return start


def build_facts(
    checkin: CheckIn,
    history: Sequence[CheckIn],
    now: datetime,
    *,
    tz: tzinfo,
    bedtime: time | None,
) -> Facts:
    """Derive all facts for one check-in; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    earlier = relevant_history(checkin, history)
    start = streak_start(checkin, earlier)
    hours = 0.0 if start is None else max(0.0, (now - start).total_seconds() / 3600)
    persistent = hours >= PERSISTENT_HOURS
    finished = checkin.finished_at
    day = checkin.observed_at.astimezone(tz).date()
    return Facts(
        checkin=checkin,
        history=earlier,
        now=now,
        tz=tz,
        bedtime=bedtime,
        refuel_deadline=None if finished is None else finished + REFUEL_WINDOW,
        hard_session=at_least(checkin.rpe, HARD_RPE) or checkin.session_type in HARD_SESSION_TYPES,
        legs_heavyish=at_least(checkin.leg_heaviness, HEAVYISH_LEGS),
        legs_heavy=start is not None,
        heaviness_hours=hours,
        persistent=persistent,
        red_signs=checkin.red_signs,
        red_flag=persistent and checkin.red_signs,
        refuel_pending=_refuel_pending(checkin, now),
        low_motivation=at_most(checkin.motivation, LOW_MOTIVATION),
        moderate_effort=at_most(checkin.rpe, MODERATE_RPE),
        short_sleep=checkin.sleep_hours is not None and checkin.sleep_hours < SHORT_SLEEP_HOURS,
        load=summarize_load((*earlier, checkin), tz, day),
        baseline_flags=acted_on(assess_all((*earlier, checkin), tz, day)),
    )


def _refuel_pending(checkin: CheckIn, now: datetime) -> bool:
    """Refuel advice applies: a full check-in, finish known, not refuelled, not days old."""
    return (
        checkin.kind is Kind.CHECKIN
        and checkin.finished_at is not None
        and checkin.refuelled_at is None
        and now - checkin.finished_at <= REFUEL_STALE_AFTER
    )
