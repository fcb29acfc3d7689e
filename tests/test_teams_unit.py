"""Unit tests: session parsing and occurrences (DST-safe), team summaries, team storage links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.athletes import service
from bot.storage import TinyStore
from bot.teams.timetable import MAX_SESSIONS, add_session, next_end, occurrences, parse_session
from rules.model import CheckIn
from rules.team import session_checkin, summarise

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 20)


def test_parse_weekly_and_one_off() -> None:
    """Days, a date, a time and minutes; words and case are forgiving."""
    assert parse_session(["Mon,wed", "18:00", "90"], TODAY) == {
        "start": "18:00",
        "duration": 90,
        "kind": "weekly",
        "days": [0, 2],
    }
    assert parse_session(["2026-12-01", "6:30", "60"], TODAY)["date"] == "2026-12-01"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["mon", "18:00"], "three parts"),
        (["funday", "18:00", "90"], "neither a date"),
        (["mon", "18:77", "90"], "not a time"),
        (["mon", "18:00", "5"], "between 10 and 600"),
        (["mon", "18:00", "ninety"], "between 10 and 600"),
        (["2026-01-01", "18:00", "60"], "in the past"),
        (["9999-12-31", "18:00", "60"], "more than a year ahead"),
        (["2027-03-22", "18:00", "60"], "more than a year ahead"),
    ],
)
def test_parse_rejects_with_reason(args: list[str], reason: str) -> None:
    """Every malformed argument list says what is wrong."""
    with pytest.raises(ValueError, match=reason):
        parse_session(args, TODAY)


def test_weekly_occurrences_keep_local_time_across_dst() -> None:
    """A Monday 18:00 Berlin session ends at 18:00 local before and after the March switch."""
    session = {"id": "s", "kind": "weekly", "days": [0], "start": "17:00", "duration": 60}
    after = datetime(2026, 3, 20, tzinfo=UTC)
    found = list(occurrences(session, BERLIN, after, after + timedelta(days=14)))
    assert [o.end.astimezone(BERLIN).strftime("%a %d %H:%M") for o in found] == [
        "Mon 23 18:00",
        "Mon 30 18:00",
    ]
    assert [o.end.hour for o in found] == [17, 16]  # UTC shifts by the DST hour
    assert next_end(session, BERLIN, found[0].end) == found[1].end


def test_one_off_occurs_once() -> None:
    """A one-off session ends once; afterwards there is no next end."""
    session = {"id": "o", "kind": "once", "date": "2026-03-21", "start": "10:00", "duration": 30}
    end = datetime(2026, 3, 21, 9, 30, tzinfo=UTC)
    assert next_end(session, BERLIN, end - timedelta(days=1)) == end
    assert next_end(session, BERLIN, end) is None


def _checkin(heaviness: int, rpe: int, finished: datetime) -> CheckIn:
    """A minimal stored check-in."""
    return CheckIn(created_at=finished, finished_at=finished, leg_heaviness=heaviness, rpe=rpe)


def _summary(*answers: tuple[int, int], members: int = 10) -> str:
    """The rendered summary of check-ins with these (heaviness, rpe) answers."""
    at = datetime(2026, 3, 20, 18, tzinfo=UTC)
    checkins = [_checkin(h, r, at) for h, r in answers]
    return summarise(members, checkins).render("Harriers", "Fri 20 Mar")


def test_summary_shows_only_cells_of_at_least_three_and_never_a_uniform_one() -> None:
    text = _summary((1, 2), (2, 2), (3, 3), (6, 6), (7, 8), (9, 9))
    assert "Checked in: 6 of 10" in text
    assert "Leg heaviness: 0–4: 3 · 5–10: 3" in text
    assert "Session effort (RPE): 0–4: 3 · 5–10: 3" in text
    assert "alerted privately to red flags" in text


@pytest.mark.parametrize(
    ("answers", "members", "leak"),
    [
        (((9, 8),), 1, "1 of 1"),  # one member: participation alone says who
        (((9, 8), (8, 8), (7, 9)), 3, "5–10: 3"),  # uniform: everyone's band
        (((0, 0), (0, 0), (9, 9)), 10, "5–10: 1"),  # two puppets at 0 expose the victim
        (((0, 0), (0, 0), (9, 9), (1, 1)), 10, "5–10: 1"),  # ... or with a third answer
    ],
    ids=["one-of-one", "uniform", "two-puppets", "puppets-plus-one"],
)
def test_summary_attacks_learn_nothing(answers: tuple, members: int, leak: str) -> None:
    text = _summary(*answers, members=members)
    assert leak not in text
    for line in text.splitlines()[2:4]:
        assert line.endswith("not shown (too few or too alike to keep answers private)")


def test_puppets_cannot_tell_the_victims_band_from_what_is_withheld() -> None:
    """Two puppets at 0 and a victim either light or heavy: the two summaries are identical."""
    assert _summary((0, 0), (0, 0), (1, 1)) == _summary((0, 0), (0, 0), (9, 9))


def test_fewer_than_three_check_ins_are_not_counted_exactly() -> None:
    assert "Checked in: fewer than 3 of 10" in _summary((9, 8), (1, 1))


def test_sessions_are_deduplicated_and_capped() -> None:
    sessions: dict = {}
    first = parse_session(["mon", "18:00", "90"], TODAY) | {"id": "a"}
    assert add_session(sessions, first) is None
    same = parse_session(["Monday", "18:00", "90"], TODAY) | {"id": "b"}
    assert "already scheduled" in add_session(sessions, same)
    for n in range(MAX_SESSIONS - 1):
        record = parse_session(["tue", f"{n:02d}:00", "60"], TODAY) | {"id": f"t{n}"}
        assert add_session(sessions, record) is None
    extra = parse_session(["sun", "09:00", "60"], TODAY) | {"id": "x"}
    assert f"at most {MAX_SESSIONS}" in add_session(sessions, extra)
    assert len(sessions) == MAX_SESSIONS


def test_session_checkin_picks_latest_after_start() -> None:
    """Check-ins finishing before the session began don't count for it."""
    start = datetime(2026, 3, 20, 17, tzinfo=UTC)
    before, first, second = (_checkin(3, 3, start + timedelta(hours=h)) for h in (-2, 1, 2))
    assert session_checkin([before], start) is None
    assert session_checkin([before, second, first], start) == second


