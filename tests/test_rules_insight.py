"""Training load, baseline z-scores, refuel hit rate and streaks on hand-computed examples."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rules.baseline import METRICS, Level, assess, level, persistent_level, zscore
from rules.engine import advise
from rules.load import daily_loads, monotony, session_load, summarize_load
from rules.model import CheckIn, Kind
from rules.trends import (
    MAX_CHART_DAYS,
    chart_days,
    heaviness_weeks,
    history_chart,
    hit_rate,
    refuel_streak,
    refuelled_in_time,
    week_streak,
)

TODAY = date(2024, 5, 31)  # a Friday
HEAVINESS = METRICS[0]
READINESS = METRICS[1]


def session(day: date, rpe: int, minutes: int, legs: int = 3, **kw) -> CheckIn:
    """A check-in for a session that finished at 18:00 UTC on `day`."""
    finished = datetime.combine(day, time(18), tzinfo=UTC)
    return CheckIn(
        created_at=kw.pop("created_at", finished + timedelta(minutes=5)),
        finished_at=finished,
        leg_heaviness=legs,
        rpe=rpe,
        duration_min=minutes,
        **kw,
    )


def days_ago(n: int) -> date:
    """The date `n` days before TODAY."""
    return TODAY - timedelta(days=n)


def test_session_load_is_rpe_times_minutes():
    assert session_load(7, 60) == 420
    assert session_load(0, 90) == 0
    assert session_load(None, 60) is None
    assert session_load(5, None) is None


def test_daily_loads_sum_sessions_per_local_day():
    rows = [session(days_ago(0), 5, 60), session(days_ago(0), 3, 30), session(days_ago(2), 8, 50)]
    assert daily_loads(rows, UTC, TODAY, 3) == [400.0, 0.0, 390.0]


def test_daily_loads_use_the_athlete_zone():
    late = session(days_ago(1), 5, 60)  # 18:00 UTC = 03:00 next day in Tokyo
    assert daily_loads([late], ZoneInfo("Asia/Tokyo"), TODAY, 2) == [0.0, 300.0]


def test_monotony_hand_computed():
    # mean 100, deviations 0,0,0,0,0,+100,-100 -> variance 20000/7
    week = [100, 100, 100, 100, 100, 200, 0]
    assert monotony(week) == pytest.approx(100 / math.sqrt(20000 / 7))
    assert monotony([300] * 7) is None


def test_weekly_load_acwr_monotony_strain():
    # 28 days: 200 AU every day for three weeks, then this week 400 AU on days 0-3, rest 0.
    rows = [session(days_ago(n), 4, 50) for n in range(7, 28)]
    rows += [session(days_ago(n), 8, 50) for n in range(4)]
    summary = summarize_load(rows, UTC, TODAY)
    assert summary.weekly == 1600
    assert summary.acute == pytest.approx(1600 / 7)
    assert summary.chronic == pytest.approx((21 * 200 + 1600) / 28)
    assert summary.acwr == pytest.approx((1600 / 7) / (5800 / 28))
    # week [0,0,0,400,400,400,400]: mean 1600/7, population SD sqrt(mean(x^2) - mean^2)
    mean = 1600 / 7
    sd = math.sqrt(4 * 400**2 / 7 - mean**2)
    assert summary.monotony == pytest.approx(mean / sd)
    assert summary.strain == pytest.approx(1600 * mean / sd)
    assert not summary.spike


def test_spike_detected_and_chronic_needs_28_days():
    steady = [session(days_ago(n), 3, 40) for n in range(7, 28)]
    hard = [session(days_ago(n), 9, 90) for n in range(7)]
    summary = summarize_load(steady + hard, UTC, TODAY)
    # acute 810/day; chronic (21*120 + 7*810)/28 = 292.5 -> ratio 2.77
    assert summary.acwr == pytest.approx(810 / 292.5)
    assert summary.spike
    short = summarize_load(hard, UTC, TODAY)
    assert short.chronic is None
    assert short.acwr is None
    assert short.weekly == 7 * 810
    assert short.monotony is None  # identical days: no spread, undefined


def test_load_spike_rule_fires_only_with_heavy_legs_and_is_marked_beyond():
    steady = [session(days_ago(n), 3, 40) for n in range(7, 28)]
    hard = [session(days_ago(n), 9, 90) for n in range(1, 7)]
    now_heavy = session(TODAY, 9, 90, legs=7)
    advice = advise(now_heavy, steady + hard, now_heavy.created_at + timedelta(hours=3))
    [item] = [i for i in advice.items if i.rule_id == "load_spike"]
    assert item.beyond == ("acwr",)
    assert item.text.endswith("†")
    assert "Gabbett" in item.explain(1, 1)
    assert "Impellizzeri" in item.explain(1, 1)
    assert "make tomorrow easy or a rest day" in item.text
    light = session(TODAY, 9, 90, legs=2)
    advice = advise(light, steady + hard, light.created_at + timedelta(hours=3))
    assert "load_spike" not in {i.rule_id for i in advice.items}


def test_zscore_and_levels():
    baseline = [2, 4, 2, 4, 2, 4, 2, 4]  # mean 3, sample SD sqrt(8/7)
    assert zscore(5, baseline) == pytest.approx(2 / math.sqrt(8 / 7))
    assert zscore(5, baseline[:6]) is None  # fewer than 7 values
    assert zscore(5, [3] * 10) is None  # no spread
    assert level(1.2, higher_is_worse=True) is Level.WATCH
    assert level(2.0, higher_is_worse=True) is Level.FLAG
    assert level(-2.5, higher_is_worse=True) is Level.NORMAL  # lighter legs are fine
    assert level(-2.5, higher_is_worse=False) is Level.FLAG  # lower readiness is not
    assert level(None, higher_is_worse=True) is Level.NORMAL


def test_persistence_needs_two_of_three_days():
    assert persistent_level([Level.FLAG, Level.NORMAL, Level.NORMAL]) is Level.NORMAL
    assert persistent_level([Level.FLAG, Level.NORMAL, Level.WATCH]) is Level.WATCH
    assert persistent_level([Level.NORMAL, Level.FLAG, Level.FLAG]) is Level.FLAG


def _alternating_baseline() -> list[CheckIn]:
    """Legs 2 and 4 on alternate days from 28 to 3 days ago (mean 3)."""
    return [session(days_ago(n), 4, 40, legs=2 + 2 * (n % 2)) for n in range(3, 29)]


def test_single_odd_day_is_watched_not_acted_on():
    rows = [*_alternating_baseline(), session(TODAY, 4, 40, legs=9)]
    flag = assess(HEAVINESS, rows, UTC, TODAY)
    assert flag.today is Level.FLAG
    assert flag.persistent is Level.NORMAL


def test_two_heavy_days_of_three_are_acted_on_in_advice():
    history = [*_alternating_baseline(), session(days_ago(1), 4, 40, legs=9)]
    now = session(TODAY, 4, 40, legs=9)
    flag = assess(HEAVINESS, [*history, now], UTC, TODAY)
    assert flag.persistent is Level.FLAG
    advice = advise(now, history, now.created_at + timedelta(minutes=1))
    [item] = [i for i in advice.items if i.rule_id == "baseline_deviation"]
    assert "well above" in item.text
    assert item.beyond == ("zscore",)
    assert "Thornton" in item.explain(1, 1)


def test_readiness_total_lower_is_worse():
    def ready(day: date, score: int) -> CheckIn:
        items = dict.fromkeys(("fatigue", "sleep_quality", "soreness", "stress", "mood"), score)
        at = datetime.combine(day, time(7), tzinfo=UTC)
        return CheckIn(created_at=at, leg_heaviness=None, kind=Kind.READINESS, extra=items)

    rows = [ready(days_ago(n), 3 + n % 2) for n in range(2, 20)]
    rows += [ready(days_ago(1), 1), ready(TODAY, 1)]
    assert assess(READINESS, rows, UTC, TODAY).persistent is Level.FLAG


def test_refuel_in_time_definition():
    base = session(TODAY, 5, 60)
    closes = base.finished_at + timedelta(minutes=60)
    assert refuelled_in_time(base) is False
    assert refuelled_in_time(_with(base, refuelled_at=closes)) is True
    assert refuelled_in_time(_with(base, refuelled_at=closes + timedelta(seconds=1))) is False
    late_checkin = _with(base, created_at=closes + timedelta(minutes=1))
    assert refuelled_in_time(late_checkin) is None
    # while the window is still open and nothing is logged, it is not missed yet
    assert refuelled_in_time(base, now=closes) is None
    assert refuelled_in_time(base, now=closes + timedelta(seconds=1)) is False
    assert refuelled_in_time(_with(base, refuelled_at=closes), now=closes) is True


def _with(checkin: CheckIn, **changes) -> CheckIn:
    """A copy with some fields changed."""
    return CheckIn.from_record(checkin.to_record() | {k: v.isoformat() for k, v in changes.items()})


def test_hit_rate_counts_the_last_ten_asked_sessions():
    rows = []
    for n in range(12):
        checkin = session(days_ago(n), 5, 60)
        fed = n in {0, 1, 2, 4, 5, 6, 8, 11}
        rows.append(_with(checkin, refuelled_at=checkin.finished_at) if fed else checkin)
    rows.append(session(days_ago(12), 5, 60, created_at=datetime(2024, 5, 31, 23, tzinfo=UTC)))
    rate = hit_rate(rows)
    assert (rate.hits, rate.counted) == (7, 10)  # days 0-9; day 11 falls out, day 12 unknown
    assert rate.render() == "refuelled in time on 7 of your last 10 sessions"
    assert refuel_streak(rows) == 3


def test_week_streak():
    rows = [session(d, 5, 60) for d in (TODAY, days_ago(7), days_ago(12), days_ago(28))]
    assert week_streak(rows, UTC, TODAY) == 3  # this week, last week, the week before
    assert week_streak(rows[1:], UTC, TODAY) == 2  # this week still empty: streak stays alive
    assert week_streak([], UTC, TODAY) == 0


def test_chart_days_mark_red_flags_and_missed_windows():
    heavy = session(days_ago(3), 8, 60, legs=8, joint_pain=True, id="c1")
    later = CheckIn(
        created_at=heavy.finished_at + timedelta(hours=50),
        leg_heaviness=8,
        kind=Kind.FOLLOWUP,
        joint_pain=True,
        extra={"followup_of": "c1"},
    )
    days = chart_days([heavy, later], UTC, TODAY, 5)
    assert [d.day for d in days] == [days_ago(n) for n in range(4, -1, -1)]
    by_day = {d.day: d for d in days}
    assert by_day[days_ago(3)].load == 480
    assert by_day[days_ago(3)].missed_refuel
    assert not by_day[days_ago(3)].red_flag
    assert by_day[days_ago(1)].red_flag
    assert by_day[days_ago(1)].heaviness == 8
    assert by_day[TODAY].heaviness is None


def test_history_chart_runs_from_the_first_day_for_at_most_six_weeks() -> None:
    now = datetime.combine(TODAY, time(20), UTC)
    recent = session(days_ago(2), 5, 45, id="r")
    assert [d.day for d in history_chart([recent], UTC, TODAY, now)] == [
        days_ago(2),
        days_ago(1),
        TODAY,
    ]
    old = session(days_ago(100), 5, 45, id="o")
    assert len(history_chart([old, recent], UTC, TODAY, now)) == MAX_CHART_DAYS
    readiness = CheckIn(created_at=now, leg_heaviness=None, kind=Kind.READINESS)
    assert history_chart([readiness], UTC, TODAY, now) == ()  # no session yet: no chart


def test_heaviness_weeks_compare_the_last_seven_days_with_the_seven_before() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)

    def answer(days_ago: float, legs: int | None) -> CheckIn:
        return CheckIn(created_at=now - timedelta(days=days_ago), leg_heaviness=legs)

    history = [answer(1, 6), answer(3, 8), answer(6.9, None), answer(8, 2), answer(15, 10)]
    assert heaviness_weeks(history, now) == (7, 2)
    assert heaviness_weeks(history[3:], now) == (None, 2)
    assert heaviness_weeks([], now) == (None, None)
