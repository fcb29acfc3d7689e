"""Training-load metrics from session RPE (beyond the article; see EXTERNAL_SOURCES).

Definitions (all loads in arbitrary units, AU):
- session load = session RPE (CR-10) × duration in minutes (Foster et al. 2001);
- daily load = the sum of that local day's session loads (days without a session count as 0);
- weekly load = the sum of the last 7 daily loads (today included);
- acute load = mean daily load over the last 7 days; chronic load = mean over the last 28 days;
  acute:chronic workload ratio (ACWR) = acute / chronic, the "coupled rolling average" form
  (Hulin et al. 2016; Gabbett 2016). Only given once the athlete's records span 28 days;
- monotony = mean / population standard deviation of the last 7 daily loads (Foster 1998);
  undefined when every day had the same load;
- strain = weekly load × monotony (Foster 1998).

Known limitations: session RPE is subjective and scale-bound; the ACWR is mathematically coupled
(the acute week is part of the chronic month), ratio thresholds such as 1.5 come from team-sport
cohorts and do not predict injury for an individual (Impellizzeri et al. 2020; Lolli et al.
2019); monotony explodes as the spread of daily loads nears zero. These numbers are prompts to
reflect, never verdicts.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from rules.model import CheckIn, Kind

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
ACWR_SPIKE = 1.5
HIGH_MONOTONY = 2.0


def session_load(rpe: float | None, minutes: float | None) -> float | None:
    """Foster's session load (RPE × minutes), or None when either answer is missing."""
    if rpe is None or minutes is None:
        return None
    return float(rpe) * float(minutes)


def local_day(checkin: CheckIn, tz: tzinfo) -> date:
    """The athlete's local calendar day on which the observation was made."""
    return checkin.observed_at.astimezone(tz).date()


def sessions(checkins: Iterable[CheckIn]) -> list[CheckIn]:
    """Only post-session check-ins (not follow-ups or readiness answers)."""
    return [c for c in checkins if c.kind is Kind.CHECKIN]


def daily_loads(checkins: Iterable[CheckIn], tz: tzinfo, end: date, days: int) -> list[float]:
    """Daily loads for the `days` local days ending with `end`, oldest first."""
    start = end - timedelta(days=days - 1)
    totals = [0.0] * days
    for checkin in sessions(checkins):
        day = local_day(checkin, tz)
        load = session_load(checkin.rpe, checkin.duration_min)
        if load is not None and start <= day <= end:
            totals[(day - start).days] += load
    return totals


def monotony(week: list[float]) -> float | None:
    """Mean / population SD of a week's daily loads; None when undefined (no spread)."""
    spread = statistics.pstdev(week)
    return None if spread == 0 else statistics.fmean(week) / spread


@dataclass(frozen=True)
class LoadSummary:
    """The load picture on one day; None marks a metric there is not enough data for yet."""

    weekly: float
    acute: float
    chronic: float | None
    acwr: float | None
    monotony: float | None
    strain: float | None

    @property
    def spike(self) -> bool:
        """The acute load is well above the chronic load (ACWR at or over 1.5)."""
        return self.acwr is not None and self.acwr >= ACWR_SPIKE

    @property
    def monotonous(self) -> bool:
        """The week's loads were very uniform (monotony at or over 2.0)."""
        return self.monotony is not None and self.monotony >= HIGH_MONOTONY


def summarize_load(checkins: Iterable[CheckIn], tz: tzinfo, today: date) -> LoadSummary:
    """Weekly load, ACWR, monotony and strain as of the end of local day `today`."""
    history = [c for c in sessions(checkins) if local_day(c, tz) <= today]
    month = daily_loads(history, tz, today, CHRONIC_DAYS)
    week = month[-ACUTE_DAYS:]
    weekly = sum(week)
    first = min((local_day(c, tz) for c in history), default=today)
    covered = (today - first).days + 1 >= CHRONIC_DAYS
    chronic = statistics.fmean(month) if covered else None
    acute = weekly / ACUTE_DAYS
    acwr = acute / chronic if chronic else None
    mono = monotony(week) if weekly else None
    return LoadSummary(
        weekly=weekly,
        acute=acute,
        chronic=chronic,
        acwr=acwr,
        monotony=mono,
        strain=None if mono is None else weekly * mono,
    )
