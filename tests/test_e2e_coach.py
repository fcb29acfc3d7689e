"""End to end: coaches' teams in groups and channels, session prompts, summaries and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.athletes import service
from bot.fakeapi import FakeBotAPI, FakeGroup, FakeUser
from bot.shell.clock import Clock
from bot.storage import Store
from testkit.store import direct_store
from tests.conftest import REPLY, consent_again, eventually, onboard, svc, withdraw
from tests.test_e2e_checkin import answer_all
from tests.test_e2e_reminders import advance_to

GROUP = -1001234
AFTER_PROMPT = ["Intervals", "8", "8", "2", "Yes", "Neither", "7 h"]  # finish + length prefilled


async def set_up_team(api: FakeBotAPI, coach: FakeUser, group: FakeGroup) -> str:
    """The coach (an admin) creates the team; returns the join link's /start payload."""
    api.set_chat_member(group.chat_id, coach.id, "administrator")
    await group.send(coach, "/team")
    ready = await group.expect("is ready")
    [[button]] = ready.raw["reply_markup"]["inline_keyboard"]
    assert button["url"].startswith(f"https://t.me/{api.bot_user['username']}?start=")
    payload = button["url"].split("start=", 1)[1]
    assert len(payload) <= 64
    return payload


async def join(user: FakeUser, payload: str, *, new: bool = True) -> None:
    """Open the join link (set-up first when new), read what is shared, agree."""
    await user.send(f"/start {payload}")
    if new:
        await user.expect("invited you")
        await user.expect("OK to store")
        await user.press("I agree")
        await user.expect("time zone")
        await user.press("UTC")
        await user.expect("go to bed")
        await user.press("22:30")
        await user.expect("All set")
    await user.expect("your coaches will see")
    await user.press("Join and share")
    await user.expect("You're in")


