"""Vignette tables for advise(): which rules fire, what they say, how the reply renders."""

import random
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.article import EXTERNAL_SOURCES, SENTENCES
from rules.catalogue import RULES
from rules.engine import MAX_POINTS, advise
from rules.facts import build_facts, relevant_history
from rules.model import CheckIn, Kind, SessionType

NOW = datetime(2025, 6, 10, 18, 0, tzinfo=UTC)
T0 = datetime(2025, 6, 8, 18, 0, tzinfo=UTC)
FEAR_WORDS = ("danger", "alarm", "emergency", "injur", "damage", "urgent", "worr", "diagnos")


def ci(minutes_ago: float | None = 20, **kw) -> CheckIn:
    """A check-in created now whose session finished `minutes_ago` minutes before NOW."""
    finished = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    return CheckIn(created_at=kw.pop("created_at", NOW), finished_at=finished, **kw)


def followup(at: datetime, heaviness: int | None, **kw) -> CheckIn:
    """A 48 h follow-up answer observed at `at`."""
    return CheckIn(created_at=at, leg_heaviness=heaviness, kind=Kind.FOLLOWUP, **kw)


def ids(advice) -> list[str]:
    """Rule ids of the selected items, in order."""
    return [item.rule_id for item in advice.items]


VIGNETTES = [
    pytest.param(
        ci(
            leg_heaviness=7,
            session_type=SessionType.INTERVALS,
            rpe=9,
            breathing_elevated=True,
        ),
        {"refuel_window", "glycogen_brake", "systemic_cascade"},
        {"red_flag_48h", "persistent_48h", "central_fatigue", "pain_watch"},
        ("40 min left", "3:1", "not laziness", "60–80 %", "nonlinear"),
        id="sprinter-fresh-off-intervals",
    ),
    pytest.param(
        ci(leg_heaviness=7, session_type=SessionType.EASY, rpe=4, motivation=3),
        {"central_fatigue", "refuel_window", "signal"},
        {"glycogen_brake", "red_flag_48h"},
        ("central fatigue", "the effort felt moderate", "neural negotiation"),
        id="easy-run-yet-heavy",
    ),
    pytest.param(
        ci(leg_heaviness=6, session_type=SessionType.STRENGTH, rpe=8, motivation=1),
        {"central_fatigue", "glycogen_brake"},
        {"systemic_cascade"},
        ("your motivation is low",),
        id="strength-low-motivation",
    ),
    pytest.param(
        ci(leg_heaviness=5, session_type=SessionType.TEAM, rpe=7, motivation=4),
        {"glycogen_brake", "signal"},
        {"central_fatigue"},
        ("safety mechanism",),
        id="heavyish-after-hard-match",
    ),
    pytest.param(
        ci(leg_heaviness=2, session_type=SessionType.EASY, rpe=3, motivation=4),
        {"deep_sleep", "refuel_window"},
        {"glycogen_brake", "central_fatigue", "signal", "pain_watch"},
        ("growth hormone",),
        id="light-legs-easy-day",
    ),
    pytest.param(
        ci(minutes_ago=None, leg_heaviness=7),
        {"deep_sleep", "signal"},
        {
            "refuel_window",
            "refuel_research",
            "glycogen_brake",
            "central_fatigue",
            "systemic_cascade",
            "short_sleep",
            "pain_watch",
            "red_flag_48h",
        },
        ("signal, not a sentence",),
        id="missing-everything-but-heaviness",
    ),
    pytest.param(
        ci(leg_heaviness=7, rpe=8, refuelled_at=NOW - timedelta(minutes=5)),
        {"glycogen_brake"},
        {"refuel_window", "refuel_research"},
        (),
        id="already-refuelled",
    ),
    pytest.param(
        ci(minutes_ago=13 * 60, leg_heaviness=7, rpe=8),
        {"glycogen_brake"},
        {"refuel_window", "refuel_research"},
        (),
        id="logged-next-morning-no-refuel-nag",
    ),
    pytest.param(
        ci(leg_heaviness=4, sleep_hours=5.5),
        {"short_sleep", "deep_sleep"},
        {"signal"},
        ("You slept 5.5 h", "at least 7 hours"),
        id="short-sleeper",
    ),
    pytest.param(
        ci(leg_heaviness=4, sleep_hours=7),
        {"deep_sleep"},
        {"short_sleep"},
        (),
        id="seven-hours-is-enough",
    ),
    pytest.param(
        ci(leg_heaviness=7, rpe=8, joint_pain=True),
        {"pain_watch"},
        {"red_flag_48h", "persistent_48h", "signal"},
        ("joint pain", "I'll check in with you again in 48 hours"),
        id="fresh-joint-pain",
    ),
    pytest.param(
        followup(NOW, 4, muscle_twitching=True),
        {"pain_watch"},
        {"red_flag_48h", "refuel_window", "signal"},
        ("sharp muscle twitching", "physio or sports doctor"),
        id="followup-twitching-but-legs-lighter",
    ),
]


