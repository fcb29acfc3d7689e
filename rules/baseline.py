"""Flags against the athlete's own baseline: 28-day z-scores (beyond the article).

For a daily value x on day d, the baseline is every value the athlete gave on the 28 days before
d (d itself excluded); z = (x − mean) / sample SD, needing at least MIN_BASELINE values and a
non-zero SD. |z| ≥ 1 is "watch" and |z| ≥ 2 is "flag" (Thornton et al. 2019). Only deviations in
the unhelpful direction (legs heavier, readiness lower) count, and a level is acted on only when
it persists: reached on at least 2 of the last 3 calendar days. A single odd day is noise.

Limitations: a z-score assumes roughly normal, stable data; a baseline built during an illness
or a training camp is itself unusual; 1-5 and 0-10 scales are coarse, so the SD can be tiny.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from enum import IntEnum

from rules.model import CheckIn, Kind

BASELINE_DAYS = 28
MIN_BASELINE = 7
PERSIST_WINDOW = 3
PERSIST_DAYS = 2
READINESS_ITEMS = ("fatigue", "sleep_quality", "soreness", "stress", "mood")


class Level(IntEnum):
    """How far a day sits from the athlete's usual, in the unhelpful direction."""

    NORMAL = 0
    WATCH = 1
    FLAG = 2


def readiness_total(checkin: CheckIn) -> int | None:
    """McLean's wellness total (5–25, higher is better) of a readiness answer."""
    values = [checkin.extra.get(item) for item in READINESS_ITEMS]
    if checkin.kind is not Kind.READINESS or None in values:
        return None
    return sum(int(v) for v in values)


@dataclass(frozen=True)
class Metric:
    """A daily value we compare with its baseline, and which direction is unhelpful."""

    key: str
    label: str
    value: Callable[[CheckIn], float | None]
    higher_is_worse: bool


METRICS: tuple[Metric, ...] = (
    Metric("leg_heaviness", "leg heaviness", lambda c: c.leg_heaviness, higher_is_worse=True),
    Metric("readiness", "morning readiness", readiness_total, higher_is_worse=False),
)


def daily_values(checkins: Iterable[CheckIn], metric: Metric, tz: tzinfo) -> dict[date, float]:
    """One value per local day: the worst of that day's answers."""
    pick = max if metric.higher_is_worse else min
    days: dict[date, float] = {}
    for checkin in checkins:
        value = metric.value(checkin)
        if value is None:
            continue
        day = checkin.observed_at.astimezone(tz).date()
        days[day] = pick(days[day], value) if day in days else value
    return days


def zscore(value: float, baseline: list[float]) -> float | None:
    """(value − mean) / sample SD of the baseline; None with too few values or no spread."""
    if len(baseline) < MIN_BASELINE:
        return None
    spread = statistics.stdev(baseline)
    return None if spread == 0 else (value - statistics.fmean(baseline)) / spread


def level(z: float | None, higher_is_worse: bool) -> Level:
    """The watch/flag level of a z-score, counting only the unhelpful direction."""
    if z is None:
        return Level.NORMAL
    adverse = z if higher_is_worse else -z
    return Level.FLAG if adverse >= 2 else Level.WATCH if adverse >= 1 else Level.NORMAL


@dataclass(frozen=True)
class BaselineFlag:
    """Where one metric stands against the athlete's own baseline as of a day."""

    metric: Metric
    z: float | None
    today: Level
    persistent: Level


def day_z(values: dict[date, float], day: date) -> float | None:
    """The z-score of `day`'s value against the previous BASELINE_DAYS days."""
    if day not in values:
        return None
    since = day - timedelta(days=BASELINE_DAYS)
    baseline = [v for d, v in values.items() if since <= d < day]
    return zscore(values[day], baseline)


def persistent_level(levels: list[Level]) -> Level:
    """The highest level reached on at least PERSIST_DAYS of the given days."""
    for candidate in (Level.FLAG, Level.WATCH):
        if sum(1 for lv in levels if lv >= candidate) >= PERSIST_DAYS:
            return candidate
    return Level.NORMAL


def assess(metric: Metric, checkins: Iterable[CheckIn], tz: tzinfo, today: date) -> BaselineFlag:
    """Today's z-score and level for `metric`, and the level persisting over the last 3 days."""
    values = daily_values(checkins, metric, tz)
    window = [today - timedelta(days=n) for n in range(PERSIST_WINDOW)]
    levels = [level(day_z(values, day), metric.higher_is_worse) for day in window]
    return BaselineFlag(metric, day_z(values, today), levels[0], persistent_level(levels))


def assess_all(checkins: Iterable[CheckIn], tz: tzinfo, today: date) -> tuple[BaselineFlag, ...]:
    """Every metric's baseline flag as of `today`."""
    rows = list(checkins)
    return tuple(assess(metric, rows, tz, today) for metric in METRICS)


def acted_on(flags: Iterable[BaselineFlag]) -> tuple[BaselineFlag, ...]:
    """The flags that persisted long enough to act on."""
    return tuple(flag for flag in flags if flag.persistent > Level.NORMAL)
