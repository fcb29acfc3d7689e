"""advise(): a table of situations across the scales and time, boundaries, and properties.

Every situation says which points must show and which must not; the properties run random
check-ins and histories through the engine and check what no reply may ever do.
"""

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.article import EXTERNAL_SOURCES, SENTENCES
from rules.catalogue import Role
from rules.engine import BEYOND_MARK, DISCLAIMER, MAX_POINTS, MAX_REPLY_CHARS, advise
from rules.facts import (
    LINK_MAX_GAP,
    PERSISTENT,
    build_facts,
    heavy_since,
    linked,
    relevant_history,
)
from rules.general import general_tips
from rules.model import CheckIn, Kind, SessionType
from rules.reminders import plan_reminders
from rules.scales import EFFORT, LEG_HEAVINESS, MOTIVATION

NOW = datetime(2025, 6, 10, 18, 0, tzinfo=UTC)
FEAR_WORDS = ("danger", "alarm", "emergency", "injur", "damage", "urgent", "worr", "syndrome")
JARGON = ("glycogen", "lactate", "dopamine", "growth hormone", "neural", "prefrontal")
REASSURING = ("normal", "not a sign of failure", "common", "not laziness")
# Pairs of points that would contradict each other in one reply.
CONFLICTS = {
    frozenset({"heavy_after_hard_work", "heavy_after_easy_work"}),
    frozenset({"breathing_check", "breathing_settling"}),
    frozenset({"refuel_window", "refuel_late"}),
    frozenset({"red_flag_48h", "persistent_48h"}),
    frozenset({"red_flag_48h", "pain_watch"}),
}


def ci(minutes_ago: float | None = 20, **kw) -> CheckIn:
    """A check-in answered at `created_at` (NOW) about a session that ended `minutes_ago` before."""
    created = kw.pop("created_at", NOW)
    finished = None if minutes_ago is None else created - timedelta(minutes=minutes_ago)
    return CheckIn(created_at=created, finished_at=finished, **kw)


def followup(at: datetime, heaviness: int | None, of: str = "", **kw) -> CheckIn:
    """A 48 h follow-up answer given at `at` (to check-in `of`)."""
    extra = {"followup_of": of} if of else {}
    return CheckIn(created_at=at, leg_heaviness=heaviness, kind=Kind.FOLLOWUP, extra=extra, **kw)


def ids(advice) -> list[str]:
    """Rule ids of the selected items, in order."""
    return [item.rule_id for item in advice.items]


def text_of(advice, rule_id: str) -> str:
    """The rendered text of one point."""
    return next(item.text for item in advice.items if item.rule_id == rule_id)


# -- a table of situations ------------------------------------------------------------------

