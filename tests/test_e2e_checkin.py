"""End to end: onboarding, check-ins, buttons and bad input through the real Application."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.fakeapi import BotEvent, FakeBotAPI, FakeUser
from bot.shell.clock import Clock
from rules.engine import MAX_REPLY_CHARS
from tests.conftest import REPLY, onboard, svc, withdraw

ANSWERS = ["Just now", "Intervals", "60 min", "8", "8", "2", "Yes", "Neither", "7 h"]


async def answer_all(user: FakeUser, labels: list[str]) -> None:
    """Tap through the questions, each as soon as the bot shows a question offering it."""
    for label in labels:
        while not offers(await user.expect(kind="reply"), label):
            continue
        await user.press(label)


async def guidance_after_checkin(user: FakeUser) -> BotEvent:
    """Onboard, tap through a hard intervals check-in, and return the guidance reply."""
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, ANSWERS)
    return await user.expect("3:1 carb")


def offers(event: BotEvent, label: str) -> bool:
    """Whether a bot message shows a button whose label contains `label`."""
    return any(label in text for row in event.buttons for text, _data in row)


async def test_full_checkin_gives_guidance_and_stores_record(api: FakeBotAPI, bot) -> None:
    """Nine taps produce one stored record with every field and article-based guidance."""
    user = api.user(501, first_name="Ana")
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, ANSWERS)
    [reply] = await api.expect_only(user, "3:1 carb")  # once, and nothing else
    assert reply.text.startswith("Eat a 3:1 carb-to-protein snack by ")
    assert "after a long, very hard session are normal" in reply.text
    assert "doctor" not in reply.text  # breathing up right after the session is expected
    assert len(reply.text) <= 600
    assert [label for label, _ in user.buttons()] == ["Why?", "✅ Already ate"]
    [record] = await svc(bot).store.checkins(501)
    assert record["session_type"] == "intervals"
    assert record["duration_min"] == 60
    assert (record["rpe"], record["leg_heaviness"], record["motivation"]) == (8, 8, 2)
    assert record["breathing_elevated"] is True
    assert (record["joint_pain"], record["muscle_twitching"]) == (False, False)
    assert record["sleep_hours"] == 7
    assert record["finished_at"].endswith("+00:00")
    assert record["update_id"] > 0
    assert await svc(bot).store.state(501, "draft") is None


async def test_why_button_quotes_the_article(api: FakeBotAPI, bot) -> None:
    """'Why?' shows the article sentence behind each point."""
    user = api.user(502)
    reply = await guidance_after_checkin(user)
    shown = reply.text.splitlines()
    await user.press("Why?")
    why = await user.expect("Why? Point 1 of 4")
    assert why.text.splitlines()[2] == shown[0]
    assert "3:1 carb-to-protein ratio within 30–60 minutes post-exercise" in why.text
    assert len(why.text) < 1200
    assert [label for label, _ in user.buttons(why.message_id)] == ["· 1 ·", "2", "3", "4"]
    await user.press("3", message_id=why.message_id)
    third = await user.expect("Why? Point 3 of 4", kind="edit")
    assert third.message_id == why.message_id  # the same message, edited in place
    assert shown[2].removeprefix("• ") in third.text
    assert "glycogen stores in skeletal muscle can plummet" in third.text


async def test_why_explains_what_was_shown_even_after_already_ate(api: FakeBotAPI, bot) -> None:
    """Why? explains the stored points: eating later does not change the explanation."""
    user = api.user(504)
    reply = await guidance_after_checkin(user)
    await user.press("Already ate", message_id=reply.message_id)
    await user.expect("Logged", kind="callback_answer")
    await user.press("Why?", message_id=reply.message_id)
    why = await user.expect("Why? Point 1 of 4")
    assert why.text.splitlines()[2] == reply.text.splitlines()[0]
    [record] = await svc(bot).store.checkins(504)
    assert record["advice"][0]["text"] == reply.text.splitlines()[0]


async def test_free_text_answers_and_friendly_reasks(api: FakeBotAPI, bot) -> None:
    """Typed answers are parsed; bad ones get a re-ask with the question again."""
    user = api.user(503)
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("I agree")
    await user.expect("time zone")
    await user.send("Atlantis")
    await user.expect("don't know that time zone")
    await user.send("new york")
    await user.expect("go to bed")
    await user.send("25:99")
    await user.expect("HH:MM")
    await user.send("10:45pm")
    done = await user.expect("All set")
    assert "America/New_York" in done.text
    assert "22:45" in done.text
    await user.send("/checkin")
    await user.expect("finish")
    await user.send("yesterday-ish")
    assert "how long ago it ended" in (await user.expect("When did your session finish")).text
    await user.send("15")
    assert (await user.expect("kind of session")).text.startswith("✓ Finished: 15 min ago")
    await user.send("gym")
    assert (await user.expect("How long")).text.startswith("✓ Session: Heavy strength")
    await user.send("abc")
    await user.expect("minutes")
    await user.send("1h15")
    assert (await user.expect("How hard")).text.startswith("✓ Duration: 75 min")
    await user.send("11")
    await user.expect("from 0 to 10")
    await user.send("6")
    assert (await user.expect("How heavy")).text.startswith("✓ Effort (RPE): 6")
    await user.send("5")
    await user.expect("motivated")
    await user.send("4")
    await user.expect("breathing")
    await user.send("no")
    assert (await user.expect("joint pain")).text.startswith("✓ Breathing elevated: No")
    await user.send("both")
    assert (await user.expect("hours did you sleep")).text.startswith(
        "✓ Joint pain / twitching: Both"
    )
    await user.send("twelve")
    await user.expect("hours you slept")
    await user.send("7,5")
    await user.expect("joint pain")
    [record] = await svc(bot).store.checkins(503)
    assert record["session_type"] == "strength"
    assert record["duration_min"] == 75
    assert record["sleep_hours"] == 7.5
    assert record["joint_pain"]
    assert record["muscle_twitching"]


async def test_declining_consent_stores_nothing(api: FakeBotAPI, bot, data_dir) -> None:
    """No consent: nothing about the athlete is on disk, and /checkin asks for set-up."""
    user = api.user(504)
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("No thanks")
    declined = await user.expect("haven't stored anything")
    assert offers(declined, "Long endurance")
    await user.press("Long endurance")
    tips = await user.expect("General tips after long endurance", kind="edit")
    assert tips.text.startswith("Eat a 3:1 carb")
    assert "3:1 carb" in tips.text
    assert "used much of their fuel" in tips.text
    assert "beyond 48 hours" in tips.text
    assert "Nothing was stored" in tips.text
    assert len(tips.text) <= MAX_REPLY_CHARS
    assert not any(str(504) in p.name for p in data_dir.rglob("*"))
    await user.send("/checkin")
    await user.expect("set-up")
    await user.expect("OK to store")


async def test_stale_button_gets_polite_answer(api: FakeBotAPI, bot) -> None:
    """A button from an earlier question is answered politely and changes nothing."""
    user = api.user(505)
    await onboard(user)
    await user.send("/checkin")
    first = await user.expect("finish")
    await user.press("Just now")
    await user.expect("kind of session")
    stale = next(data for label, data in first.buttons[0] if label == "15 min ago")
    await user.press_data(stale, message_id=first.message_id)
    answer = await user.expect(kind="callback_answer")
    assert "earlier question" in answer.text
    draft = await svc(bot).store.state(505, "draft")
    assert draft["step"] == 1


async def test_unknown_callback_data_is_handled(api: FakeBotAPI, bot) -> None:
    """Forged or foreign callback data never crashes and is answered."""
    user = api.user(506)
    await onboard(user)
    for data in ["why|deadbeef00", "q|00|0|0", "q|zz|99|99", "ate|1", "x" * 64, "forget|maybe"]:
        await user.press_data(data)
        answer = await user.expect(kind="callback_answer")
        assert answer.text
    api.inject_update(
        {
            "callback_query": {
                "id": "never-issued",
                "from": user.user,
                "chat_instance": "x",
                "data": "why|deadbeef00",
                "message": user.last_message,
            }
        }
    )
    await user.send("/help")
    await user.expect("what I can do")
    assert not [e for e in user.events if "went wrong" in (e.text or "")]


async def test_redelivered_final_update_does_not_duplicate(api: FakeBotAPI, bot) -> None:
    """The same update_id delivered twice creates one check-in and one reply."""
    user = api.user(507)
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, ANSWERS[:-1])
    await user.expect("hours did you sleep")
    last = await user.press("7 h")
    await user.expect("3:1 carb")
    api.inject_update(last)
    await user.send("/help")
    await user.expect("what I can do")
    assert len(await svc(bot).store.checkins(507)) == 1


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("command", "don't know /dance"),
        ("sticker", "only read text"),
        ("photo", "only read text"),
        ("location", "only read text"),
        ("chatter", "/checkin"),
    ],
)
async def test_odd_input_gets_a_sensible_reply(api: FakeBotAPI, bot, action, expected) -> None:
    """Unknown commands, stickers, photos, locations and chatter are answered."""
    user = api.user(508)
    send = {
        "command": lambda: user.send("/dance now"),
        "sticker": user.send_sticker,
        "photo": user.send_photo,
        "location": user.send_location,
        "chatter": lambda: user.send("hello there"),
    }[action]
    await send()
    await user.expect(expected)


async def test_edited_message_is_not_taken_as_answer(api: FakeBotAPI, bot) -> None:
    """Edits get an explanation; the draft does not move."""
    user = api.user(509)
    await onboard(user)
    await user.send("/checkin")
    await user.expect("finish")
    sent = await user.send("20")
    await user.expect("kind of session")
    await user.edit(sent["message"]["message_id"], "45")
    await user.expect("edited messages")
    draft = await svc(bot).store.state(509, "draft")
    assert draft["step"] == 1


async def test_an_edited_command_does_not_run_again(api: FakeBotAPI, bot) -> None:
    """Editing a sent /help into /forget (or editing /checkin) runs nothing."""
    user = api.user(511)
    await onboard(user)
    sent = await user.send("/help")
    await user.expect("/checkin")
    await user.edit(sent["message"]["message_id"], "/forget")
    await user.expect("edited messages")
    sent = await user.send("/checkin")
    await user.expect("finish")
    await user.edit(sent["message"]["message_id"], "/checkin")
    await user.expect("edited messages")
    await user.send("/privacy")
    await user.expect("store")
    texts = [e.text or "" for e in user.events]
    assert not [t for t in texts if "erase" in t.lower() and "sure" in t.lower()]
    assert sum("When did your session finish" in t for t in texts) == 1


async def test_cancel_drops_the_draft(api: FakeBotAPI, bot) -> None:
    """/cancel mid check-in saves nothing."""
    user = api.user(510)
    await onboard(user)
    await user.send("/checkin")
    await user.expect("finish")
    await user.press("Just now")
    await user.expect("kind of session")
    await user.send("/cancel")
    await user.expect("Cancelled")
    assert await svc(bot).store.state(510, "draft") is None
    assert await svc(bot).store.checkins(510) == []
    await user.send("/cancel")
    await user.expect("Nothing to cancel")


async def test_command_menu_is_registered(api: FakeBotAPI, bot) -> None:
    """setMyCommands runs at start-up per scope: athletes privately, members and admins in
    groups (the team commands are visible where they work)."""
    menus = {
        (call.get("scope") or {"type": "default"})["type"]: {c["command"] for c in call["commands"]}
        for call in api.calls_of("setMyCommands")
    }
    assert {"checkin", "start", "help", "cancel"} <= menus["all_private_chats"]
    assert menus["default"] == menus["all_private_chats"]
    assert menus["all_group_chats"] == {"join", "help"}
    assert {"team", "session", "report", "coach", "channel", "join"} <= menus[
        "all_chat_administrators"
    ]
    assert "checkin" not in menus["all_group_chats"] | menus["all_chat_administrators"]


async def test_help_in_a_group_explains_the_team(api: FakeBotAPI, bot) -> None:
    group = api.group(-1002, "Harriers")
    await group.send(api.user(512), "/help@HeavyLegsTestBot")
    text = (await group.expect("/session")).text
    assert "/join" in text
    assert "/report" in text


async def test_group_commands_point_to_private_chat(api: FakeBotAPI, bot) -> None:
    """In a group, check-in commands send people to a private chat."""
    group = api.group(-1001, "Harriers")
    user = api.user(511)
    await group.send(user, "/checkin@HeavyLegsTestBot")
    await group.expect("private")


async def test_typed_finish_time_is_read_in_the_athletes_zone(api: FakeBotAPI, bot, clock) -> None:
    """'HH:MM' typed by an athlete in Tokyo means Tokyo time, stored as UTC."""
    user = api.user(512)
    await onboard(user, zone_label="Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")
    typed = (clock.now() - timedelta(minutes=30)).astimezone(tokyo).strftime("%H:%M")
    await user.send("/checkin")
    await user.expect("finish")
    await user.send(typed)
    await user.expect("kind of session")
    finished = datetime.fromisoformat(
        (await svc(bot).store.state(512, "draft"))["answers"]["finished_at"]
    )
    assert finished.utcoffset() == timedelta(0)
    assert finished.astimezone(tokyo).strftime("%H:%M") == typed


async def test_back_corrects_a_mis_tap_and_stale_back_buttons_do_nothing(
    api: FakeBotAPI, bot
) -> None:
    """◀ Back on every question after the first re-asks the previous one in place."""
    user = api.user(531)
    await onboard(user)
    await user.send("/checkin")
    first = await user.expect("When did your session finish")
    assert not offers(first, "Back")
    await user.press("Just now")
    await user.expect("kind of session")
    await user.press("Intervals")
    await user.expect("How long")
    await user.press("60 min")
    effort = await user.expect("How hard")
    await user.press("9")  # meant 7
    heavy = await user.expect("How heavy")
    assert offers(heavy, "Back")
    await user.press("◀ Back")
    again = await user.expect("How hard")
    assert again.message_id == heavy.message_id  # edited in place, no new message
    draft = await svc(bot).store.state(531, "draft")
    assert "rpe" not in draft["answers"]
    assert draft["answers"]["duration_min"] == 60
    await user.press("7")
    await user.expect("How heavy")
    await user.press_data(f"q|{draft['id']}|3|b", message_id=effort.message_id)  # old Back
    assert "earlier question" in (await user.expect(kind="callback_answer")).text
    for label, next_question in (
        ("6", "motivated"),
        ("3", "breathing"),
        ("No", "joint pain"),
        ("Neither", "sleep"),
        ("8 h", "3:1 carb"),
    ):
        await user.press(label)
        await user.expect(next_question)
    [record] = await svc(bot).store.checkins(531)
    assert record["rpe"] == 7


async def test_back_never_returns_to_prefilled_or_consent_given_before(
    api: FakeBotAPI, bot
) -> None:
    """The first question asked has no Back, even when earlier ones were prefilled."""
    user = api.user(532)
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("I agree")
    zone_question = await user.expect("time zone")
    assert not offers(zone_question, "Back")  # consent was the stateless first step
    await user.press("UTC")
    bedtime = await user.expect("go to bed")
    assert offers(bedtime, "Back")
    await user.press("◀ Back")
    await user.expect("time zone")
    await user.send("Madrid")
    assert (await user.expect("go to bed")).text.startswith("✓ Time zone: Europe/Madrid")
    await user.press("22:30")
    assert "Europe/Madrid" in (await user.expect("All set")).text


async def test_a_known_athlete_gets_a_short_menu_and_is_not_asked_again(
    api: FakeBotAPI, bot
) -> None:
    """/start again shows a short menu; re-consenting asks only for consent."""
    user = api.user(533)
    await onboard(user)
    await user.send("/start")
    menu = await user.expect("Welcome back")
    assert "Europe/Berlin" in menu.text
    assert "22:30" in menu.text
    assert not menu.buttons
    await withdraw(user)
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("I agree")
    done = await user.expect("All set")
    assert "Europe/Berlin" in done.text
    assert not [e for e in user.events[-3:] if "time zone?" in (e.text or "")]


def _to_local_noon(clock: Clock, zone: ZoneInfo) -> None:
    """Move the clock to the next 12:00 in `zone`."""
    local = clock.now().astimezone(zone)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    clock.advance((noon if noon > local else noon + timedelta(days=1)) - local)


async def test_typed_answers_are_confirmed_with_the_day_and_evening_bedtimes(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A bare bedtime hour is the evening; a finish time later than now is yesterday's and
    says so; the typed last answer is confirmed too."""
    _to_local_noon(clock, ZoneInfo("Europe/Berlin"))
    user = api.user(534)
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("I agree")
    await user.expect("time zone")
    await user.send("Berlin")
    await user.expect("go to bed")
    await user.send("10")
    assert "Bedtime: 22:00" in (await user.expect("All set")).text
    await user.send("/checkin")
    await user.expect("When did your session finish")
    await user.send("18:40")
    assert (await user.expect("kind of session")).text.startswith("✓ Finished: yesterday 18:40")
    for label, after in (
        ("Easy / recovery", "How long"),
        ("30 min", "How hard"),
        ("2", "How heavy"),
        ("2", "motivated"),
        ("4", "breathing"),
        ("No", "joint pain"),
        ("Neither", "sleep"),
    ):
        await user.press(label)
        await user.expect(after)
    await user.send("8")
    await user.expect("✓ Sleep: 8 h")
    await user.expect(REPLY)


