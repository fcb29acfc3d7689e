"""End to end: /history with its chart, /settings moving reminders, snooze, morning check-in."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.image import imread

from bot.fakeapi import FakeBotAPI, FakeUser
from bot.fakeapi.state import BotEvent
from bot.shell.clock import Clock
from tests.conftest import REPLY, consent_again, eventually, onboard, svc, withdraw
from tests.test_e2e_checkin import answer_all
from tests.test_e2e_reminders import HEAVY, LIGHT, advance_to, checked_in, statuses

BERLIN = ZoneInfo("Europe/Berlin")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def change_setting(user: FakeUser, action: str, prompt: str, choice: str) -> BotEvent:
    """Open /settings, tap one setting, answer its question; return the 'Saved' message."""
    await user.send("/settings")
    await user.expect("Your settings")
    await user.press_data(f"set|{action}")
    await user.expect(prompt)
    await user.press(choice)
    return await user.expect("Saved")


def assert_real_png(data: bytes) -> None:
    """A valid PNG of a sensible size whose pixels are not all the same."""
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (800, 450)
    assert len(data) > 10_000
    pixels = imread(io.BytesIO(data))[..., :3]
    assert float(np.var(pixels)) > 0.001
    assert float(np.mean(pixels.min(axis=2) < 0.9)) > 0.02  # well over 2 % of pixels not white


async def test_history_is_useful_from_the_first_checkin(api: FakeBotAPI, bot) -> None:
    """None yet: where to start. One check-in: plain sentences, the check-in, a week's chart."""
    user = api.user(701)
    await onboard(user)
    await user.send("/history")
    await user.expect("No check-ins yet")
    await user.send("/checkin")
    await answer_all(user, LIGHT)
    await user.expect(REPLY)
    await user.send("/history")
    text = (await user.expect("Your recovery so far")).text
    assert "1 check-in since" in text
    assert "haven't felt heavy after any of your 1 session." in text
    assert "Easy / recovery 30 min · effort 2/10 · legs 2/10 (fresh)" in text
    assert "AU" not in text
    assert "z =" not in text
    photo = await user.expect(kind="photo")
    assert_real_png(photo.data)


async def test_a_repeated_chart_is_sent_by_file_id_and_uploaded_again_when_unknown(
    api: FakeBotAPI, bot
) -> None:
    """Nothing changed: the same picture goes by Telegram's file_id (no drawing, no upload); a
    file_id Telegram no longer knows is not an error: the chart is drawn and uploaded again."""
    user = api.user(705)
    await checked_in(user, LIGHT)
    first, again, after_loss = [], [], []
    for sent in (first, again, after_loss):
        if sent is after_loss:
            api.world.files.clear()  # Telegram forgot the upload
        await user.send("/history")
        await user.expect("Your recovery so far")
        sent.append(await user.expect(kind="photo"))
    photos = [p["photo"] for p in api.calls_of("sendPhoto")]
    assert not isinstance(photos[0], str)
    assert photos[1] == first[0].raw["photo"][-1]["file_id"]
    assert photos[2] == photos[1]  # tried by file_id, refused, then uploaded
    assert not isinstance(photos[3], str)
    for photo in (*first, *again, *after_loss):
        assert_real_png(photo.data)
    assert again[0].data == first[0].data


async def test_history_lists_checkins_and_sends_a_chart(api: FakeBotAPI, bot, clock: Clock) -> None:
    """Two sessions a day apart: sentences first, the list in time order, a real PNG chart
    since the first day, and the numbers with their definitions behind a button."""
    user = api.user(702)
    await checked_in(user)
    await user.press("Already ate")
    await user.expect("Logged", kind="callback_answer")
    clock.advance(timedelta(days=1))
    await user.send("/checkin")
    await answer_all(user, LIGHT)
    await user.expect(REPLY)
    await user.send("/history")
    early = (await user.expect("Your recovery so far")).text
    assert "refuel missed" not in early  # its window is still open: not missed yet
    assert "refuelled in time on your last session: yes" in early
    await user.expect(kind="photo")
    clock.advance(timedelta(minutes=61))
    await user.send("/history")
    message = await user.expect("Your recovery so far")
    text = message.text
    assert "2 check-ins since" in text
    assert "Legs felt heavy after 1 of your 2 sessions" in text
    assert "refuelled in time on 1 of your last 2 sessions" in text
    hard = "Intervals / sprints 60 min · effort 8/10 · legs 8/10 (very heavy) · refuelled ✅"
    easy = "Easy / recovery 30 min · effort 2/10 · legs 2/10 (fresh) · refuel missed"
    assert text.index(hard) < text.index(easy)
    photo = await user.expect(kind="photo")
    assert "since" in photo.text
    assert_real_png(photo.data)
    await user.press("numbers behind this", message_id=message.message_id)
    numbers = (await user.expect("Training load")).text
    assert "last 7 days: 540 AU" in numbers
    assert "acute:chronic ratio (7 / 28 days): not enough data yet" in numbers
    assert "beyond the article" in numbers