LONG_HARD_RIDE = {"session_type": SessionType.ENDURANCE, "duration_min": 180, "rpe": 6}
HARD_INTERVALS = {"session_type": SessionType.INTERVALS, "duration_min": 45, "rpe": 8}
SITUATIONS = [
    pytest.param(
        ci(leg_heaviness=7, breathing_elevated=True, **HARD_INTERVALS),
        {"refuel_window", "deep_sleep", "heavy_after_hard_work"},
        {"red_flag_48h", "persistent_48h", "heavy_after_easy_work", "breathing_check"},
        ("Eat a 3:1 carb-to-protein snack by 18:40 (40 min left)", "very hard efforts"),
        id="sprinter-fresh-off-intervals",
    ),
    pytest.param(
        ci(leg_heaviness=6, **LONG_HARD_RIDE),
        {"heavy_after_hard_work"},
        {"heavy_after_easy_work"},
        ("after a long session",),
        id="180-min-ride-at-rpe-6-is-sustained",
    ),
    pytest.param(
        ci(leg_heaviness=7, session_type=SessionType.INTERVALS, duration_min=40, rpe=3),
        {"heavy_after_easy_work"},
        {"heavy_after_hard_work"},
        ("a moderate session",),
        id="easy-intervals-are-not-a-hard-effort",
    ),
    pytest.param(
        ci(leg_heaviness=7, session_type=SessionType.EASY, duration_min=40, rpe=1),
        {"heavy_after_easy_work"},
        {"heavy_after_hard_work", "central_fatigue"},
        ("an easy session", "aren't a sign of failure"),
        id="easy-run-yet-heavy",
    ),
    pytest.param(
        ci(leg_heaviness=6, motivation=1, **LONG_HARD_RIDE),
        {"central_fatigue"},
        set(),
        ("can dampen drive",),
        id="long-ride-low-motivation",
    ),
    pytest.param(
        ci(leg_heaviness=6, motivation=1, session_type=SessionType.EASY, duration_min=30, rpe=2),
        set(),
        {"central_fatigue"},
        (),
        id="low-motivation-after-a-short-easy-session-is-not-central-fatigue",
    ),
    pytest.param(
        ci(leg_heaviness=2, session_type=SessionType.EASY, duration_min=30, rpe=2),
        {"deep_sleep", "refuel_window"},
        {"heavy_after_hard_work", "heavy_after_easy_work", "pain_watch"},
        (),
        id="light-legs-easy-day",
    ),
    pytest.param(
        ci(minutes_ago=None, leg_heaviness=7),
        {"deep_sleep"},
        {"refuel_window", "refuel_late", "heavy_after_hard_work", "red_flag_48h"},
        (),
        id="missing-everything-but-heaviness",
    ),
    pytest.param(
        ci(leg_heaviness=7, rpe=8, refuelled_at=NOW - timedelta(minutes=5)),
        set(),
        {"refuel_window", "refuel_late"},
        (),
        id="already-refuelled",
    ),
    pytest.param(
        ci(minutes_ago=61, leg_heaviness=4),
        {"refuel_late"},
        {"refuel_window"},
        ("Have a meal with carbs and protein soon", BEYOND_MARK),
        id="window-passed",
    ),
    pytest.param(
        ci(minutes_ago=13 * 60, leg_heaviness=7, rpe=8),
        set(),
        {"refuel_window", "refuel_late"},
        (),
        id="logged-next-morning-no-refuel-nag",
    ),
    pytest.param(
        ci(leg_heaviness=4, sleep_hours=5.5),
        {"short_sleep", "deep_sleep"},
        set(),
        ("You slept 5.5 h", "7 h or more"),
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
        ci(leg_heaviness=7, joint_pain=True, **HARD_INTERVALS),
        {"pain_watch"},
        {"red_flag_48h", "persistent_48h", "heavy_after_hard_work"},
        ("joint pain", "lasts a few days", DISCLAIMER),
        id="fresh-joint-pain-no-reassurance",
    ),
    pytest.param(
        followup(NOW, 4, muscle_twitching=True),
        {"pain_watch"},
        {"red_flag_48h", "refuel_window"},
        ("sharp muscle twitching", "physio or sports doctor"),
        id="followup-twitching-but-legs-lighter",
    ),
    pytest.param(
        ci(minutes_ago=30, leg_heaviness=3, breathing_elevated=True),
        {"breathing_settling"},
        {"breathing_check"},
        ("rebalancing",),
        id="breathing-up-half-an-hour-after",
    ),
    pytest.param(
        ci(minutes_ago=61, leg_heaviness=3, breathing_elevated=True),
        {"breathing_check"},
        {"breathing_settling"},
        ("61 min after training", "see a doctor", "chest pain", BEYOND_MARK),
        id="breathing-up-an-hour-after",
    ),
    pytest.param(
        ci(minutes_ago=119, leg_heaviness=3, breathing_elevated=True),
        {"breathing_check"},
        set(),
        ("about 2 h after training: rest; if it doesn't settle",),
        id="breathing-up-an-hour-after",
    ),
    pytest.param(
        ci(minutes_ago=20 * 60, leg_heaviness=3, breathing_elevated=True),
        {"breathing_check"},
        {"breathing_settling"},
        ("Still breathless about 20 h after training?", "see a doctor today"),
        id="breathing-up-20-hours-after",
    ),
    pytest.param(
        ci(minutes_ago=None, leg_heaviness=3, breathing_elevated=True),
        {"breathing_check"},
        {"breathing_settling"},
        ("Still breathless at rest?",),
        id="breathing-up-at-rest-unknown-session",
    ),
    pytest.param(
        ci(minutes_ago=50 * 60, leg_heaviness=9, joint_pain=True, id="late"),
        {"pain_watch"},
        {"red_flag_48h", "persistent_48h"},
        (),
        id="team-prompt-tapped-50h-late-is-no-red-flag",
    ),
    pytest.param(
        ci(minutes_ago=-30, leg_heaviness=8, rpe=9),
        {"refuel_window"},
        {"red_flag_48h", "persistent_48h"},
        ("eat",),
        id="clock-skew-finish-in-the-future",
    ),
]