async def test_leave_and_forget_remove_team_links(tmp_path: Path) -> None:
    """Leaving cancels that team's prompts; /forget drops the athlete from every team file."""
    store = TinyStore(tmp_path)
    store.prepare()
    for team_id in (-1, -2):
        await store.teams.update(team_id, lambda doc, t=team_id: doc.update(id=t, members={}))
    await store.update_profile(7, {"consent": True})
    for team_id in (-1, -2):
        assert await service.join_team(store, 7, team_id, {"name": "Ana", "joined_at": "x"})
    assert not await service.join_team(store, 7, -1, {"name": "Ana", "joined_at": "y"})
    assert set((await store.profile(7))["teams"]) == {"-1", "-2"}
    prompt = {"id": "p1", "team_id": -2, "status": "pending", "kind": "team_prompt"}
    prompt |= {"due_at": "2026-01-01T10:00:00+00:00"}
    await store.add_reminders(7, [prompt])
    assert await service.leave_team(store, 7, -2)
    assert not await service.leave_team(store, 7, -2)
    assert [r["status"] for r in await store.reminders(7)] == ["cancelled"]
    await service.forget(store, 7)
    assert [(await store.teams.get(t))["members"] for t in (-1, -2)] == [{}, {}]
    assert {t["id"] for t in store.teams.scan()} == {-1, -2}
    assert await store.profile(7) is None


def test_a_malformed_stored_session_has_no_occurrences_and_stops_nothing() -> None:
    """Stored before the one-year horizon (or by hand): year 9999 overflows UTC; it is skipped."""
    broken = {"id": "x", "kind": "once", "date": "9999-12-31", "start": "23:30", "duration": 600}
    la = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 3, 20, tzinfo=UTC)
    assert next_end(broken, la, now) is None
    assert list(occurrences({"id": "y", "kind": "weekly"}, la, now, now)) == []
