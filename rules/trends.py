"""Looking back: refuel hit rate, check-in streaks and the per-day series behind the chart.

Refuel "in time": a session counts only if its check-in was made while the 60-minute window was
still open (that is when the "Already ate" button is offered); it is in time when the button was
tapped before the window closed. A check-in made after the window closed is left out of the
rate: we never asked, so we don't know. A tap made after the window closed counts as missed,
even if the athlete may have eaten earlier: the tap time is the only evidence we have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import mean

from rules.facts import REFUEL_WINDOW, raises_red_flag
from rules.load import local_day, session_load, sessions
from rules.model import CheckIn

HIT_RATE_SESSIONS = 10
TREND_WEEK = timedelta(days=7)
TREND_MARGIN = 0.5


def heaviness_weeks(history: Iterable[CheckIn], now: datetime) -> tuple[float | None, float | None]:
    """Average leg heaviness over the last 7 days and the 7 days before (None: no answers)."""
    answers = [(c.created_at, c.leg_heaviness) for c in history if c.leg_heaviness is not None]

    def average(start: datetime, end: datetime) -> float | None:
        values = [value for at, value in answers if start <= at < end]
        return mean(values) if values else None

    return average(now - TREND_WEEK, now), average(now - 2 * TREND_WEEK, now - TREND_WEEK)


def direction(recent: float, before: float) -> int:
    """+1 heavier, -1 lighter, 0 about the same (within half a point out of 10)."""
    if abs(recent - before) <= TREND_MARGIN:
        return 0
    return 1 if recent > before else -1


def refuelled_in_time(checkin: CheckIn, now: datetime | None = None) -> bool | None:
    """True/False for a session we asked about; None if the window had closed at check-in, or
    (as of `now`) is still open with no meal logged: not missed yet."""
    if checkin.finished_at is None:
        return None
    closes = checkin.finished_at + REFUEL_WINDOW
    if checkin.created_at > closes:
        return None
    if checkin.refuelled_at is None and now is not None and now <= closes:
        return None
    return checkin.refuelled_at is not None and checkin.refuelled_at <= closes


@dataclass(frozen=True)
class HitRate:
    """Refuelled in time on `hits` of the last `counted` sessions we asked about."""

    hits: int
    counted: int

    def render(self) -> str:
        """'refuelled in time on 7 of your last 10 sessions'."""
        if self.counted == 1:
            return f"refuelled in time on your last session: {'yes' if self.hits else 'no'}"
        return f"refuelled in time on {self.hits} of your last {self.counted} sessions"


def hit_rate(
    checkins: Iterable[CheckIn], now: datetime | None = None, last: int = HIT_RATE_SESSIONS
) -> HitRate:
    """The nutrition-window hit rate over the most recent sessions that count (as of `now`)."""
    known = [
        ok
        for c in sorted(sessions(checkins), key=lambda c: c.observed_at)
        if (ok := refuelled_in_time(c, now)) is not None
    ][-last:]
    return HitRate(hits=sum(known), counted=len(known))


def refuel_streak(checkins: Iterable[CheckIn], now: datetime | None = None) -> int:
    """How many of the latest counted sessions in a row were refuelled in time."""
    count = 0
    ordered = sorted(sessions(checkins), key=lambda c: c.observed_at, reverse=True)
    for checkin in ordered:
        ok = refuelled_in_time(checkin, now)
        if ok is None:
            continue
        if not ok:
            break
        count += 1
    return count


def week_streak(checkins: Iterable[CheckIn], tz: tzinfo, today: date) -> int:
    """Consecutive weeks (Monday to Sunday, local) with at least one check-in, up to now.

    The current week keeps the streak alive even before its first check-in.
    """
    mondays = {_monday(local_day(c, tz)) for c in sessions(checkins)}
    week = _monday(today)
    if week not in mondays:
        week -= timedelta(days=7)
    count = 0
    while week in mondays:
        count += 1
        week -= timedelta(days=7)
    return count


def _monday(day: date) -> date:
    """The Monday starting the week of `day`."""
    return day - timedelta(days=day.weekday())


MAX_CHART_DAYS = 42


@dataclass(frozen=True)
class Day:
    """One day of the history chart."""

    day: date
    heaviness: float | None
    load: float
    red_flag: bool
    missed_refuel: bool


def history_chart(
    checkins: Sequence[CheckIn], tz: tzinfo, today: date, now: datetime
) -> tuple[Day, ...]:
    """The /history chart's days: from the first check-in's day to today, at most six weeks;
    none before the first session."""
    if not sessions(checkins):
        return ()
    first = min(local_day(c, tz) for c in checkins)
    span = min(MAX_CHART_DAYS, (today - first).days + 1)
    return tuple(chart_days(checkins, tz, today, span, now))


def chart_days(
    checkins: Sequence[CheckIn], tz: tzinfo, today: date, days: int, now: datetime | None = None
) -> list[Day]:
    """Per-day heaviness (worst answer), session load, red flags and missed refuel windows."""
    start = today - timedelta(days=days - 1)
    rows = {start + timedelta(days=n): _Acc() for n in range(days)}
    for checkin in checkins:
        acc = rows.get(local_day(checkin, tz))
        if acc is None:
            continue
        if checkin.leg_heaviness is not None:
            acc.heaviness = max(acc.heaviness or 0, checkin.leg_heaviness)
        acc.load += session_load(checkin.rpe, checkin.duration_min) or 0
        acc.red_flag |= raises_red_flag(checkin, checkins)
        acc.missed |= refuelled_in_time(checkin, now) is False
    return [Day(d, a.heaviness, a.load, a.red_flag, a.missed) for d, a in rows.items()]


@dataclass
class _Acc:
    """A day's running totals while building the chart series."""

    heaviness: float | None = None
    load: float = 0.0
    red_flag: bool = False
    missed: bool = False