@pytest.mark.parametrize(("checkin", "present", "absent", "phrases"), SITUATIONS)
def test_situations(checkin, present, absent, phrases):
    advice = advise(checkin, [], NOW, bedtime=time(22, 30))
    fired = set(ids(advice))
    assert present <= fired
    assert not absent & fired
    reply = advice.render()
    for phrase in phrases:
        assert phrase.lower() in reply.lower()


@pytest.mark.parametrize(("checkin", "present", "absent", "phrases"), SITUATIONS)
def test_replies_fit_a_phone_screen_in_plain_calm_words(checkin, present, absent, phrases):
    advice = advise(checkin, [], NOW, bedtime=time(22, 30))
    reply = advice.render()
    assert len(reply) <= MAX_REPLY_CHARS
    assert len(advice.items) <= MAX_POINTS
    assert not re.search(r"[<>*_`]", reply)
    assert not any(word in reply.lower() for word in FEAR_WORDS)
    assert not any(word in reply.lower() for word in JARGON)
    assert advice.items[0].role is not Role.EXPLAIN


# -- scales: one definition, labels and rules agree -----------------------------------------


def test_questions_render_their_legends_from_the_scales():
    from bot.athletes.questions import HEAVINESS, RPE
    from bot.athletes.questions import MOTIVATION as MOTIVATION_Q

    assert LEG_HEAVINESS.legend() in HEAVINESS.prompt
    assert EFFORT.legend() in RPE.prompt
    assert MOTIVATION.legend() in MOTIVATION_Q.prompt
    assert "5–7 heavy" in HEAVINESS.prompt
    assert "5–6 hard" in RPE.prompt
    assert [value for _label, value in HEAVINESS.options] == [str(v) for v in range(11)]


@pytest.mark.parametrize("heaviness", list(LEG_HEAVINESS.values))
def test_every_value_labelled_heavy_counts_as_heavy_for_the_red_flag(heaviness):
    """5/10 is labelled "heavy": 50 observed hours of it with joint pain is a red flag."""
    first = ci(minutes_ago=20, created_at=NOW - timedelta(hours=50), leg_heaviness=8, id="c1")
    later = followup(NOW, heaviness, of="c1", joint_pain=True)
    advice = advise(later, [first], NOW)
    heavy = LEG_HEAVINESS.band(heaviness).label in ("heavy", "very heavy")
    assert advice.red_flag is heavy


@pytest.mark.parametrize("rpe", list(EFFORT.values))
def test_effort_words_in_the_reply_match_the_tapped_band(rpe):
    checkin = ci(leg_heaviness=7, session_type=SessionType.INTERVALS, duration_min=45, rpe=rpe)
    reply = advise(checkin, [], NOW).render()
    label = EFFORT.band(rpe).label
    said = set(
        re.findall(r"after (?:an? |a long, )?(easy|moderate|hard|very hard|maximal) ", reply)
    )
    assert said <= {label}
    assert ("moderate" in reply) is (label == "moderate")


@pytest.mark.parametrize("motivation", list(MOTIVATION.values))
def test_low_motivation_is_read_exactly_as_its_label(motivation):
    checkin = ci(leg_heaviness=6, motivation=motivation, **LONG_HARD_RIDE)
    fired = "central_fatigue" in ids(advise(checkin, [], NOW))
    assert fired is (MOTIVATION.band(motivation).label == "low")


