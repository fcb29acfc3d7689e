"""The history chart as a real PNG, and reminder preferences (switches, quiet hours)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.image import imread

from bot.athletes.chart import render_chart
from bot.athletes.profiles import Profile
from rules.preferences import Preferences, apply_preferences, plan_readiness, quiet_end
from rules.reminders import ReminderPlan
from rules.trends import Day
from tests.test_e2e_insight import assert_real_png

BERLIN = ZoneInfo("Europe/Berlin")
ORANGE = np.array([0xD9, 0x48, 0x01]) / 255


def _days(heavy: bool) -> list[Day]:
    """Six weeks of days, with or without heaviness answers and load."""
    start = date(2024, 4, 20)
    return [
        Day(
            start + timedelta(days=n),
            (n % 9) if heavy and n % 2 else None,
            300.0 * (n % 3) if heavy else 0.0,
            red_flag=heavy and n == 30,
            missed_refuel=heavy and n == 12,
        )
        for n in range(42)
    ]


def _orange_share(png: bytes) -> float:
    """Share of pixels close to the heaviness line colour."""
    pixels = imread(io.BytesIO(png))[..., :3]
    return float(np.mean(np.abs(pixels - ORANGE).max(axis=2) < 0.08))


def test_chart_is_a_real_png_that_draws_the_data():
    png = render_chart(_days(heavy=True))
    assert_real_png(png)
    assert _orange_share(png) > 0.002


def test_chart_without_answers_has_no_heaviness_line():
    png = render_chart(_days(heavy=False))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _orange_share(png) < _orange_share(render_chart(_days(heavy=True))) / 10


def _plan(kind: str, due: datetime, minutes: int = 60) -> ReminderPlan:
    """A plan valid for `minutes` after `due`."""
    return ReminderPlan(kind, due, due + timedelta(minutes=minutes), "text")


def test_switched_off_groups_are_dropped():
    due = datetime(2024, 5, 1, 12, tzinfo=UTC)
    plans = [
        _plan(k, due) for k in ("nutrition_open", "nutrition_last_call", "bedtime", "followup")
    ]
    kept = apply_preferences(plans, Preferences(off=frozenset({"nutrition"})), UTC)
    assert [p.kind for p in kept] == ["bedtime", "followup"]
    assert apply_preferences(plans, Preferences(), UTC) == plans


def test_quiet_hours_wrap_midnight_in_local_time():
    quiet = (time(22), time(7))
    at_2330 = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)  # 23:30 in Berlin (CEST)
    assert quiet_end(at_2330, BERLIN, quiet) == datetime(2024, 5, 2, 5, tzinfo=UTC)
    at_0300 = datetime(2024, 5, 2, 1, tzinfo=UTC)  # 03:00 Berlin
    assert quiet_end(at_0300, BERLIN, quiet) == datetime(2024, 5, 2, 5, tzinfo=UTC)
    assert quiet_end(datetime(2024, 5, 1, 12, tzinfo=UTC), BERLIN, quiet) is None
    daytime = (time(13), time(15))
    assert quiet_end(datetime(2024, 5, 1, 11, 30, tzinfo=UTC), BERLIN, daytime) == datetime(
        2024, 5, 1, 13, tzinfo=UTC
    )


def test_quiet_hours_delay_or_skip_reminders():
    prefs = Preferences(quiet=(time(22), time(7)))
    late = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)  # 23:30 Berlin
    followup = _plan("followup", late, minutes=24 * 60)
    nutrition = _plan("nutrition_open", late, minutes=20)
    [moved] = apply_preferences([followup, nutrition], prefs, BERLIN)
    assert moved.kind == "followup"
    assert moved.due_at == datetime(2024, 5, 2, 5, tzinfo=UTC)


def test_preferences_from_profile_and_readiness_plan():
    prefs = Profile.from_doc(
        {"reminders_off": ["bedtime"], "quiet_hours": ["23:00", "06:30"], "readiness_at": "07:15"}
    ).preferences
    assert not prefs.allows("bedtime")
    assert prefs.allows("nutrition_open")
    assert prefs.quiet == (time(23), time(6, 30))
    assert Profile.from_doc({}).preferences == Preferences()
    plan = plan_readiness(datetime(2024, 10, 26, 12, tzinfo=UTC), BERLIN, prefs.readiness_at)
    assert plan.due_at == datetime(2024, 10, 27, 6, 15, tzinfo=UTC)  # after the DST change
    assert plan.expires_at - plan.due_at == timedelta(hours=4)


def test_quiet_hours_bring_a_bedtime_wind_down_forward_instead_of_dropping_it():
    """Quiet 22:00–06:00 and bedtime 22:30: the wind-down comes at 21:55, not never."""
    prefs = Preferences(quiet=(time(22), time(6)))
    bedtime = datetime(2024, 5, 1, 20, 30, tzinfo=UTC)  # 22:30 Berlin
    wind_down = ReminderPlan("bedtime", bedtime - timedelta(minutes=30), bedtime, "Bedtime")
    [moved] = apply_preferences([wind_down], prefs, BERLIN)
    assert moved.due_at == datetime(2024, 5, 1, 19, 55, tzinfo=UTC)  # 21:55 Berlin
    late_quiet = Preferences(quiet=(time(20), time(6)))  # would be 2 h early: skipped
    assert apply_preferences([wind_down], late_quiet, BERLIN) == []
    after_midnight = datetime(2024, 5, 1, 22, 30, tzinfo=UTC)  # bedtime 00:30 Berlin
    plan = ReminderPlan("bedtime", after_midnight - timedelta(minutes=30), after_midnight, "Bed")
    [early] = apply_preferences([plan], Preferences(quiet=(time(23, 30), time(7))), BERLIN)
    assert early.due_at == datetime(2024, 5, 1, 21, 25, tzinfo=UTC)  # 23:25 Berlin