@pytest.mark.parametrize(("checkin", "present", "absent", "phrases"), VIGNETTES)
def test_vignettes(checkin, present, absent, phrases):
    advice = advise(checkin, [], NOW)
    fired = set(ids(advice))
    assert present <= fired
    assert not absent & fired
    reply = advice.render()
    for phrase in phrases:
        assert phrase in reply


@pytest.mark.parametrize(("checkin", "present", "absent", "phrases"), VIGNETTES)
def test_vignette_replies_are_short_plain_and_calm(checkin, present, absent, phrases):
    advice = advise(checkin, [], NOW, bedtime=time(22, 30))
    reply = advice.render()
    assert len(reply) < 1500
    assert not re.search(r"[<>*_`]", reply)
    assert not any(word in reply.lower() for word in FEAR_WORDS)
    for item in advice.items:
        assert len(re.split(r"(?<=[.!?])\s+", item.text.strip())) <= 2
        assert re.search(r"\byou(r)?\b", item.text, re.IGNORECASE)


@pytest.mark.parametrize(
    ("minutes_ago", "phrase", "deadline_shown"),
    [
        (0, "60 min left", True),
        (29, "31 min left", True),
        (30, "30 min left", True),
        (59.5, "1 min left", True),
        (60, "closes now", False),
        (61, "has passed", False),
        (300, "has passed", False),
    ],
)
def test_refuel_window_boundaries(minutes_ago, phrase, deadline_shown):
    checkin = ci(minutes_ago=minutes_ago, leg_heaviness=5)
    advice = advise(checkin, [], NOW)
    refuel = next(i for i in advice.items if i.rule_id == "refuel_window")
    assert phrase in refuel.text
    assert "3:1" in refuel.text
    deadline = (checkin.finished_at + timedelta(minutes=60)).strftime("%H:%M")
    assert (f"eat by {deadline}" in refuel.text) is deadline_shown


@pytest.mark.parametrize(
    ("finished", "zone", "local_deadline"),
    [
        (datetime(2025, 6, 10, 12, 0, tzinfo=UTC), "Asia/Kolkata", "18:30"),
        (datetime(2025, 6, 10, 12, 0, tzinfo=UTC), "America/New_York", "09:00"),
        (datetime(2025, 1, 10, 12, 0, tzinfo=UTC), "America/New_York", "08:00"),
        (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), "Europe/Berlin", "03:30"),
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "Europe/Berlin", "02:30"),
    ],
)
def test_refuel_deadline_in_local_time(finished, zone, local_deadline):
    checkin = CheckIn(created_at=finished, finished_at=finished, leg_heaviness=6)
    advice = advise(checkin, [], finished + timedelta(minutes=20), tz=ZoneInfo(zone))
    assert f"eat by {local_deadline}" in advice.render()