def test_scales_cover_every_value_once():
    for scale in (LEG_HEAVINESS, EFFORT, MOTIVATION):
        seen = [v for band in scale.bands for v in range(band.low, band.high + 1)]
        assert seen == list(scale.values)
    with pytest.raises(ValueError, match="outside"):
        LEG_HEAVINESS.band(11)
    assert not MOTIVATION.within(0, "low")


# -- persistence is observed -----------------------------------------------------------------


def heavy_at(hours_ago: float, cid: str, heaviness: int = 7, **kw) -> CheckIn:
    """A check-in answered `hours_ago` before NOW, 20 minutes after its session."""
    return ci(
        minutes_ago=20,
        created_at=NOW - timedelta(hours=hours_ago),
        leg_heaviness=heaviness,
        id=cid,
        **kw,
    )


def test_followup_48h_after_the_session_observes_persistence():
    first = heavy_at(48 - 1 / 3, "c1")  # answered 20 min after finishing, 48 h before NOW
    facts = build_facts(followup(NOW, 7, of="c1"), [first], NOW, tz=UTC, bedtime=None)
    assert facts.heavy_for == PERSISTENT
    assert facts.persistent


def test_followup_a_minute_short_of_48h_is_not_persistent():
    first = heavy_at(48 - 1 / 3 - 1 / 60, "c1")
    facts = build_facts(followup(NOW, 7, of="c1"), [first], NOW, tz=UTC, bedtime=None)
    assert not facts.persistent


def test_two_heavy_checkins_70h_apart_are_not_persistence():
    first = heavy_at(70, "c1")
    current = ci(leg_heaviness=8, joint_pain=True, id="c2")
    advice = advise(current, [first], NOW)
    assert not advice.red_flag
    assert "persistent_48h" not in ids(advice)
    assert "hours" not in advice.render()


@pytest.mark.parametrize(
    ("gap", "is_linked"),
    [(LINK_MAX_GAP, True), (LINK_MAX_GAP + timedelta(minutes=1), False)],
)
def test_answers_link_within_36_hours(gap, is_linked):
    earlier = CheckIn(created_at=NOW - gap, leg_heaviness=7, id="a")
    assert linked(earlier, CheckIn(created_at=NOW, leg_heaviness=7)) is is_linked


def test_a_followup_links_to_its_own_checkin_only():
    mine = CheckIn(created_at=NOW - timedelta(hours=60), leg_heaviness=7, id="a")
    other = CheckIn(created_at=NOW - timedelta(hours=60), leg_heaviness=7, id="b")
    answer = followup(NOW, 7, of="a")
    assert linked(mine, answer)
    assert not linked(other, answer)
    assert not linked(mine, followup(NOW + timedelta(hours=13), 7, of="a"))  # past 72 h


def test_daily_heavy_checkins_chain_into_persistence():
    history = [heavy_at(24 * k, f"c{k}") for k in (1, 2)]
    advice = advise(heavy_at(0, "c0"), history, NOW)
    assert "persistent_48h" in ids(advice)
    assert "for 2+ days" in advice.render()


@pytest.mark.parametrize(
    ("levels", "persistent"),
    [
        ([8, 7], True),
        ([8, 3], False),  # a light answer ends the run
        ([8, None], False),  # an unanswered one vouches for nothing: 48 h unobserved
        ([3, 8], False),
        ([3, 8, 8], True),
        ([8, 7, 2], False),
    ],
)
def test_run_walks_back_until_a_light_answer(levels, persistent):
    """Answers every 24 h ending with a heavy check-in now."""
    n = len(levels)
    history = [
        CheckIn(created_at=NOW - timedelta(hours=24 * (n - k)), leg_heaviness=h, id=f"h{k}")
        for k, h in enumerate(levels)
    ]
    current = ci(minutes_ago=0, leg_heaviness=7, id="now")
    facts = build_facts(current, history[::-1], NOW, tz=UTC, bedtime=None)
    assert facts.persistent is persistent


