"""Facts derived once per advice request: the scales' bands, observed persistence, refuel timing.

Persistence is observed, never inferred (docs/guidance.md). Each answer reports how the legs
feel *when it is given* (`created_at`). Heavy answers (the "heavy" band of the leg-heaviness
scale or above) form one run when each is linked to the one before it:

- answered within LINK_MAX_GAP (36 h) of it: answers that close vouch for the time between; or
- it is the 48 h follow-up of that check-in (`followup_of`), answered within FOLLOWUP_LINK_MAX:
  the follow-up asks whether the legs are *still* heavy.

Walking back from the current answer, an unanswered one (None) is skipped, and the run ends at
the first light answer or the first missing link. A run starts at its earliest answer, or at
that answer's session end when the check-in came within LINK_MAX_GAP of finishing (the heavy legs
the article describes start as the session ends). Heaviness has persisted for the time from the
run's start to the current answer; "persistent" means at least 48 hours of it. A single answer,
however late after its session, never persists on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from rules.baseline import BaselineFlag, acted_on, assess_all
from rules.load import LoadSummary, summarize_load
from rules.model import CheckIn, Kind, SessionType
from rules.scales import EFFORT, HARD, HEAVY, LEG_HEAVINESS, LOW, MOTIVATION, VERY_HARD

SOME_HEAVINESS = "a little heavy"
SHORT_SLEEP_HOURS = 7.0
PERSISTENT = timedelta(hours=48)
LONG_PERSISTENT = timedelta(days=14)
LINK_MAX_GAP = timedelta(hours=36)
FOLLOWUP_AFTER = timedelta(hours=48)
FOLLOWUP_VALID_FOR = timedelta(hours=24)
FOLLOWUP_LINK_MAX = FOLLOWUP_AFTER + FOLLOWUP_VALID_FOR
REFUEL_IDEAL_FROM = timedelta(minutes=30)
REFUEL_WINDOW = timedelta(minutes=60)
REFUEL_STALE_AFTER = timedelta(hours=12)
BREATHING_SETTLES_WITHIN = timedelta(minutes=60)
# "Sustained effort" (glycogen): at least an hour at a hard effort, or 90 minutes at a moderate
# one. "High-intensity efforts" (lactate): very hard, or hard in a session built on intensity.
SUSTAINED = ((60, HARD), (90, "moderate"))
INTENSE_SESSION_TYPES = frozenset({SessionType.INTERVALS, SessionType.STRENGTH})


@dataclass(frozen=True)
class Facts:
    """Everything a rule may look at, computed once; None-safe by construction."""

    checkin: CheckIn
    history: tuple[CheckIn, ...]
    now: datetime
    tz: tzinfo
    bedtime: time | None
    followup_at: datetime | None
    refuel_deadline: datetime | None
    since_finish: timedelta | None
    legs_some: bool
    legs_heavy: bool
    sustained: bool
    intense: bool
    heavy_for: timedelta
    persistent: bool
    long_persistent: bool
    red_signs: bool
    red_flag: bool
    refuel_pending: bool
    low_motivation: bool
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

    @property
    def effort_known_light(self) -> bool:
        """The session's effort was answered and sat below the "hard" band."""
        return self.checkin.rpe is not None and not EFFORT.at_least(self.checkin.rpe, HARD)

    @property
    def breathing_up(self) -> bool:
        """The athlete said their breathing is still elevated."""
        return self.checkin.breathing_elevated is True

    @property
    def breathing_soon(self) -> bool:
        """Breathing is up within the hour after the session, when that is still expected."""
        return (
            self.breathing_up
            and self.since_finish is not None
            and self.since_finish <= BREATHING_SETTLES_WITHIN
        )


def local_hhmm(moment: datetime, tz: tzinfo) -> str:
    """Clock time HH:MM of an aware datetime in the athlete's time zone."""
    return moment.astimezone(tz).strftime("%H:%M")


def needs_followup(checkin: CheckIn) -> bool:
    """A full check-in with heavy legs or red signs earns a 48 h follow-up question."""
    return checkin.kind is Kind.CHECKIN and (
        LEG_HEAVINESS.at_least(checkin.leg_heaviness, HEAVY) or checkin.red_signs
    )


def ends_episode(checkin: CheckIn) -> bool:
    """A full check-in with light legs and no red signs: nothing left to follow up."""
    return (
        checkin.kind is Kind.CHECKIN
        and checkin.leg_heaviness is not None
        and not needs_followup(checkin)
    )