async def test_a_check_in_left_for_hours_expires_and_other_flows_say_they_replace_it(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """'Right now' answers go stale: after 6 h the draft is dropped with a word; a settings
    question asked meanwhile says it replaces the check-in."""
    user = api.user(535)
    await onboard(user)
    await user.send("/checkin")
    await user.expect("When did your session finish")
    await user.press("Just now")
    await user.expect("kind of session")
    clock.advance(timedelta(hours=7))
    await user.press("Intervals")
    await user.expect("has expired")
    assert not (await user.expect(kind="callback_answer")).text  # one explanation, not two
    assert await svc(bot).store.state(535, "draft") is None
    await user.send("/checkin")
    assert "(1/9)" in (await user.expect("When did your session finish")).text
    await user.send("/settings")
    await user.expect("Your settings")
    await user.press_data("set|bed")
    assert "replaces your unfinished check-in" in (await user.expect("go to bed")).text
    await user.press("22:30")
    await user.expect("Saved")
    await user.send("/checkin")
    await user.expect("When did your session finish")
    clock.advance(timedelta(hours=7))
    await user.send("20")  # typed, to a question gone stale
    await user.expect("has expired")
    await user.send("/help")
    await user.expect("what I can do")
    pointer = "After training, send /checkin and I'll take it from there"
    assert not [e for e in user.events if pointer in (e.text or "")]  # one explanation