def test_an_unanswered_answer_between_linked_ones_is_skipped():
    history = [
        CheckIn(created_at=NOW - timedelta(hours=50), leg_heaviness=8, id="a"),
        CheckIn(created_at=NOW - timedelta(hours=30), leg_heaviness=None, id="b"),
        CheckIn(created_at=NOW - timedelta(hours=20), leg_heaviness=7, id="c"),
    ]
    facts = build_facts(ci(minutes_ago=0, leg_heaviness=7), history, NOW, tz=UTC, bedtime=None)
    assert facts.heavy_for == timedelta(hours=50)


def test_a_late_answer_does_not_vouch_for_the_time_since_its_session():
    late = ci(minutes_ago=50 * 60, leg_heaviness=9)
    assert heavy_since(late) == NOW
    soon = ci(minutes_ago=60, leg_heaviness=9)
    assert heavy_since(soon) == NOW - timedelta(hours=1)


def test_history_ignores_later_answers_and_same_id():
    current = ci(minutes_ago=0, leg_heaviness=7, id="x")
    old_copy = followup(NOW - timedelta(hours=50), 9, id="x")
    later = followup(NOW + timedelta(hours=1), 9, id="y")
    earlier = followup(NOW - timedelta(hours=1), 9, id="z")
    assert relevant_history(current, [later, old_copy, earlier, current]) == (earlier,)


def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        advise(ci(leg_heaviness=5), [], NOW.replace(tzinfo=None))


# -- cautions, escalation, and no reassurance beside them ------------------------------------


def test_red_flag_comes_first_with_action_referral_and_disclaimer():
    first = heavy_at(50, "c1")
    current = followup(NOW, 8, of="c1", joint_pain=True, muscle_twitching=True)
    advice = advise(current, [first], NOW)
    lines = advice.render().splitlines()
    assert lines[0].startswith("Skip hard training tomorrow")  # it is 18:00
    assert "joint pain and sharp muscle twitching" in lines[0]
    assert "compromised, not just delayed" in lines[0]
    assert f"if it's severe or lasts a few days.{BEYOND_MARK}" in lines[0]
    assert lines[-1].startswith(DISCLAIMER)
    assert EXTERNAL_SOURCES["injury_care"] in advice.items[0].explain(1, len(advice.items))


@pytest.mark.parametrize(
    ("days", "phrase", "referral"),
    [(3, "for 3+ days", False), (13, "for 13+ days", False), (35, "for 35+ days", True)],
)
def test_long_persistence_is_said_in_days_and_escalates(days, phrase, referral):
    history = [heavy_at(24 * k, f"c{k}") for k in range(1, days + 1)]
    advice = advise(heavy_at(0, "c0"), history, NOW)
    reply = advice.render()
    assert phrase in reply
    assert "hours" not in reply
    assert ("see a sports doctor or physio" in reply) is referral
    if referral:
        assert reply.count(BEYOND_MARK) >= 1
        point = next(i for i in advice.items if i.rule_id == "persistent_48h")
        assert "overtraining" in point.beyond


@pytest.mark.parametrize(
    "case",
    ["red_flag", "persistent", "pain", "breathing"],
)
def test_no_reassurance_beside_a_caution(case):
    hard = {"breathing_elevated": case == "breathing", **HARD_INTERVALS}
    if case in ("red_flag", "persistent"):
        history = [heavy_at(24 * k, f"c{k}") for k in (1, 2)]
        current = heavy_at(0, "c0", joint_pain=case == "red_flag", **hard)
    else:
        history = []
        current = ci(minutes_ago=90, leg_heaviness=8, joint_pain=case == "pain", **hard)
    advice = advise(current, history, NOW)
    assert advice.caution
    assert all(item.role is not Role.EXPLAIN for item in advice.items)
    assert not any(word in advice.render() for word in REASSURING)
    assert "rebalancing" not in advice.render()


def test_breathing_soon_after_but_beside_persistence_is_not_explained_away():
    history = [heavy_at(24 * k, f"c{k}") for k in (1, 2)]
    current = heavy_at(0, "c0", joint_pain=True, breathing_elevated=True)
    advice = advise(current, history, NOW)
    assert {"persistent_48h", "pain_watch"} <= set(ids(advice))
    assert "rebalancing" not in advice.render()