def relevant_history(checkin: CheckIn, history: Sequence[CheckIn]) -> tuple[CheckIn, ...]:
    """Answers given before this one (not itself, not later ones), oldest first."""
    earlier = (
        h
        for h in history
        if h is not checkin
        and not (checkin.id and h.id == checkin.id)
        and h.created_at <= checkin.created_at
    )
    return tuple(sorted(earlier, key=lambda h: h.created_at))


def linked(earlier: CheckIn, later: CheckIn) -> bool:
    """Whether two answers are close enough to vouch for the time between them."""
    gap = later.created_at - earlier.created_at
    followup = bool(earlier.id) and later.extra.get("followup_of") == earlier.id
    return gap <= LINK_MAX_GAP or (followup and gap <= FOLLOWUP_LINK_MAX)


def heavy_since(answer: CheckIn) -> datetime:
    """When a heavy answer's heaviness observably began: its session's end if answered soon."""
    finished = answer.finished_at
    soon = finished is not None and timedelta(0) <= answer.created_at - finished <= LINK_MAX_GAP
    return finished if soon and answer.kind is Kind.CHECKIN else answer.created_at


def run_start(checkin: CheckIn, earlier: tuple[CheckIn, ...]) -> datetime | None:
    """Start of the observed run of heavy answers ending with this one; None if not heavy."""
    if not LEG_HEAVINESS.at_least(checkin.leg_heaviness, HEAVY):
        return None
    start, link = heavy_since(checkin), checkin
    for answer in reversed(earlier):
        if answer.leg_heaviness is None:
            continue
        if not linked(answer, link) or not LEG_HEAVINESS.at_least(answer.leg_heaviness, HEAVY):
            break
        start, link = min(start, heavy_since(answer)), answer
    return start


def sustained(checkin: CheckIn) -> bool:
    """A long session at a real effort: what the article means by "sustained effort"."""
    minutes, rpe = checkin.duration_min, checkin.rpe
    return minutes is not None and any(
        minutes >= least and EFFORT.at_least(rpe, band) for least, band in SUSTAINED
    )


def intense(checkin: CheckIn) -> bool:
    """A high-intensity session: very hard overall, or hard intervals / heavy strength."""
    return EFFORT.at_least(checkin.rpe, VERY_HARD) or (
        EFFORT.at_least(checkin.rpe, HARD) and checkin.session_type in INTENSE_SESSION_TYPES
    )


def build_facts(
    checkin: CheckIn,
    history: Sequence[CheckIn],
    now: datetime,
    *,
    tz: tzinfo,
    bedtime: time | None,
    followup_at: datetime | None = None,
) -> Facts:
    """Derive all facts for one answer; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    earlier = relevant_history(checkin, history)
    start = run_start(checkin, earlier)
    heavy_for = timedelta(0) if start is None else max(timedelta(0), checkin.created_at - start)
    persistent = heavy_for >= PERSISTENT
    finished = checkin.finished_at
    day = checkin.observed_at.astimezone(tz).date()
    return Facts(
        checkin=checkin,
        history=earlier,
        now=now,
        tz=tz,
        bedtime=bedtime,
        followup_at=followup_at,
        refuel_deadline=None if finished is None else finished + REFUEL_WINDOW,
        since_finish=None if finished is None else max(timedelta(0), checkin.created_at - finished),
        legs_some=LEG_HEAVINESS.at_least(checkin.leg_heaviness, SOME_HEAVINESS),
        legs_heavy=start is not None,
        sustained=sustained(checkin),
        intense=intense(checkin),
        heavy_for=heavy_for,
        persistent=persistent,
        long_persistent=heavy_for >= LONG_PERSISTENT,
        red_signs=checkin.red_signs,
        red_flag=persistent and checkin.red_signs,
        refuel_pending=_refuel_pending(checkin, now),
        low_motivation=MOTIVATION.within(checkin.motivation, LOW),
        short_sleep=checkin.sleep_hours is not None and checkin.sleep_hours < SHORT_SLEEP_HOURS,
        load=summarize_load((*earlier, checkin), tz, day),
        baseline_flags=acted_on(assess_all((*earlier, checkin), tz, day)),
    )


def _refuel_pending(checkin: CheckIn, now: datetime) -> bool:
    """Refuel advice applies: a full check-in, finish known, not refuelled, not hours old."""
    return (
        checkin.kind is Kind.CHECKIN
        and checkin.finished_at is not None
        and checkin.refuelled_at is None
        and now - checkin.finished_at <= REFUEL_STALE_AFTER
    )
