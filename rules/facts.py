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
the article describes start as the session ends). A single answer, however late after its
session, never persists on its own.

Two spans come out of this. `heavy_for` follows every link: heavy at each check-in, day after day
(each perhaps right after a new session): a reason to train easy. `episode_for` follows only links
into a follow-up, where no new session came between: one session's heaviness that outlasted it,
the article's "persistent heaviness beyond 48 hours", and the only basis of the red flag. Joint
pain or twitching is followed the same way (`signs_for`), from the answers that reported it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
TRIVIAL_MINUTES = 30  # an easy session shorter than this, legs fresh, needs no refuel nudge
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
    sustained: bool
    intense: bool
    heavy_for: timedelta
    episode_for: timedelta
    signs_for: timedelta
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

    def legs_in(self, band: str) -> bool:
        """The current leg heaviness lies in the band called `band`."""
        return LEG_HEAVINESS.within(self.checkin.leg_heaviness, band)

    @property
    def fresh(self) -> bool:
        """The session ended recently enough for its effort to explain how the legs feel."""
        return self.since_finish is not None and self.since_finish <= LINK_MAX_GAP

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


def is_heavy(answer: CheckIn) -> bool | None:
    """Heavy legs (None: not answered)."""
    if answer.leg_heaviness is None:
        return None
    return LEG_HEAVINESS.at_least(answer.leg_heaviness, HEAVY)


def has_signs(answer: CheckIn) -> bool | None:
    """Joint pain or sharp twitching reported (None: not asked)."""
    if answer.joint_pain is None and answer.muscle_twitching is None:
        return None
    return answer.red_signs


def run_start(
    checkin: CheckIn,
    earlier: tuple[CheckIn, ...],
    holds: Callable[[CheckIn], bool | None] = is_heavy,
    since: Callable[[CheckIn], datetime] = heavy_since,
    *,
    episode: bool = False,
) -> datetime | None:
    """Start of the observed run of answers for which `holds` ending with this one (None if it
    does not hold now); with `episode`, only through links into a follow-up (no new session)."""
    if not holds(checkin):
        return None
    start, link = since(checkin), checkin
    for answer in reversed(earlier):
        state = holds(answer)
        if state is None:
            continue
        if not state or not linked(answer, link) or (episode and link.kind is not Kind.FOLLOWUP):
            break
        start, link = min(start, since(answer)), answer
    return start


def _span(checkin: CheckIn, start: datetime | None) -> timedelta:
    """From a run's start to this answer (0 without a run)."""
    return timedelta(0) if start is None else max(timedelta(0), checkin.created_at - start)


def raises_red_flag(checkin: CheckIn, history: Sequence[CheckIn]) -> bool:
    """The article's caution: joint pain or sharp twitching now, in an episode of heavy legs
    that has lasted 48 h or more (the history is only looked at when there are such signs)."""
    if not checkin.red_signs:
        return False
    episode = run_start(checkin, relevant_history(checkin, history), episode=True)
    return _red_flag(checkin, _span(checkin, episode))


def _red_flag(checkin: CheckIn, episode_for: timedelta) -> bool:
    """Red signs now, after heavy legs for at least 48 h in this episode."""
    return checkin.red_signs and episode_for >= PERSISTENT


def trivial(checkin: CheckIn) -> bool:
    """A short easy session after which the legs are fresh: nothing to refuel for."""
    short = checkin.duration_min is None or checkin.duration_min < TRIVIAL_MINUTES
    light = not LEG_HEAVINESS.at_least(checkin.leg_heaviness, SOME_HEAVINESS)
    return EFFORT.within(checkin.rpe, "easy") and short and light


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
    heavy_for = _span(checkin, start)
    episode_for = _span(checkin, run_start(checkin, earlier, episode=True))
    signs_for = _span(checkin, run_start(checkin, earlier, has_signs, lambda a: a.created_at))
    finished = checkin.finished_at and min(checkin.finished_at, checkin.created_at)  # clock skew
    day = checkin.observed_at.astimezone(tz).date()
    return Facts(
        checkin=checkin,
        history=earlier,
        now=now,
        tz=tz,
        bedtime=bedtime,
        followup_at=followup_at,
        refuel_deadline=None if finished is None else finished + REFUEL_WINDOW,
        since_finish=None if finished is None else checkin.created_at - finished,
        legs_some=LEG_HEAVINESS.at_least(checkin.leg_heaviness, SOME_HEAVINESS),
        sustained=sustained(checkin),
        intense=intense(checkin),
        heavy_for=heavy_for,
        episode_for=episode_for,
        signs_for=signs_for,
        persistent=heavy_for >= PERSISTENT,
        long_persistent=heavy_for >= LONG_PERSISTENT,
        red_signs=checkin.red_signs,
        red_flag=_red_flag(checkin, episode_for),
        refuel_pending=_refuel_pending(checkin, now),
        low_motivation=MOTIVATION.within(checkin.motivation, LOW),
        short_sleep=checkin.sleep_hours is not None and checkin.sleep_hours < SHORT_SLEEP_HOURS,
        load=summarize_load((*earlier, checkin), tz, day),
        baseline_flags=acted_on(assess_all((*earlier, checkin), tz, day)),
    )


def _refuel_pending(checkin: CheckIn, now: datetime) -> bool:
    """Refuel advice applies: a real session's check-in, finish known, not refuelled, fresh."""
    return (
        checkin.kind is Kind.CHECKIN
        and not trivial(checkin)
        and checkin.finished_at is not None
        and checkin.refuelled_at is None
        and now - checkin.finished_at <= REFUEL_STALE_AFTER
    )
