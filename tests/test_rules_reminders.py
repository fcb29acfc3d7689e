"""Reminder planning: nutrition window, DST-correct bedtime, 48 h follow-up, restart checks."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rules.model import CheckIn, Kind
from rules.reminders import first_bedtime_after, plan_reminders, reminder_still_useful

FINISH = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def minutes(n: float) -> timedelta:
    """A timedelta of `n` minutes."""
    return timedelta(minutes=n)


def ci(**kw) -> CheckIn:
    """A check-in for a session that finished at FINISH."""
    kw.setdefault("leg_heaviness", 4)
    return CheckIn(created_at=FINISH + minutes(5), finished_at=FINISH, **kw)


def by_kind(plans) -> dict:
    """Plans keyed by kind."""
    return {p.kind: p for p in plans}


@pytest.mark.parametrize(
    ("now_after", "expected"),
    [
        (5, {"nutrition_open": (30, 50), "nutrition_last_call": (50, 60)}),
        (30, {"nutrition_open": (30, 50), "nutrition_last_call": (50, 60)}),
        (35, {"nutrition_open": (35, 50), "nutrition_last_call": (50, 60)}),
        (50, {"nutrition_last_call": (50, 60)}),
        (55, {"nutrition_last_call": (55, 60)}),
        (60, {}),
        (61, {}),
    ],
)
def test_nutrition_window_plans(now_after, expected):
    plans = plan_reminders(ci(), FINISH + minutes(now_after), tz=UTC, bedtime=None)
    got = {p.kind: (p.due_at - FINISH, p.expires_at - FINISH) for p in plans}
    assert got == {k: (minutes(d), minutes(e)) for k, (d, e) in expected.items()}


@pytest.mark.parametrize(
    ("zone", "closes"),
    [("Asia/Kolkata", "18:30"), ("America/New_York", "09:00"), ("UTC", "13:00")],
)
def test_nutrition_texts_name_local_closing_time(zone, closes):
    plans = plan_reminders(ci(), FINISH, tz=ZoneInfo(zone), bedtime=None)
    assert len(plans) == 2
    for plan in plans:
        assert "3:1" in plan.text
        assert closes in plan.text
        assert "<" not in plan.text


@pytest.mark.parametrize(
    "checkin",
    [
        ci(refuelled_at=FINISH + minutes(10)),
        CheckIn(created_at=FINISH, leg_heaviness=4),
        CheckIn(created_at=FINISH, leg_heaviness=5, kind=Kind.FOLLOWUP),
    ],
    ids=["refuelled", "finish-unknown", "followup"],
)
def test_no_nutrition_nag(checkin):
    assert plan_reminders(checkin, FINISH, tz=UTC, bedtime=None) == []


@pytest.mark.parametrize(
    ("finish_local", "bedtime", "bed_local"),
    [
        (datetime(2025, 6, 10, 18, 0), time(22, 30), datetime(2025, 6, 10, 22, 30)),
        (datetime(2025, 6, 10, 20, 0), time(0, 30), datetime(2025, 6, 11, 0, 30)),
        (datetime(2025, 6, 10, 23, 0), time(22, 30), datetime(2025, 6, 11, 22, 30)),
        # spring forward: Sunday 30 March 2025 bedtime is CEST although finish was CET
        (datetime(2025, 3, 29, 23, 0), time(22, 30), datetime(2025, 3, 30, 22, 30)),
        (datetime(2025, 3, 30, 8, 0), time(22, 30), datetime(2025, 3, 30, 22, 30)),
        # fall back: Sunday 26 October 2025 bedtime is CET although finish was CEST
        (datetime(2025, 10, 26, 8, 0), time(22, 30), datetime(2025, 10, 26, 22, 30)),
        (datetime(2025, 10, 25, 23, 30), time(22, 30), datetime(2025, 10, 26, 22, 30)),
    ],
)
def test_bedtime_is_dst_correct(finish_local, bedtime, bed_local):
    finish = finish_local.replace(tzinfo=BERLIN).astimezone(UTC)
    expected = bed_local.replace(tzinfo=BERLIN).astimezone(UTC)
    checkin = CheckIn(created_at=finish, finished_at=finish, leg_heaviness=3)
    plan = by_kind(plan_reminders(checkin, finish, tz=BERLIN, bedtime=bedtime))["bedtime"]
    assert plan.expires_at == expected
    assert plan.due_at == expected - minutes(30)
    assert bedtime.strftime("%H:%M") in plan.text
    assert "growth hormone peaks" in plan.text


def test_dst_offsets_are_really_applied():
    spring = datetime(2025, 3, 29, 22, 0, tzinfo=UTC)  # 23:00 CET
    assert first_bedtime_after(spring, BERLIN, time(22, 30)) == datetime(
        2025, 3, 30, 20, 30, tzinfo=UTC
    )
    autumn = datetime(2025, 10, 26, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert first_bedtime_after(autumn, BERLIN, time(22, 30)) == datetime(
        2025, 10, 26, 21, 30, tzinfo=UTC
    )


def test_bedtime_more_than_24h_after_finish_is_skipped():
    # 23:00 CEST Saturday; Sunday 22:30 CET is 24 h 30 min later (clocks went back).
    finish = datetime(2025, 10, 25, 21, 0, tzinfo=UTC)
    assert first_bedtime_after(finish, BERLIN, time(22, 30)) is None


def test_bedtime_due_now_when_inside_wind_down_and_skipped_when_past():
    finish = datetime(2025, 6, 10, 16, 0, tzinfo=UTC)  # 18:00 CEST, bed 22:30 = 20:30 UTC
    checkin = CheckIn(created_at=finish, finished_at=finish, leg_heaviness=3)
    now = datetime(2025, 6, 10, 20, 10, tzinfo=UTC)
    plan = by_kind(plan_reminders(checkin, now, tz=BERLIN, bedtime=time(22, 30)))["bedtime"]
    assert plan.due_at == now
    late = datetime(2025, 6, 10, 20, 30, tzinfo=UTC)
    assert "bedtime" not in by_kind(plan_reminders(checkin, late, tz=BERLIN, bedtime=time(22, 30)))


def test_no_bedtime_plan_without_bedtime():
    assert "bedtime" not in by_kind(plan_reminders(ci(), FINISH, tz=UTC, bedtime=None))


@pytest.mark.parametrize(
    ("kwargs", "planned"),
    [
        ({"leg_heaviness": 5}, True),  # the first value the heaviness scale calls "heavy"
        ({"leg_heaviness": 10}, True),
        ({"leg_heaviness": 4}, False),
        ({"leg_heaviness": None}, False),
        ({"leg_heaviness": 3, "joint_pain": True}, True),
        ({"leg_heaviness": 3, "muscle_twitching": True}, True),
    ],
)
def test_followup_planned_for_heavy_legs_or_red_signs(kwargs, planned):
    plans = by_kind(plan_reminders(ci(**kwargs), FINISH, tz=UTC, bedtime=None))
    assert ("followup" in plans) is planned
    if planned:
        plan = plans["followup"]
        assert plan.due_at == FINISH + timedelta(hours=48)
        assert plan.expires_at == FINISH + timedelta(hours=72)
        assert "still heavy" in plan.text
        assert "joint pain" in plan.text
        assert "twitching" in plan.text


def test_followup_falls_back_to_created_at_and_never_chains():
    created = FINISH
    no_finish = CheckIn(created_at=created, leg_heaviness=8)
    plan = by_kind(plan_reminders(no_finish, created, tz=UTC, bedtime=None))["followup"]
    assert plan.due_at == created + timedelta(hours=48)
    answer = CheckIn(created_at=created, leg_heaviness=9, kind=Kind.FOLLOWUP, joint_pain=True)
    assert plan_reminders(answer, created, tz=UTC, bedtime=None) == []


def test_late_followup_is_due_now_and_expired_one_dropped():
    checkin = ci(leg_heaviness=8)
    now = FINISH + timedelta(hours=50)
    plan = by_kind(plan_reminders(checkin, now, tz=UTC, bedtime=None))["followup"]
    assert plan.due_at == now
    assert plan_reminders(checkin, FINISH + timedelta(hours=72), tz=UTC, bedtime=None) == []


def test_plans_are_sorted_and_live():
    now = FINISH + minutes(40)
    plans = plan_reminders(ci(leg_heaviness=9), now, tz=BERLIN, bedtime=time(23, 0))
    assert [p.kind for p in plans] == [
        "nutrition_open",
        "nutrition_last_call",
        "bedtime",
        "followup",
    ]
    assert [p.due_at for p in plans] == sorted(p.due_at for p in plans)
    for plan in plans:
        assert now <= plan.due_at < plan.expires_at
        assert reminder_still_useful(plan.expires_at, now)


@pytest.mark.parametrize(("offset", "useful"), [(-1, True), (0, False), (1, False)])
def test_reminder_still_useful_boundary(offset, useful):
    expires = FINISH + timedelta(hours=1)
    now = expires + timedelta(seconds=offset)
    assert reminder_still_useful(expires, now) is useful