def test_refuel_research_note_is_marked_beyond_article():
    advice = advise(ci(leg_heaviness=3), [], NOW)
    note = next(i for i in advice.items if i.rule_id == "refuel_research")
    assert note.beyond_article
    assert "wider than 60 minutes" in note.text
    assert "fasted training" in note.text
    assert f"{note.text} (beyond the article)" in advice.render()
    assert EXTERNAL_SOURCES["nutrient_timing"] in advice.render_why()


def _heavy_then_followup(hours: float, heaviness: int = 7, **signs) -> tuple[CheckIn, list]:
    """A heavy check-in at T0 and a follow-up `hours` later."""
    first = CheckIn(created_at=T0, finished_at=T0, leg_heaviness=8, id="c1", rpe=9)
    later = followup(T0 + timedelta(hours=hours), heaviness, id="f1", **signs)
    return later, [first]


@pytest.mark.parametrize(
    ("hours", "signs", "present", "absent"),
    [
        (48, {}, {"persistent_48h"}, {"red_flag_48h", "pain_watch", "signal"}),
        (47 + 59 / 60, {}, {"signal"}, {"persistent_48h", "red_flag_48h"}),
        (48, {"joint_pain": True}, {"red_flag_48h"}, {"persistent_48h", "pain_watch"}),
        (48, {"muscle_twitching": True}, {"red_flag_48h"}, {"persistent_48h"}),
        (47 + 59 / 60, {"joint_pain": True}, {"pain_watch"}, {"red_flag_48h"}),
        (60, {"joint_pain": False, "muscle_twitching": False}, {"persistent_48h"}, set()),
    ],
)
def test_followup_history_feeds_48h_rule(hours, signs, present, absent):
    current, history = _heavy_then_followup(hours, **signs)
    advice = advise(current, history, current.created_at)
    fired = set(ids(advice))
    assert present <= fired
    assert not absent & fired
    assert advice.red_flag is ("red_flag_48h" in present)


def test_red_flag_message_is_careful_not_diagnostic():
    current, history = _heavy_then_followup(50, joint_pain=True, muscle_twitching=True)
    advice = advise(current, history, current.created_at)
    text = advice.items[0].text
    assert advice.items[0].rule_id == "red_flag_48h"
    assert "about 50 hours" in text
    assert "joint pain and sharp muscle twitching" in text
    assert "compromised, not just delayed" in text
    assert "physio or sports doctor" in text
    assert "Reduce or skip hard training" in text
    assert advice.render().splitlines()[0] == "Your legs need some extra care right now."


def test_persistent_without_signs_asks_to_watch():
    current, history = _heavy_then_followup(49)
    text = advise(current, history, current.created_at).render()
    assert "about 49 hours" in text
    assert "joint pain or sharp muscle twitching" in text


def test_persistent_needs_heavy_legs_now():
    current, history = _heavy_then_followup(50, heaviness=5, joint_pain=True)
    advice = advise(current, history, current.created_at)
    assert not advice.red_flag
    assert "pain_watch" in ids(advice)
    assert "persistent_48h" not in ids(advice)


def test_red_flag_beats_everything_and_refuel_is_never_dropped():
    earlier = [
        CheckIn(
            created_at=NOW - timedelta(hours=50),
            finished_at=NOW - timedelta(hours=50),
            leg_heaviness=8,
            id="a",
        ),
        CheckIn(
            created_at=NOW - timedelta(hours=26),
            finished_at=NOW - timedelta(hours=26),
            leg_heaviness=7,
            id="b",
        ),
    ]
    current = ci(
        minutes_ago=10,
        leg_heaviness=8,
        session_type=SessionType.INTERVALS,
        rpe=5,
        motivation=1,
        breathing_elevated=True,
        joint_pain=True,
        sleep_hours=5,
        id="c",
    )
    advice = advise(current, earlier, NOW, bedtime=time(22, 0))
    assert ids(advice)[0] == "red_flag_48h"
    assert "refuel_window" in ids(advice)
    assert len(advice.items) == MAX_POINTS
    priorities = [next(r.priority for r in RULES if r.id == i) for i in ids(advice)]
    assert priorities == sorted(priorities, reverse=True)
    assert len(advice.render()) < 4096
    assert len(advice.render_why()) < 4096