def test_heavy_after_every_daily_session_is_a_caution_but_never_a_red_flag():
    """Each answer right after a new session: heaviness that did not outlast one session."""
    history = [heavy_at(24 * k, f"c{k}", rpe=8) for k in (1, 2)]
    advice = advise(heavy_at(0, "c0", rpe=8, muscle_twitching=True), history, NOW)
    assert not advice.red_flag
    assert "felt heavy at every check-in for 2+ days" in advice.render()
    later = followup(NOW + timedelta(hours=48), 7, of="c0", muscle_twitching=True)
    assert advise(later, [*history, heavy_at(0, "c0")], later.created_at).red_flag


# -- the first line, the refuel window, sleep ------------------------------------------------


@pytest.mark.parametrize(
    ("minutes_ago", "phrase", "rule"),
    [
        (0, "by 19:00 (60 min left)", "refuel_window"),
        (29, "(31 min left)", "refuel_window"),
        (30, "(30 min left)", "refuel_window"),
        (59.5, "(1 min left)", "refuel_window"),
        (60, "now: your 60-minute window closes at 18:00", "refuel_window"),
        (61, "still helps after the 60-minute window", "refuel_late"),
        (300, "Have a meal with carbs and protein soon", "refuel_late"),
    ],
)
def test_refuel_window_boundaries(minutes_ago, phrase, rule):
    checkin = ci(minutes_ago=minutes_ago, leg_heaviness=5)
    advice = advise(checkin, [], NOW)
    assert phrase in text_of(advice, rule)
    if rule == "refuel_window":
        assert advice.render().startswith("Eat a 3:1 carb-to-protein snack")


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
    now = finished + timedelta(minutes=20)
    checkin = CheckIn(created_at=now, finished_at=finished, leg_heaviness=6)
    advice = advise(checkin, [], now, tz=ZoneInfo(zone))
    assert advice.render().startswith(f"Eat a 3:1 carb-to-protein snack by {local_deadline}")


@pytest.mark.parametrize(
    ("zone_name", "bedtime", "phrase"),
    [
        ("UTC", time(22, 30), "Be in bed by 22:30 tonight"),  # 18:00 local, bedtime ahead
        ("UTC", time(17, 30), "Past your usual 17:30 bedtime"),  # 30 min after bedtime
        ("Asia/Tokyo", time(22, 30), "Past your usual 22:30 bedtime"),  # 03:00 local
        ("Asia/Kolkata", time(22, 30), "Past your usual 22:30 bedtime"),  # 23:30 local
        ("Asia/Tokyo", time(2, 30), "Past your usual 02:30 bedtime"),  # 03:00 local
        ("Asia/Tokyo", time(21, 30), "Past your usual 21:30 bedtime"),  # 5.5 h later, before 5
        ("Asia/Kolkata", time(0, 0), "Be in bed by midnight tonight"),  # 23:30 local
        ("Europe/London", time(0, 0), "Be in bed by midnight tonight"),  # 19:00 local
        ("UTC", None, "Make sleep a priority tonight"),
    ],
)
def test_sleep_point_knows_the_bedtime(zone_name, bedtime, phrase):
    advice = advise(
        ci(minutes_ago=None, leg_heaviness=3), [], NOW, tz=ZoneInfo(zone_name), bedtime=bedtime
    )
    assert phrase in text_of(advice, "deep_sleep")
    assert phrase in advice.render().splitlines()[0]  # the evening's main action comes first


def test_sleep_is_never_dropped_by_the_cap():
    history = [heavy_at(24 * k, f"c{k}") for k in (1, 2)]
    current = heavy_at(
        0, "c0", joint_pain=True, breathing_elevated=True, sleep_hours=4, **LONG_HARD_RIDE
    )
    current = replace(current, finished_at=NOW - timedelta(hours=3))
    advice = advise(current, history, NOW, bedtime=time(22, 0))
    assert "deep_sleep" in ids(advice)
    assert len(advice.render()) <= MAX_REPLY_CHARS


# -- promises match the plan -----------------------------------------------------------------


