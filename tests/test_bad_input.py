"""Absurd input never reaches an exception or storage: every typed answer is bounded, every
forged id is refused before a store sees it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.athletes.answers import MAX_SLEEP_HOURS, AnswerContext
from bot.athletes.questions import FLOWS
from bot.fakeapi import FakeBotAPI
from bot.shell.callbacks import chat_id, parse_coach_view
from tests.conftest import onboard, svc

CTX = AnswerContext(now=datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tz=UTC)
QUESTIONS = {q.key: q for flow in FLOWS.values() for q in flow.questions}
ABSURD = [
    "99999999999999",
    "1000000000h",
    "100000h1",
    "1e308",
    "1e308h",
    "-5",
    "nan",
    "inf",
    "0x10",
    "٣",
    "7h99999999999999999",
    "",
    " ",
    "😀",
    "1" * 500,
]


@pytest.mark.parametrize("text", ABSURD)
@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_absurd_answers_get_a_friendly_reask_never_a_crash(key: str, text: str) -> None:
    try:
        answer = QUESTIONS[key].parse(text, CTX)
    except ValueError as exc:
        reask = str(exc)  # what the athlete sees
    else:
        assert_bounded(answer)
        return
    assert reask


def assert_bounded(answer: dict) -> None:
    """Whatever a parser accepts lies within its question's range."""
    hours = answer.get("sleep_hours")
    assert hours is None or 0 <= hours <= MAX_SLEEP_HOURS
    for key in ("rpe", "leg_heaviness"):
        assert answer.get(key) is None or 0 <= answer[key] <= 10
    minutes = answer.get("duration_min")
    assert minutes is None or 5 <= minutes <= 600
    if finished := answer.get("finished_at"):
        assert 0 <= (CTX.now - datetime.fromisoformat(finished)).total_seconds() <= 86400


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(QUESTIONS)), text=st.text(max_size=40))
def test_any_text_is_answered_or_reasked(key: str, text: str) -> None:
    try:
        answer = QUESTIONS[key].parse(text, CTX)
    except ValueError:
        return
    assert_bounded(answer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-1001234567890", -1001234567890), ("42", 42), ("--5", None), ("99999999999999999999", None)],
)
def test_chat_ids_are_bounded(text: str, expected: int | None) -> None:
    assert chat_id(text) == expected


def test_forged_coach_view_buttons_are_refused() -> None:
    assert parse_coach_view("cv|--5|1") is None
    assert parse_coach_view("cv|-99999999999999999|1") is None
    assert parse_coach_view("cv|-100123|42") == (-100123, 42)


async def test_forged_ids_get_a_clear_answer_on_every_backend(api: FakeBotAPI, bot) -> None:
    """An out-of-range join link or coach-view button is 'not valid', never an outage."""
    user = api.user(920)
    await onboard(user)
    await user.send("/start 99999999999999999999-" + "x" * 20)
    await user.expect("isn't valid")
    await user.send("/start 9999999999999999-" + "x" * 20)
    await user.expect("isn't valid")
    await user.press_data("cv|--5|1")
    await user.expect("Not available", kind="callback_answer")
    await user.press_data("cv|-9999999999999999|9999999999999999")
    await user.expect("Not available", kind="callback_answer")
    await user.send("/checkin")
    await user.expect("finish")
    for text in ("99999999999999", "1000000000h"):
        await user.send(text)
        await user.expect("🤔")
    assert await svc(bot).store.checkins(920) == []
    assert (await svc(bot).store.state(920, "draft"))["step"] == 0


REASKS = {
    "consent": "Yes or No",
    "tz": "time zone",
    "bedtime": "time like",
    "finished_at": "how long ago it ended",
    "session_type": "session types",
    "duration_min": "minutes",
    "rpe": "0 to 10",
    "leg_heaviness": "0 to 10",
    "motivation": "1 to 5",
    "breathing_elevated": "Yes or No",
    "joint_pain": "Neither, Joint pain",
    "sleep_hours": "hours you slept",
    "quiet_hours": "22:00-07:00",
    "readiness_at": "time like",
    "fatigue": "1 to 5",
    "sleep_quality": "1 to 5",
    "soreness": "1 to 5",
    "stress": "1 to 5",
    "mood": "1 to 5",
}


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_a_word_that_is_no_answer_gets_the_re_ask_of_its_own_question(key: str) -> None:
    """ "banana" to any question is answered with what that question expects."""
    with pytest.raises(ValueError, match=REASKS[key]):
        QUESTIONS[key].parse("banana", CTX)


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_every_button_echoes_its_own_label(key: str) -> None:
    """A typed answer that means a button's value is confirmed with that button's label."""
    question = QUESTIONS[key]
    for label, raw in question.options:
        assert question.echo(question.parse(raw, CTX), CTX) == label