async def test_bedtime_change_moves_the_pending_reminder(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A new bedtime in /settings moves tonight's wind-down reminder at once."""
    user = api.user(703)
    await checked_in(user, LIGHT)
    [before] = [r for r in await svc(bot).store.reminders(703) if r["kind"] == "bedtime"]
    saved = await change_setting(user, "bed", "go to bed", "23:30")
    assert "Bedtime: 23:30" in saved.text
    [after] = [r for r in await svc(bot).store.reminders(703) if r["kind"] == "bedtime"]
    assert after["id"] == before["id"]
    assert after["status"] == "pending"
    due = datetime.fromisoformat(after["due_at"]).astimezone(BERLIN)
    assert due.strftime("%H:%M") == "23:00"
    assert "23:30" in after["text"]
    old_due = datetime.fromisoformat(before["due_at"])
    clock.advance(old_due - clock.now() + timedelta(seconds=1))
    await user.send("/help")
    await user.expect("what I can do")
    assert not [e for e in user.events if "time to wind down" in (e.text or "")]
    await advance_to(clock, bot, 703, "bedtime")
    assert "23:30" in (await user.expect("wind down")).text


async def test_time_zone_change_and_toggles_apply_to_planned_reminders(
    api: FakeBotAPI, bot
) -> None:
    """A new zone re-times the bedtime reminder; switching refuel reminders off and on."""
    user = api.user(704)
    await checked_in(user)
    await change_setting(user, "tz", "time zone", "Tokyo")
    [bed] = [r for r in await svc(bot).store.reminders(704) if r["kind"] == "bedtime"]
    local = datetime.fromisoformat(bed["expires_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") == "22:30"
    await user.press_data("set|toggle:nutrition")
    await user.expect("Refuel reminders: off", kind="callback_answer")
    edited = await user.expect("Your settings", kind="edit")
    assert "refuel reminders off" in edited.text
    status = await statuses(bot, 704)
    assert status["nutrition_open"] == status["nutrition_last_call"] == "cancelled"
    await user.press_data("set|toggle:nutrition")
    await user.expect("Refuel reminders: on", kind="callback_answer")
    status = await statuses(bot, 704)
    assert status["nutrition_open"] == status["nutrition_last_call"] == "pending"


async def test_snooze_sends_the_reminder_again_in_15_minutes(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """'In 15 min' re-sends a reminder; one that would then be too late can't be snoozed."""
    user = api.user(705)
    await checked_in(user)
    clock.advance(timedelta(minutes=30, seconds=1))
    await user.expect("Refuel time")

    async def marked_sent() -> bool:  # a human taps long after the "sent" mark is written
        return (await statuses(bot, 705))["nutrition_open"] == "sent"

    await eventually(marked_sent)
    [opening_id] = [
        r["id"] for r in await svc(bot).store.reminders(705) if r["kind"] == "nutrition_open"
    ]
    await user.press("In 15 min")
    answer = await user.expect("remind you again at", kind="callback_answer")
    assert ":" in answer.text
    clock.advance(timedelta(minutes=15))
    again = await user.expect("Refuel time", kind="message")  # 15 min before the window closes
    assert [label for row in again.buttons for label, _ in row] == ["✅ Already ate"]
    clock.advance(timedelta(minutes=5))
    last_call = await user.expect("Last call")
    assert [label for row in last_call.buttons for label, _ in row] == ["✅ Already ate"]
    await user.press_data(f"snz|{opening_id}", message_id=last_call.message_id)  # an old client
    await user.expect("too late to help", kind="callback_answer")
    [opening] = [r for r in await svc(bot).store.reminders(705) if r["kind"] == "nutrition_open"]
    assert opening["snoozes"] == 1
    assert opening["status"] == "sent"


async def test_morning_checkin_is_off_by_default_then_daily_in_zone(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Switched on in /settings: asked at 07:00 Berlin time, answered in 5 taps, renewed."""
    user = api.user(706)
    await onboard(user)
    assert await svc(bot).store.reminders(706) == []
    await user.send("/settings")
    assert "Morning check-in: off" in (await user.expect("Your settings")).text
    await change_setting(user, "ready", "morning check-in", "07:00")
    [ready] = await svc(bot).store.reminders(706)
    due = datetime.fromisoformat(ready["due_at"])
    assert due.astimezone(BERLIN).strftime("%H:%M") == "07:00"
    await advance_to(clock, bot, 706, "readiness")
    await user.expect("Good morning")
    await user.press("Answer: 5 questions")
    for score in ("4", "3", "2", "3", "3"):
        await user.expect(kind="reply")
        await user.press(score)
    assert "15/25" in (await user.expect("Readiness today")).text
    [stored] = await svc(bot).store.checkins(706)
    assert stored["kind"] == "readiness"
    assert (stored["fatigue"], stored["soreness"], stored["mood"]) == (4, 2, 3)
    nxt = [r for r in await svc(bot).store.reminders(706) if r["status"] == "pending"]
    assert [datetime.fromisoformat(r["due_at"]) - due for r in nxt] == [timedelta(days=1)]


async def test_withdrawing_consent_in_settings_stops_storing_and_reminders(
    api: FakeBotAPI, bot
) -> None:
    """After withdrawal pending reminders stop and a new check-in needs consent again."""
    user = api.user(707)
    await checked_in(user, HEAVY)
    await withdraw(user)
    assert set((await statuses(bot, 707)).values()) == {"cancelled"}
    assert (await svc(bot).store.profile(707))["consent"] is False
    await user.send("/checkin")
    await user.expect("set-up")
    await user.expect("OK to store")
    assert len(await svc(bot).store.checkins(707)) == 1


async def test_forged_settings_and_snooze_buttons_are_answered(api: FakeBotAPI, bot) -> None:
    """Unknown settings actions, unknown reminders, and settings before /start: no crash."""
    stranger = api.user(708)
    await stranger.send("/settings")
    await stranger.expect("send /start first")
    await stranger.press_data("set|tz")
    await stranger.expect("send /start first", kind="callback_answer")
    await stranger.send("/history")
    await stranger.expect("No check-ins yet")
    assert await svc(bot).store.profile(708) is None
    user = api.user(709)
    await onboard(user)
    for data in ("set|toggle:evil", "set|bogus", "snz|abcdef0123", "snz|XYZ"):
        await user.press_data(data)
        assert (await user.expect(kind="callback_answer")).text
    assert (await svc(bot).store.profile(709)).get("reminders_off") is None
    assert not [e for e in user.events if "went wrong" in (e.text or "")]


async def test_after_withdrawal_old_buttons_store_nothing_and_rearm_nothing(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """The follow-up's Answer and a reminder's snooze, tapped after withdrawal, do nothing."""
    user = api.user(709)
    await checked_in(user, HEAVY)
    await advance_to(clock, bot, 709, "followup")
    followup = await user.expect("still heavy")
    clock.advance(timedelta(minutes=1))
    await withdraw(user)
    await user.press("Answer: 2 questions", message_id=followup.message_id)
    await user.expect("withdrawn consent", kind="callback_answer")
    await user.press("In 15 min", message_id=followup.message_id)
    await user.expect("withdrawn consent", kind="callback_answer")
    assert await svc(bot).store.state(709, "draft") is None
    assert "pending" not in (await statuses(bot, 709)).values()
    clock.advance(timedelta(minutes=20))
    await user.send("/help")
    await user.expect("what I can do")
    sent = [e for e in user.events if e.kind == "message" and "still heavy" in (e.text or "")]
    assert len(sent) == 1  # the snooze re-armed nothing


async def test_after_withdrawal_already_ate_and_old_consent_buttons_store_nothing(
    api: FakeBotAPI, bot
) -> None:
    user = api.user(710)
    await checked_in(user, HEAVY)
    reply = [e for e in user.events if e.kind == "message" and REPLY in (e.text or "")][-1]
    await withdraw(user)
    await user.press("Already ate", message_id=reply.message_id)
    await user.expect("withdrawn consent", kind="callback_answer")
    [record] = await svc(bot).store.checkins(710)
    assert record["refuelled_at"] is None
    await user.press_data("c|n")  # a consent question from long ago: nothing changes
    await user.expect("consent stays withdrawn")
    assert (await svc(bot).store.profile(710))["consent"] is False
    await user.press_data("c|y|")  # agreeing on it asks nothing already stored
    await user.expect("All set")
    assert (await svc(bot).store.profile(710))["consent"] is True


async def test_morning_checkin_tapped_after_withdrawal_asks_it_after_setup(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Set-up started from the morning check-in's button continues with its five questions."""
    user = api.user(711)
    await onboard(user)
    await user.send("/settings")
    await user.expect("Your settings")
    await change_setting(user, "ready", "morning check-in", "07:00")
    await advance_to(clock, bot, 711, "readiness")
    morning = await user.expect("Good morning")
    await withdraw(user)
    await user.press("Answer: 5 questions", message_id=morning.message_id)
    await consent_again(user)
    await user.expect("Fatigue, 1–5?")


async def test_quiet_hours_over_bedtime_bring_the_wind_down_forward_and_say_so(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Quiet 22:00–07:00 with bedtime 22:30: the wind-down comes at 21:55, settings list it in
    words; quiet hours from 21:00 leave no moment for it, and the settings warn."""
    user = api.user(712)
    await checked_in(user)  # bedtime 22:30 Berlin
    saved = await change_setting(user, "quiet", "Quiet hours", "22:00–07:00")
    assert "wind-down before bed" in saved.text
    assert "21:55" in saved.text
    assert "can't send it" not in saved.text
    [wind_down] = [r for r in await svc(bot).store.reminders(712) if r["kind"] == "bedtime"]
    assert datetime.fromisoformat(wind_down["due_at"]).astimezone(BERLIN).strftime("%H:%M") == (
        "21:55"
    )
    saved = await change_setting(user, "quiet", "Quiet hours", "21:00–06:00")
    assert "can't send it" in saved.text
    assert "wind-down" not in saved.text.split("\n\n")[0]