def test_pain_point_promises_the_planned_followup_time():
    checkin = ci(leg_heaviness=6, joint_pain=True, id="c1")
    plans = plan_reminders(checkin, NOW, tz=ZoneInfo("Europe/Berlin"), bedtime=None)
    [due] = [p.due_at for p in plans if p.kind == "followup"]
    advice = advise(checkin, [], NOW, tz=ZoneInfo("Europe/Berlin"), followup_at=due)
    assert "I'll ask how it is on Thu at 19:40" in advice.render()
    assert "48 hours" not in advice.render()
    quiet = advise(checkin, [], NOW, tz=ZoneInfo("Europe/Berlin"), followup_at=None)
    assert "I'll ask" not in quiet.render()
    assert "lasts a few days" in quiet.render()


# -- Why? ------------------------------------------------------------------------------------


def test_why_explains_each_point_with_its_sentence_or_citation():
    advice = advise(ci(leg_heaviness=7, sleep_hours=6, **LONG_HARD_RIDE), [], NOW)
    total = len(advice.items)
    for n, item in enumerate(advice.items, 1):
        why = item.explain(n, total)
        assert why.startswith(f"Why? Point {n} of {total}")
        assert item.text in why
        for key in item.sources:
            assert SENTENCES[key] in why
        for key in item.beyond:
            assert EXTERNAL_SOURCES[key] in why
        assert len(why) < 1200
    glycogen = next(i for i in advice.items if i.rule_id == "heavy_after_hard_work")
    assert glycogen.sources == ("glycogen",)  # a long ride at RPE 6: not the lactate brake


def test_advice_round_trips_through_its_stored_form():
    advice = advise(ci(leg_heaviness=7, joint_pain=True, **HARD_INTERVALS), [], NOW)
    again = [type(item).from_doc(item.to_doc()) for item in advice.items]
    assert tuple(again) == advice.items


# -- properties over random check-ins and histories -----------------------------------------

OPTIONAL_BOOL = st.none() | st.booleans()
ANSWER = st.fixed_dictionaries(
    {
        "leg_heaviness": st.none() | st.integers(0, 10),
        "rpe": st.none() | st.integers(0, 10),
        "motivation": st.none() | st.integers(1, 5),
        "session_type": st.none() | st.sampled_from(list(SessionType)),
        "duration_min": st.none() | st.integers(5, 600),
        "breathing_elevated": OPTIONAL_BOOL,
        "joint_pain": OPTIONAL_BOOL,
        "muscle_twitching": OPTIONAL_BOOL,
        "sleep_hours": st.none() | st.floats(0, 16, allow_nan=False),
    }
)
ANSWERED = st.tuples(
    st.floats(0.5, 24 * 40, allow_nan=False),  # hours before NOW
    st.none() | st.integers(0, 10),
    st.booleans(),  # a follow-up of the answer before it
    st.booleans(),  # joint pain
)
STREAK = st.tuples(st.integers(1, 40), st.floats(20, 36), st.integers(5, 10), st.booleans()).map(
    lambda t: [(t[1] * (k + 1), t[2], False, t[3]) for k in range(t[0])]
)  # heavy at every check-in, about daily, for up to 40 days
PAST = st.lists(ANSWERED, max_size=12) | STREAK


def observed_episode_hours(current: CheckIn, past: list[CheckIn]) -> float:
    """An independent oracle: how long one session's heaviness was observed to last, in hours:
    heavy answers linked back from now, each later one a follow-up (no new session between)."""
    answers = sorted((a for a in past if a.leg_heaviness is not None), key=lambda a: a.created_at)
    run = [current]
    for answer in reversed(answers):
        later = run[-1]
        if answer.leg_heaviness < 5 or not linked(answer, later) or later.kind != Kind.FOLLOWUP:
            break
        run.append(answer)
    start = min(heavy_since(a) for a in run)
    return (current.created_at - start).total_seconds() / 3600


