"""End to end: reminders fire on the injected clock, stop when asked, and survive restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.fakeapi import FakeBotAPI, FakeUser
from bot.shell.clock import Clock
from rules.catalogue import EVENING_FROM
from rules.reminders import ReminderKind
from tests.conftest import REPLY, eventually, onboard, svc
from tests.test_e2e_checkin import answer_all

HEAVY = ["Just now", "Intervals", "60 min", "8", "8", "2", "Yes", "Neither", "7 h"]
LIGHT = ["Just now", "Easy", "30 min", "2", "2", "4", "No", "Neither", "8 h"]


async def checked_in(user: FakeUser, answers: list[str] = HEAVY) -> None:
    """Onboard and finish one check-in."""
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, answers)
    await user.expect(REPLY)


async def statuses(app, uid: int) -> dict[str, str]:
    """kind -> status of the athlete's reminders (not the outbox record of the guidance reply)."""
    records = await svc(app).store.reminders(uid)
    return {r["kind"]: r["status"] for r in records if r["kind"] != ReminderKind.REPLY}


async def advance_to(clock: Clock, app, uid: int, kind: str) -> None:
    """Move the clock just past the due time of the athlete's reminder of `kind`."""
    [due] = [r["due_at"] for r in await svc(app).store.reminders(uid) if r["kind"] == kind]
    clock.advance(datetime.fromisoformat(due) - clock.now() + timedelta(seconds=1))