@pytest.mark.parametrize(
    ("history_heaviness", "persistent"),
    [
        ([8, 7], True),
        ([8, 3], False),
        ([8, None], True),
        ([3, 8], False),
        ([3, 8, 8], True),
        ([8, 7, 2], False),
    ],
)
def test_streak_walks_back_until_a_light_observation(history_heaviness, persistent):
    """Observations every 24 h ending with a heavy check-in now; None answers are skipped."""
    n = len(history_heaviness)
    history = [
        followup(NOW - timedelta(hours=24 * (n - k)), h, id=f"h{k}")
        for k, h in enumerate(history_heaviness)
    ]
    random.Random(7).shuffle(history)
    current = ci(minutes_ago=0, leg_heaviness=7, id="now")
    facts = build_facts(current, history, NOW, tz=UTC, bedtime=None)
    assert facts.persistent is persistent


def test_streak_hours_start_at_earliest_heavy_observation():
    history = [
        followup(NOW - timedelta(hours=70), 2),
        followup(NOW - timedelta(hours=60), 9),
        followup(NOW - timedelta(hours=30), 6),
    ]
    facts = build_facts(ci(minutes_ago=0, leg_heaviness=6), history, NOW, tz=UTC, bedtime=None)
    assert facts.heaviness_hours == pytest.approx(60)


def test_streak_breaks_on_a_long_unobserved_gap():
    history = [followup(NOW - timedelta(hours=100), 9)]
    facts = build_facts(ci(minutes_ago=0, leg_heaviness=8), history, NOW, tz=UTC, bedtime=None)
    assert facts.heaviness_hours == pytest.approx(0)
    assert not facts.persistent


def test_history_ignores_later_observations_and_same_id():
    current = ci(minutes_ago=0, leg_heaviness=7, id="x")
    old_copy = followup(NOW - timedelta(hours=50), 9, id="x")
    later = followup(NOW + timedelta(hours=1), 9, id="y")
    earlier = followup(NOW - timedelta(hours=1), 9, id="z")
    assert relevant_history(current, [later, old_copy, earlier, current]) == (earlier,)
    facts = build_facts(current, [old_copy, later], NOW, tz=UTC, bedtime=None)
    assert not facts.persistent


def test_heaviness_hours_zero_when_not_heavy_or_unknown():
    for heaviness in (None, 5):
        facts = build_facts(ci(leg_heaviness=heaviness), [], NOW, tz=UTC, bedtime=None)
        assert facts.heaviness_hours == 0
        assert not facts.legs_heavy


def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        advise(ci(leg_heaviness=5), [], NOW.replace(tzinfo=None))


@pytest.mark.parametrize(("bedtime", "phrase"), [(time(22, 15), "in bed by 22:15"), (None, "")])
def test_deep_sleep_mentions_bedtime_when_known(bedtime, phrase):
    advice = advise(ci(minutes_ago=None, leg_heaviness=3), [], NOW, bedtime=bedtime)
    sleep = next(i for i in advice.items if i.rule_id == "deep_sleep")
    assert "growth hormone peaks" in sleep.text
    assert phrase in sleep.text
    assert ("in bed by" in sleep.text) is (bedtime is not None)


def test_render_shape():
    advice = advise(ci(leg_heaviness=7, rpe=9, sleep_hours=6), [], NOW)
    lines = advice.render().splitlines()
    assert lines[0] == "Thanks for checking in. Here's your recovery plan:"
    assert len(lines) == len(advice.items) + 1
    assert all(line.startswith("• ") for line in lines[1:])
    beyond = [i for i in advice.items if i.beyond_article]
    assert beyond
    assert advice.render().count("(beyond the article)") == len(beyond)