@settings(max_examples=600, deadline=None)
@given(
    answers=ANSWER,
    minutes_ago=st.none() | st.floats(-10, 3000, allow_nan=False),
    past=PAST,
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles"]),
    bedtime=st.none() | st.times(),
    kind=st.sampled_from([Kind.CHECKIN, Kind.FOLLOWUP]),
)
def test_properties_of_every_reply(answers, minutes_ago, past, zone, bedtime, kind):
    tz = ZoneInfo(zone)
    history, previous = [], None
    for n, (hours, level, is_followup, pain) in enumerate(sorted(past, key=lambda p: -p[0])):
        at = NOW - timedelta(hours=hours)
        extra = {"followup_of": previous.id} if is_followup and previous else {}
        history.append(
            CheckIn(created_at=at, leg_heaviness=level, id=f"p{n}", extra=extra, joint_pain=pain)
        )
        previous = history[-1]
    if kind is Kind.FOLLOWUP:
        current = followup(NOW, answers["leg_heaviness"], of=previous.id if previous else "")
        current = replace(
            current, joint_pain=answers["joint_pain"], muscle_twitching=answers["muscle_twitching"]
        )
    else:
        current = ci(minutes_ago=minutes_ago, id="now", **answers)
    plans = plan_reminders(current, NOW, tz=tz, bedtime=bedtime)
    followup_at = next((p.due_at for p in plans if p.kind == "followup"), None)
    advice = advise(current, history, NOW, tz=tz, bedtime=bedtime, followup_at=followup_at)
    reply = advice.render()
    chosen = set(ids(advice))

    assert len(reply) <= MAX_REPLY_CHARS
    assert 1 <= len(advice.items) <= MAX_POINTS
    assert "deep_sleep" in chosen or advice.caution  # only a long caution crowds it out
    assert advice.items[0].role is not Role.EXPLAIN  # the first line is an action
    assert not any(pair <= chosen for pair in CONFLICTS)
    if advice.caution:
        assert all(item.role is not Role.EXPLAIN for item in advice.items)
        assert reply.splitlines()[-1].startswith(DISCLAIMER)
    for item in advice.items:
        assert item.sources or item.beyond
        assert all(key in SENTENCES for key in item.sources)
        assert all(key in EXTERNAL_SOURCES for key in item.beyond)
        assert (BEYOND_MARK in item.text) is bool(item.beyond)
    # A red flag only with observed persistence plus joint pain or twitching, first.
    heavy_now = (current.leg_heaviness or 0) >= 5
    observed = observed_episode_hours(current, history) if heavy_now else 0
    assert advice.red_flag == (observed >= 48 and current.red_signs)
    if advice.red_flag:
        assert ids(advice)[0] == "red_flag_48h"
    # Every promised follow-up is the one planned.
    if match := re.search(r"I'll ask how it is on (\w+) at (\d\d:\d\d)", reply):
        assert followup_at is not None
        assert match.groups() == tuple(followup_at.astimezone(tz).strftime("%a %H:%M").split())


def test_readme_sample_reply_is_what_the_bot_says():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    sample = re.search(r"15 minutes ago, in Berlin:\n\n```\n(.*?)\n```", readme, re.DOTALL)
    now = datetime(2026, 5, 12, 17, 20, tzinfo=UTC)
    checkin = CheckIn(
        created_at=now,
        finished_at=now - timedelta(minutes=15),
        leg_heaviness=7,
        rpe=8,
        duration_min=75,
        session_type=SessionType.INTERVALS,
        motivation=3,
        breathing_elevated=True,
        joint_pain=False,
        muscle_twitching=False,
        sleep_hours=7.5,
    )
    advice = advise(checkin, [], now, tz=ZoneInfo("Europe/Berlin"), bedtime=time(22, 30))
    assert sample is not None
    assert sample.group(1) == advice.render()


@pytest.mark.parametrize("session", list(SessionType))
def test_general_tips_fit_one_screen_and_promise_no_clock_time(session: SessionType) -> None:
    """The tips for someone who declined: the article's points, short, no personal times."""
    text = general_tips(session)
    assert text.startswith("Eat a 3:1 carb-to-protein snack")  # the first line: what to do now
    assert len(text) <= MAX_REPLY_CHARS
    assert "3:1 carb" in text
    assert "beyond 48 hours, especially with joint pain or sharp muscle twitching" in text
    assert not re.search(r"\d{1,2}:\d{2}", text)