async def test_nutrition_reminders_fire_in_window_and_already_ate_stops_them(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Window opens at +30 min with a reminder; 'Already ate' cancels the last call."""
    user = api.user(601)
    await checked_in(user)
    assert (await statuses(bot, 601))["nutrition_open"] == "pending"
    clock.advance(timedelta(minutes=30, seconds=1))
    reminder = await user.expect("Refuel time")
    assert ("✅ Already ate", f"ate|{reminder.buttons[0][0][1].split('|')[1]}") in user.buttons()
    await user.press("Already ate")
    await user.expect("Logged", kind="callback_answer")
    clock.advance(timedelta(minutes=25))
    await user.send("/help")
    await user.expect("what I can do")
    assert not [e for e in user.events if "Last call" in (e.text or "")]
    assert await statuses(bot, 601) | {"bedtime": "-", "followup": "-"} == {
        "nutrition_open": "sent",
        "nutrition_last_call": "cancelled",
        "bedtime": "-",
        "followup": "-",
    }
    [record] = await svc(bot).store.checkins(601)
    assert record["refuelled_at"]


async def test_last_call_fires_and_nothing_after_window(api: FakeBotAPI, bot, clock: Clock) -> None:
    """Without 'Already ate' the last call comes at +50 min, then nothing more."""
    user = api.user(602)
    await checked_in(user)
    clock.advance(timedelta(minutes=30, seconds=1))
    await api.expect_only(user, "Refuel time")  # once, and nothing else
    clock.advance(timedelta(minutes=20))
    await api.expect_only(user, "Last call")
    clock.advance(timedelta(minutes=20))
    await user.send("/help")
    await user.expect("what I can do")
    refuels = [e for e in user.events if "3:1 carb" in (e.text or "") and e.kind == "message"]
    assert len(refuels) == 3  # the reply, the opening reminder and the last call

    async def both_sent() -> bool:  # the "sent" mark follows Telegram's answer
        status = await statuses(bot, 602)
        return status["nutrition_open"] == status["nutrition_last_call"] == "sent"

    await eventually(both_sent)


async def test_bedtime_reminder_in_athlete_zone(api: FakeBotAPI, bot, clock: Clock) -> None:
    """A wind-down reminder arrives 30 min before the athlete's local bedtime."""
    user = api.user(603)
    await checked_in(user, LIGHT)
    [bed] = [r for r in await svc(bot).store.reminders(603) if r["kind"] == "bedtime"]
    local_bed = datetime.fromisoformat(bed["expires_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert local_bed.strftime("%H:%M") == "22:30"
    await advance_to(clock, bot, 603, "bedtime")
    message = await user.expect("wind down")
    assert "growth hormone" in message.text


async def test_followup_after_48h_feeds_the_red_flag_rule(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Very heavy legs -> a 48 h follow-up; still heavy with joint pain -> caution advice."""
    user = api.user(604)
    await checked_in(user)
    await advance_to(clock, bot, 604, "followup")
    await user.expect("still heavy")
    await user.press("Answer: 2 questions")
    await user.expect("How heavy")
    await user.press("8")
    await user.expect("joint pain")
    await user.press("Joint pain")
    advice = await user.expect("Skip hard training")
    evening = clock.now().astimezone(ZoneInfo("Europe/Berlin")).hour >= EVENING_FROM
    day = "tomorrow" if evening else "today"  # the test runs at the real time of day
    assert advice.text.startswith(f"Skip hard training {day}: your legs have stayed heavy for 2+")
    assert "compromised" in advice.text
    assert "physio or sports doctor" in advice.text
    kinds = [r["kind"] for r in await svc(bot).store.checkins(604)]
    assert kinds == ["checkin", "followup"]
    # reminders whose moment passed while time jumped were dropped, not sent late
    status = await statuses(bot, 604)
    assert status["nutrition_last_call"] == "dropped"
    assert status["followup"] == "sent"
    assert not [e for e in user.events if "Last call" in (e.text or "")]


async def test_restart_restores_reminders_and_resumes_checkin(
    api: FakeBotAPI, bot_factory, clock: Clock
) -> None:
    """After a restart pending reminders still fire and a half-done check-in continues."""
    done, halfway = api.user(605), api.user(606)
    async with bot_factory():
        await checked_in(done)
        await onboard(halfway)
        await halfway.send("/checkin")
        await answer_all(halfway, HEAVY[:3])
        await halfway.expect("How hard")
    async with bot_factory() as app:
        await halfway.press("6")
        await answer_all(halfway, HEAVY[4:])
        await halfway.expect(REPLY)
        assert len(await svc(app).store.checkins(606)) == 1
        clock.advance(timedelta(minutes=30, seconds=1))
        await done.expect("Refuel time")
        await halfway.expect("Refuel time")


async def test_reminder_missed_while_down_is_dropped(api: FakeBotAPI, bot_factory, clock) -> None:
    """A nutrition reminder whose window closed during downtime is never sent late."""
    user = api.user(607)
    async with bot_factory():
        await checked_in(user)
    clock.advance(timedelta(minutes=70))
    async with bot_factory() as app:
        await user.send("/help")
        await user.expect("what I can do")
        await eventually(lambda: _dropped(app, 607))
        assert (await statuses(app, 607))["bedtime"] == "pending"
    assert not [e for e in user.events if "Refuel time" in (e.text or "")]


async def test_blocked_athlete_is_marked_inactive(api: FakeBotAPI, bot, clock: Clock) -> None:
    """403 from Telegram stops that athlete's reminders instead of retrying forever."""
    user = api.user(608)
    await checked_in(user)
    api.blocked_users.add(608)
    clock.advance(timedelta(minutes=30, seconds=1))
    await eventually(lambda: _inactive(bot, 608))
    await eventually(lambda: _dropped(bot, 608))  # the profile is written first, then these
    assert set((await statuses(bot, 608)).values()) == {"dropped"}


async def _dropped(app, uid: int) -> bool:
    """Both nutrition reminders were dropped."""
    status = await statuses(app, uid)
    return status["nutrition_open"] == status["nutrition_last_call"] == "dropped"


async def _inactive(app, uid: int) -> bool:
    """The athlete is marked inactive."""
    return (await svc(app).store.profile(uid)).get("active") is False


async def test_blocking_the_bot_marks_athlete_inactive_at_once(api: FakeBotAPI, bot) -> None:
    """Telegram's my_chat_member 'kicked' in a private chat stops messages before any 403."""
    user = api.user(609)
    await checked_in(user)
    api.blocked_users.add(609)
    api.set_bot_status(609, "kicked", by=user)
    await eventually(lambda: _inactive(bot, 609))
    api.blocked_users.discard(609)
    api.set_bot_status(609, "member", by=user)
    await eventually(lambda: _active(bot, 609))


async def test_block_from_a_stranger_stores_nothing(api: FakeBotAPI, bot, data_dir) -> None:
    """Someone who never consented blocks the bot: no file is created for them."""
    stranger = api.user(610)
    api.set_bot_status(610, "kicked", by=stranger)
    await stranger.send("/help")
    await stranger.expect("what I can do")
    assert not any("610" in p.name for p in data_dir.rglob("*"))


async def _active(app, uid: int) -> bool:
    """The athlete is marked active."""
    return (await svc(app).store.profile(uid)).get("active") is True


async def test_already_ate_after_the_window_says_it_counts_as_late(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A tap after the 60-minute window is logged as /history will count it: late."""
    user = api.user(603)
    await checked_in(user)
    reply = next(e for e in user.events if REPLY in (e.text or ""))
    clock.advance(timedelta(minutes=61))
    await user.press("Already ate", message_id=reply.message_id)
    answer = await user.expect("Logged", kind="callback_answer")
    assert "counts this refuel as late" in answer.text
    assert "nice" not in answer.text