def test_render_why_quotes_article_verbatim():
    advice = advise(ci(leg_heaviness=7, rpe=9, breathing_elevated=True, sleep_hours=6), [], NOW)
    why = advice.render_why()
    assert "From the article:" in why
    for item in advice.items:
        assert item.text in why
        assert item.quote in why
        for extra in item.extra_quotes:
            assert extra in why
    assert f"“{SENTENCES['nutrition']}”" in why
    assert SENTENCES["lactate_brake"] in why
    assert EXTERNAL_SOURCES["sleep_duration"] in why


def test_items_carry_their_sources():
    advice = advise(ci(leg_heaviness=7, rpe=9), [], NOW)
    for item in advice.items:
        expected = EXTERNAL_SOURCES if item.beyond_article else SENTENCES
        assert item.quote == expected[item.source_key]


OPTIONAL_BOOL = st.none() | st.booleans()


@settings(max_examples=200, deadline=None)
@given(
    heaviness=st.none() | st.integers(0, 10),
    rpe=st.none() | st.integers(0, 10),
    motivation=st.none() | st.integers(1, 5),
    session=st.none() | st.sampled_from(list(SessionType)),
    breathing=OPTIONAL_BOOL,
    joint=OPTIONAL_BOOL,
    twitch=OPTIONAL_BOOL,
    sleep=st.none() | st.floats(0, 14, allow_nan=False),
    minutes_ago=st.none() | st.floats(0, 5000, allow_nan=False),
    history=st.lists(st.tuples(st.integers(1, 200), st.none() | st.integers(0, 10)), max_size=6),
)
def test_any_combination_of_answers_is_safe(
    heaviness, rpe, motivation, session, breathing, joint, twitch, sleep, minutes_ago, history
):
    checkin = ci(
        minutes_ago=minutes_ago,
        leg_heaviness=heaviness,
        rpe=rpe,
        motivation=motivation,
        session_type=session,
        breathing_elevated=breathing,
        joint_pain=joint,
        muscle_twitching=twitch,
        sleep_hours=sleep,
    )
    past = [followup(NOW - timedelta(hours=h), level) for h, level in history]
    advice = advise(checkin, past, NOW, tz=ZoneInfo("Europe/Berlin"), bedtime=time(23, 0))
    assert 1 <= len(advice.items) <= MAX_POINTS
    assert len({i.rule_id for i in advice.items}) == len(advice.items)
    assert len(advice.render()) < 4096
    assert len(advice.render_why()) < 4096
    assert advice.red_flag == ("red_flag_48h" in ids(advice))
    if advice.red_flag:
        assert ids(advice)[0] == "red_flag_48h"


@pytest.mark.parametrize(
    ("zone_name", "bedtime", "phrase"),
    [
        ("UTC", time(22, 30), "in bed by 22:30 tonight"),  # 18:00 local, bedtime ahead
        ("UTC", time(17, 30), "past your usual 17:30 bedtime"),  # 30 min after bedtime
        ("Asia/Tokyo", time(22, 30), "past your usual 22:30 bedtime"),  # 03:00 local, 4.5 h late
        ("Asia/Kolkata", time(22, 30), "past your usual 22:30 bedtime"),  # 23:30 local
        ("UTC", time(12, 0), "in bed by 12:00 tonight"),  # six hours after: a new day's plan
    ],
)
def test_deep_sleep_knows_when_bedtime_has_passed(zone_name, bedtime, phrase):

    advice = advise(
        ci(minutes_ago=None, leg_heaviness=3), [], NOW, tz=ZoneInfo(zone_name), bedtime=bedtime
    )
    sleep = next(i for i in advice.items if i.rule_id == "deep_sleep")
    assert phrase in sleep.text