async def schedule_soon(group: FakeGroup, coach: FakeUser, clock: Clock) -> datetime:
    """Schedule a 60-minute one-off session starting in an hour (UTC team); return its end."""
    start = (clock.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    await group.send(coach, f"/session {start:%Y-%m-%d %H:%M} 60")
    await group.expect("Scheduled")
    return start + timedelta(minutes=60)


async def member_of_new_team(
    api: FakeBotAPI, clock: Clock, coach_id: int, athlete_id: int
) -> FakeUser:
    """Ana, the one member of a new team, just after its first session ended."""
    group, coach = api.group(GROUP, "Harriers"), api.user(coach_id, "Kim")
    payload = await set_up_team(api, coach, group)
    ana = api.user(athlete_id, "Ana")
    await join(ana, payload)
    jump_to(clock, await schedule_soon(group, coach, clock))
    return ana


def jump_to(clock: Clock, moment: datetime) -> None:
    """Move the clock just past `moment`."""
    clock.advance(moment - clock.now() + timedelta(seconds=1))


async def test_only_admins_set_up_and_anonymous_admins_count(api: FakeBotAPI, bot) -> None:
    """A member is politely refused; an anonymous admin (the group itself) may set up."""
    group = api.group(GROUP, "Harriers")
    member = api.user(11, "Mia")
    await group.send(member, "/team")
    await group.expect("only the group's admins can set up the team")
    assert await svc(bot).store.teams.get(GROUP) is None
    await group.send(member, "/session mon 18:00 90")
    await group.expect("only the group's admins can schedule sessions")
    await group.send_anonymous("/team Europe/Madrid")
    ready = await group.expect("is ready")
    assert "Europe/Madrid" in ready.text
    assert "anonymously" in ready.text
    team = await svc(bot).store.teams.get(GROUP)
    assert (team["title"], team["coaches"], team["active"]) == ("Harriers", {}, True)
    await group.send_anonymous("/session mon,wed 18:00 90")
    await group.expect("Scheduled: weekly mon,wed 18:00, 90 min")
    await group.send_anonymous("/session someday 18:00")
    usage = await group.expect("three parts")
    assert "/session mon,wed 18:00 90" in usage.text
    await group.send_anonymous("/session tue 25:00 90")
    await group.expect("not a time like 18:00")
    coach = api.user(12, "Coach Kim")
    api.set_chat_member(GROUP, coach.id, "administrator")
    await group.send(coach, "/coach")
    await group.expect("is a coach of this team")
    await coach.send("/team")
    await coach.expect("works in your team's group")


async def test_join_with_consent_duplicate_forged_and_leave(api: FakeBotAPI, bot) -> None:
    """New athletes set up first, see what is shared, join once; /leave revokes at once."""
    group, coach = api.group(GROUP, "Harriers"), api.user(21, "Kim")
    payload = await set_up_team(api, coach, group)
    ana = api.user(22, "Ana")
    await join(ana, payload)
    store = svc(bot).store
    team = await store.teams.get(GROUP)
    assert list(team["members"]) == ["22"]
    assert team["members"]["22"]["name"] == "Ana"
    assert str(GROUP) in (await store.profile(22))["teams"]
    await ana.send(f"/start {payload}")
    await ana.expect("already in")
    await ana.send(f"/start {payload[:-3]}xyz")
    await ana.expect("isn't valid")
    # a known athlete joins with one tap; declining shares nothing
    ben = api.user(23, "Ben")
    await onboard(ben)
    await ben.send(f"/start {payload}")
    await ben.expect("your coaches will see")
    await ben.press("Not now")
    await ben.expect("nothing is shared")
    assert "23" not in (await store.teams.get(GROUP))["members"]
    await ana.send("/leave")
    await ana.expect("no longer see anything")
    assert (await store.teams.get(GROUP))["members"] == {}
    assert (await store.profile(22))["teams"] == {}
    await ana.send("/leave")
    await ana.expect("not in any team")


async def test_session_end_prompts_reprompt_once_and_summary_has_no_individual_data(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Each member is prompted privately; one gentle re-prompt; the group gets totals only."""
    group, coach = api.group(GROUP, "Harriers"), api.user(31, "Kim")
    payload = await set_up_team(api, coach, group)
    athletes = [api.user(uid, name) for uid, name in ((32, "Ana"), (33, "Ben"), (34, "Cy"))]
    late = api.user(35, "Dee")
    for athlete in [*athletes, late]:
        await join(athlete, payload)
    end = await schedule_soon(group, coach, clock)
    jump_to(clock, end)
    for athlete in athletes:
        [prompt] = await api.expect_only(athlete, "done training? Check in")  # one prompt each
        assert prompt.buttons[0][0][0] == "✅ Check in"
        await athlete.press("Check in")
        first = await athlete.expect("(1/7) What kind of session")  # finish and length known
        assert first.kind == "message"
        await athlete.press("Intervals")
        await answer_all(athlete, AFTER_PROMPT[1:])
        await athlete.expect(REPLY)
    await late.expect("done training?")
    [record] = await svc(bot).store.checkins(32)
    assert (record["finished_at"], record["duration_min"]) == (end.isoformat(), 60)
    clock.advance(timedelta(hours=2))
    await late.expect("gentle nudge")
    clock.advance(timedelta(hours=1, minutes=5))
    summary = await group.expect("session of")
    assert "Checked in: 3 of 4" in summary.text
    assert "Leg heaviness: not shown" in summary.text  # all three heavy: a uniform cell
    assert "Session effort (RPE): not shown" in summary.text
    for name in ("Ana", "Ben", "Cy", "Dee", "Intervals"):
        assert name not in summary.text
    clock.advance(timedelta(hours=6))
    await late.send("/checkin")  # a private check-in after publishing changes nothing
    await answer_all(late, ["15 min ago", "Easy", "30 min", "1", "1", "4", "No", "Neither", "8 h"])
    await late.expect(REPLY)
    await group.send(coach, "/report")
    report = await group.expect("Checked in: 3 of 4")
    assert report.text == summary.text
    for athlete in athletes:
        assert not [e for e in athlete.events if "nudge" in (e.text or "")]
    assert len([e for e in late.events if "nudge" in (e.text or "")]) == 1
    for event in group.events:  # nothing about any individual ever reached the group
        assert not any(a.user["first_name"] in (event.text or "") for a in athletes)


async def test_coach_private_views_only_for_consenting_athletes_and_red_flag_alert(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """/roster and athlete views need consent; a 48 h red flag alerts current admins only."""
    group, coach = api.group(GROUP, "Harriers"), api.user(41, "Kim")
    payload = await set_up_team(api, coach, group)
    ex_coach = api.user(42, "Lee")
    api.set_chat_member(GROUP, ex_coach.id, "administrator")
    await group.send(ex_coach, "/coach")
    await group.expect("is a coach")
    ana, ben = api.user(43, "Ana"), api.user(44, "Ben")
    await join(ana, payload)
    await group.send(ben, "/join")
    await group.expect("Tap to join privately")
    await coach.send("/roster")
    roster = await coach.expect("Harriers")
    assert "Ana: joined" in roster.text
    assert "never opened a private chat" in roster.text
    assert "Ben" in roster.text.split("never opened")[1]
    await coach.press("📈 Ana")
    view = await coach.expect("Ana: latest check-ins")
    assert "No check-ins yet" in view.text
    # a forged view of someone who never joined is refused
    await onboard(ben)
    await coach.press_data(f"cv|{GROUP}|{ben.id}")
    refusal = await coach.expect("doesn't share", kind="callback_answer")
    assert refusal.raw.get("show_alert") in (True, "true")
    # heavy legs with joint pain, still so at 48 h: the red flag
    await ana.send("/checkin")
    await answer_all(
        ana, ["Just now", "Intervals", "60 min", "8", "9", "2", "Yes", "Joint pain", "7 h"]
    )
    first = await ana.expect("Go easy on hard training while you have joint pain")
    assert "I'll ask how it is on" in first.text
    api.set_chat_member(GROUP, ex_coach.id, "member")  # Lee lost admin rights meanwhile
    await advance_to(clock, bot, ana.id, "followup")
    await ana.expect("still heavy")
    await ana.press("Answer: 2 questions")
    await answer_all(ana, ["8", "Joint pain"])
    await ana.expect("compromised")
    alert = await coach.expect("Red flag for Ana (Harriers)")
    assert "persistent heaviness beyond 48 hours" in alert.text
    assert "joint pain" in alert.text
    await eventually(lambda: _settled(bot))
    assert not [e for e in ex_coach.events if "Red flag" in (e.text or "")]
    await coach.send("/roster")
    await coach.expect("Ana: joined")
    await coach.press("📈 Ana")
    view = await coach.expect("Ana: latest check-ins")
    assert "legs 9/10" in view.text
    assert "🚩 red flag" in view.text
    assert "Trend" in view.text
    await ex_coach.send("/roster")
    await ex_coach.expect("don't coach a team")
    assert "42" not in (await svc(bot).store.teams.get(GROUP))["coaches"]
    # after /leave the coach sees nothing more
    await ana.send("/leave")
    await ana.expect("no longer see")
    await coach.press_data(f"cv|{GROUP}|{ana.id}")
    await coach.expect("doesn't share", kind="callback_answer")


async def _settled(app) -> bool:
    """Every red-flag alert of the team has been sent or dropped."""
    team = await svc(app).store.teams.get(GROUP)
    alerts = [i for i in team["outbox"].values() if i["kind"] == "alert"]
    return bool(alerts) and all(i["status"] != "pending" for i in alerts)


async def test_channel_note_after_session(api: FakeBotAPI, bot, clock: Clock) -> None:
    """A linked channel gets a recovery note with a private check-in deep link."""
    group, coach = api.group(GROUP, "Harriers"), api.user(51, "Kim")
    await set_up_team(api, coach, group)
    channel = api.group(-100777, "Harriers News", type="channel", username="harriersnews")
    await group.send(coach, "/channel @nosuchchannel")
    await group.expect("can't find @nosuchchannel")
    await group.send(coach, "/channel @harriersnews")
    await group.expect("not an admin of that channel")
    api.set_chat_member(channel.chat_id, api.bot_user["id"], "administrator")
    await group.send(coach, "/channel @harriersnews")
    await group.expect("Only an admin of that channel")
    api.set_chat_member(channel.chat_id, coach.id, "creator")
    await group.send(coach, "/channel @harriersnews")
    await group.expect("Linked “Harriers News”")
    end = await schedule_soon(group, coach, clock)
    jump_to(clock, end)
    note = await channel.expect("session done")
    assert "3:1 carb-to-protein ratio within 30–60 minutes" in note.text
    [[button]] = note.raw["reply_markup"]["inline_keyboard"]
    assert button["url"].endswith("?start=checkin")
    reader = api.user(52, "Zoe")
    await reader.send("/start checkin")
    await reader.expect("First a 20-second set-up")
    api.set_chat_member(channel.chat_id, api.bot_user["id"], "left")  # demoted: posts get 403
    jump_to(clock, await schedule_soon(group, coach, clock))

    async def unlinked() -> bool:
        return (await svc(bot).store.teams.get(GROUP))["channel"] is None

    await eventually(unlinked)


async def test_bot_removed_pauses_team_without_losing_data(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Removal (my_chat_member) pauses prompts; members stay; re-adding resumes."""
    group, coach = api.group(GROUP, "Harriers"), api.user(61, "Kim")
    payload = await set_up_team(api, coach, group)
    ana = api.user(62, "Ana")
    await join(ana, payload)
    end = await schedule_soon(group, coach, clock)
    api.set_bot_status(GROUP, "left", by=coach)
    store = svc(bot).store

    async def paused() -> bool:
        return not (await store.teams.get(GROUP))["active"]

    await eventually(paused)
    jump_to(clock, end)
    await ana.send("/help")
    await ana.expect("what I can do")
    assert not [e for e in ana.events if "done training" in (e.text or "")]
    assert "62" in (await store.teams.get(GROUP))["members"]
    await ana.send(f"/start {payload}")
    await ana.expect("isn't valid")  # a paused team accepts no joins
    api.set_bot_status(GROUP, "member", by=coach)
    await eventually(lambda: _active(bot))
    await coach.send("/roster")
    await coach.expect("Ana: joined")


async def _active(app) -> bool:
    """The team is active again."""
    return bool((await svc(app).store.teams.get(GROUP))["active"])


async def test_added_to_group_without_team_gets_a_hint(api: FakeBotAPI, bot) -> None:
    """Being added to a group without a team gets a one-line hint."""
    group, coach = api.group(-1009, "Newbies"), api.user(71, "Kim")
    api.set_bot_status(group.chat_id, "member", by=coach)
    await group.expect("/team")
    assert await svc(bot).store.teams.get(-1009) is None


async def seed_team(store: Store, clock: Clock, size: int) -> datetime:
    """Store a team with `size` consenting members and a 10-minute session; return its end."""
    now = clock.now()
    start = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    session = {"id": "s1", "kind": "once", "date": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}"}
    team = {
        "id": GROUP,
        "title": "Big Squad",
        "tz": "UTC",
        "active": True,
        "code": "x" * 22,
        "processed_until": now.isoformat(),
        "created_at": now.isoformat(),
        "members": {},
        "invited": {},
        "coaches": {},
        "sessions": {"s1": session | {"duration": 10}},
        "outbox": {},
        "channel": None,
    }
    await store.teams.update(GROUP, lambda doc: doc.update(team))
    await store.teams.wake(GROUP, now)
    for uid in range(1000, 1000 + size):
        await store.update_profile(uid, {"consent": True, "tz": "UTC", "bedtime": "22:30"})
        await service.join_team(
            store, uid, GROUP, {"name": f"A{uid}", "joined_at": now.isoformat()}
        )
    return start + timedelta(minutes=10)


async def prompt_statuses(store: Store, uids) -> set[str]:
    """The statuses of the athletes' team prompts."""
    found = set()
    for uid in uids:
        found |= {r["status"] for r in await store.reminders(uid) if r["kind"] == "team_prompt"}
    return found


@pytest.mark.parametrize("size", [40, pytest.param(200, marks=pytest.mark.slow)])
async def test_members_prompted_under_enforced_limits(
    api: FakeBotAPI, bot_factory, data_dir, database_url, clock: Clock, size: int
) -> None:
    """A session end reaches every athlete at Telegram's pace; 429/5xx retried, 403 inactive.

    200 members take about 9 s (30 messages/s), so that size runs with `-m slow`."""
    async with direct_store(data_dir, database_url) as store:
        end = await seed_team(store, clock, size)
    everyone = range(1000, 1000 + size)
    users = [api.user(uid) for uid in everyone]
    blocked = {1007, 1030}
    api.blocked_users = blocked
    api.enforce_rate_limits()
    api.fail_next("sendMessage", 429, retry_after=1)
    api.fail_next("sendMessage", 502)
    async with bot_factory() as app:
        store = svc(app).store
        jump_to(clock, end)

        async def prompts_settled() -> bool:
            if (
                sum(1 for u in users for e in u.events if "done training" in (e.text or ""))
                < size - 3
            ):
                return False
            clock.advance(timedelta(seconds=11))  # lets the one 5xx retry come due
            return "pending" not in await prompt_statuses(store, everyone)

        await eventually(prompts_settled, within=40)
        for user in users:
            prompts = [e for e in user.events if "done training" in (e.text or "")]
            assert len(prompts) == (0 if user.id in blocked else 1), user.id
        for uid in blocked:
            assert (await store.profile(uid))["active"] is False
        assert await prompt_statuses(store, set(everyone) - blocked) == {"sent"}
        assert api.limits.peak(1.0) <= api.limits.per_second


async def test_team_follows_its_group_to_a_supergroup(api: FakeBotAPI, bot, clock: Clock) -> None:
    """Upgraded to a supergroup (a new chat id): the team, its members and its sessions move
    along, old join links still work, and the summary goes to the supergroup."""
    old_id, new_id = -4321, -1004321
    group, coach = api.group(old_id, "Harriers", "group"), api.user(51, "Kim")
    payload = await set_up_team(api, coach, group)
    ana, ben = api.user(52, "Ana"), api.user(53, "Ben")
    await join(ana, payload)
    end = await schedule_soon(group, coach, clock)
    supergroup = api.upgrade_to_supergroup(group, new_id, coach)
    store = svc(bot).store

    async def moved() -> bool:  # the team first, then each member's link to it
        profile = await store.profile(52)
        return bool(await store.teams.get(new_id)) and str(new_id) in profile["teams"]

    await eventually(moved)
    team = await store.teams.get(new_id)
    assert (team["id"], list(team["members"]), team["title"]) == (new_id, ["52"], "Harriers")
    assert await store.teams.get(old_id) == {"id": old_id, "moved_to": new_id}
    assert list((await store.profile(52))["teams"]) == [str(new_id)]
    await join(ben, payload)  # a link shared before the upgrade
    assert sorted((await store.teams.get(new_id))["members"]) == ["52", "53"]
    await supergroup.send(coach, "/join")
    await supergroup.expect("Tap to join privately")
    jump_to(clock, end)
    await ana.expect("done training")
    jump_to(clock, end + timedelta(hours=3))
    await supergroup.expect("session of")
    assert not [e for e in group.events if "session of" in (e.text or "")]


async def test_summary_finds_the_supergroup_when_the_upgrade_was_missed(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Telegram answers 'upgraded to a supergroup' with the new id: the team moves there then."""
    old_id, new_id = -4322, -1004322
    group, coach = api.group(old_id, "Striders", "group"), api.user(61, "Kim")
    await set_up_team(api, coach, group)
    end = await schedule_soon(group, coach, clock)
    supergroup = api.group(new_id, "Striders", "supergroup")
    api.world.migrated[old_id] = new_id  # the service messages never reached the bot
    jump_to(clock, end + timedelta(hours=3))
    await supergroup.expect("session of")
    assert (await svc(bot).store.teams.get(new_id))["title"] == "Striders"


async def test_a_team_prompt_tapped_over_a_day_late_starts_no_stale_checkin(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A prompt's session end is no longer prefilled a day later: heaviness is "right now"."""
    ana = await member_of_new_team(api, clock, coach_id=41, athlete_id=42)
    prompt = await ana.expect("done training? Check in")
    clock.advance(timedelta(hours=25))
    await ana.press("Check in", message_id=prompt.message_id)
    await ana.expect("over a day ago")
    assert await svc(bot).store.state(42, "draft") is None
    assert await svc(bot).store.checkins(42) == []


async def test_repeated_and_absurd_sessions_are_refused(api: FakeBotAPI, bot) -> None:
    """Repeated identical /session commands schedule one session; year 9999 is refused."""
    group, coach = api.group(GROUP, "Harriers"), api.user(43, "Kim")
    await set_up_team(api, coach, group)
    for _ in range(4):  # the bot's group replies are paced at 20/min, as Telegram requires
        await group.send(coach, "/session mon 18:00 90")
    await group.expect("Scheduled: weekly mon 18:00, 90 min")
    for _ in range(3):
        await group.expect("already scheduled")
    await group.send(coach, "/session 9999-12-31 23:30 600")
    await group.expect("more than a year ahead")
    team = await svc(bot).store.teams.get(GROUP)
    assert len(team["sessions"]) == 1


async def test_an_alert_queued_before_withdrawal_never_reaches_the_coach(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A red-flag alert still in the outbox when the athlete withdraws consent is dropped."""
    group, coach = api.group(GROUP, "Harriers"), api.user(44, "Kim")
    ana = api.user(45, "Ana")
    await join(ana, await set_up_team(api, coach, group))
    await ana.send("/checkin")
    await answer_all(ana, ["Just now", "Intervals", "60 min", "8", "9", "2", "No", "Joint pain"])
    await answer_all(ana, ["7 h"])
    await ana.expect(REPLY)
    [record] = await svc(bot).store.checkins(ana.id)
    await svc(bot).store.update_profile(ana.id, {"consent": False})  # withdrawn meanwhile
    await svc(bot).teams.red_flag(ana.id, record["id"])  # the alert that was already queued

    async def withheld() -> bool:  # the alert is deleted, not kept as "dropped"
        team = await svc(bot).store.teams.get(GROUP)
        return not [i for i in team["outbox"].values() if i["kind"] == "alert"]

    await eventually(withheld)
    exported = await service.export_all(svc(bot).store, coach.id)
    assert "alerts" not in exported["teams"][0]
    assert not [e for e in coach.events if "Red flag" in (e.text or "")]


async def test_report_shows_only_the_published_summary(api: FakeBotAPI, bot, clock: Clock) -> None:
    """Before any session: nothing to report; after one ends: when the one summary comes."""
    group, coach = api.group(GROUP, "Harriers"), api.user(46, "Kim")
    await set_up_team(api, coach, group)
    await group.send(coach, "/report")
    await group.expect("No team summary yet")
    jump_to(clock, await schedule_soon(group, coach, clock))

    async def queued() -> bool:
        return bool((await svc(bot).store.teams.get(GROUP))["outbox"])

    await eventually(queued)
    await group.send(coach, "/report")
    await group.expect("is published here at")


async def test_a_team_prompt_tapped_after_withdrawal_keeps_its_session_through_setup(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """Re-consenting from a team prompt continues with the prompt's finish time and length."""
    ana = await member_of_new_team(api, clock, coach_id=51, athlete_id=52)
    prompt = await ana.expect("done training? Check in")
    await withdraw(ana)
    await ana.press("Check in", message_id=prompt.message_id)
    await consent_again(ana)
    await ana.expect("What kind of session")  # finish time and length came with the prompt
    draft = await svc(bot).store.state(52, "draft")
    assert draft["flow"] == "checkin"
    assert draft["answers"]["duration_min"] == 60
    assert set(draft["prefilled"]) == {"finished_at", "duration_min"}


async def test_a_new_join_link_says_the_old_one_stopped_working(api: FakeBotAPI, bot) -> None:
    """/team newlink: the group is told the old link is dead, and it is; members stay in."""
    group, coach = api.group(GROUP, "Harriers"), api.user(61, "Kim")
    old = await set_up_team(api, coach, group)
    ana = api.user(62, "Ana")
    await join(ana, old)
    await group.send(coach, "/team newlink")
    renewed = await group.expect("New join link")
    assert "old one has stopped working" in renewed.text
    [[button]] = renewed.raw["reply_markup"]["inline_keyboard"]
    new = button["url"].split("start=", 1)[1]
    assert new != old
    ben = api.user(63, "Ben")
    await onboard(ben)
    await ben.send(f"/start {old}")
    await ben.expect("isn't valid")
    await ben.send(f"/start {new}")
    await ben.expect("your coaches will see")
    assert "62" in (await svc(bot).store.teams.get(GROUP))["members"]


async def test_a_one_off_session_that_already_ended_is_refused(
    api: FakeBotAPI, bot, clock: Clock
) -> None:
    """A one-off whose end has passed would never prompt anyone: it is refused, not accepted."""
    group, coach = api.group(GROUP, "Harriers"), api.user(71, "Kim")
    await set_up_team(api, coach, group)
    noon = clock.now().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)
    jump_to(clock, noon)  # a known time of day: the session below is today's, and over
    start = noon - timedelta(hours=3)
    await group.send(coach, f"/session {start:%Y-%m-%d %H:%M} 60")
    await group.expect("already ended")
    assert (await svc(bot).store.teams.get(GROUP))["sessions"] == {}


async def test_newlink_on_a_group_without_a_team_just_creates_it(api: FakeBotAPI, bot) -> None:
    """No old link existed, so nothing says one stopped working."""
    group, coach = api.group(GROUP, "Harriers"), api.user(72, "Kim")
    api.set_chat_member(group.chat_id, coach.id, "administrator")
    await group.send(coach, "/team newlink")
    ready = await group.expect("is ready")
    assert "stopped working" not in ready.text
