"""Recording check-ins on both backends: one wind-down a night, one follow-up an episode, replies
that promise only what is planned, and Why? that explains exactly what was shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.athletes import service
from bot.athletes.profiles import Profile
from bot.athletes.recording import advised_points, record_checkin
from bot.storage import Store
from bot.storage.base import PENDING
from rules.model import CheckIn, Kind
from rules.reminders import NUTRITION_KINDS
from testkit.store import direct_store

UID = 77
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
PROFILE = {"consent": True, "tz": "Europe/Berlin", "bedtime": "22:30"}


@pytest.fixture
async def store(data_dir: Path, database_url: str | None) -> AsyncIterator[Store]:
    """The backend under test, on empty storage."""
    async with direct_store(data_dir, database_url) as opened:
        await opened.update_profile(UID, PROFILE)  # check-ins are only stored with consent
        yield opened


def checkin(cid: str, at: datetime, heaviness: int, **kw) -> CheckIn:
    """A full check-in answered at `at`, 10 minutes after its session."""
    return CheckIn(
        created_at=at,
        finished_at=at - timedelta(minutes=10),
        leg_heaviness=heaviness,
        id=cid,
        rpe=6,
        duration_min=60,
        **kw,
    )


async def record(store: Store, model: CheckIn, profile: dict = PROFILE) -> str:
    """Record a check-in and return its reply text."""
    recorded = await record_checkin(
        store, UID, Profile.from_doc(profile), model, "UTC", clear_state="draft"
    )
    assert recorded is not None
    return recorded.reply["text"]


async def pending(store: Store, kind: str) -> list[dict]:
    """The athlete's pending reminders of one kind."""
    return [r for r in await store.reminders(UID) if r["kind"] == kind and r["status"] == "pending"]


async def test_five_checkins_in_a_day_plan_one_wind_down_and_one_followup(store: Store) -> None:
    replies = []
    for n in range(5):
        at = MORNING + timedelta(hours=3 * n)
        replies.append(await record(store, checkin(f"c{n}", at, 7, joint_pain=True)))
    [bed] = await pending(store, "bedtime")
    [follow] = await pending(store, "followup")
    assert bed["checkin_id"] == follow["checkin_id"] == "c4"  # the newest check-in's plan
    due = datetime.fromisoformat(follow["due_at"]).astimezone(BERLIN)
    assert f"I'll ask how it is on {due:%a} at {due:%H:%M}" in replies[-1]
    replaced = [
        r for r in await store.reminders(UID) if r["status"] == "cancelled" and r["kind"] != "reply"
    ]
    assert {r["reason"] for r in replaced} == {"replaced"}
    assert {r["kind"] for r in replaced} >= {"bedtime", "followup"}


async def test_a_light_checkin_ends_the_episode_and_its_followup(store: Store) -> None:
    await record(store, checkin("c1", MORNING, 8))
    assert len(await pending(store, "followup")) == 1
    await record(store, checkin("c2", MORNING + timedelta(hours=20), 2))
    assert await pending(store, "followup") == []


async def test_every_promise_in_a_reply_matches_a_planned_reminder(store: Store) -> None:
    """Follow-ups switched off: the reply promises no follow-up, and none is planned."""
    off = {**PROFILE, "reminders_off": ["followup"]}
    text = await record(store, checkin("c1", MORNING, 7, joint_pain=True), off)
    assert "I'll ask" not in text
    assert "See a physio or sports doctor if it's severe or lasts a few days" in text
    assert await pending(store, "followup") == []
    text = await record(store, checkin("c2", MORNING + timedelta(hours=1), 7, joint_pain=True))
    [follow] = await pending(store, "followup")
    due = datetime.fromisoformat(follow["due_at"]).astimezone(BERLIN)
    assert re.search(rf"I'll ask how it is on {due:%a} at {due:%H:%M}\.", text)


async def test_refuel_nudges_of_an_earlier_session_give_way_to_the_newest(store: Store) -> None:
    await record(store, checkin("c1", MORNING, 3))
    await record(store, checkin("c2", MORNING + timedelta(minutes=15), 3))
    nudges = [r for r in await store.reminders(UID) if r["kind"] in NUTRITION_KINDS]
    assert {r["checkin_id"] for r in nudges if r["status"] == "pending"} == {"c2"}


async def test_a_followup_answer_keeps_the_plan_it_answers(store: Store) -> None:
    await record(store, checkin("c1", MORNING, 8))
    answer = CheckIn(
        created_at=MORNING + timedelta(hours=30),
        leg_heaviness=6,
        kind=Kind.FOLLOWUP,
        id="f1",
        extra={"followup_of": "c1"},
    )
    await record(store, answer)
    assert len(await pending(store, "followup")) == 1


async def test_why_explains_the_stored_points_not_a_recomputation(store: Store) -> None:
    text = await record(store, checkin("c1", MORNING, 7))
    points = await advised_points(store, UID, "c1", "UTC")
    assert [p.text for p in points] == [line.removeprefix("• ") for line in text.splitlines()]
    await service.mark_refuelled(store, UID, "c1", (MORNING + timedelta(minutes=5)).isoformat())
    assert await advised_points(store, UID, "c1", "UTC") == points
    assert await advised_points(store, UID, "nope", "UTC") is None


async def test_no_checkin_is_stored_for_someone_not_stored(store: Store) -> None:
    """A check-in finishing just after /forget brings nobody back."""
    await service.forget(store, UID)
    assert (
        await record_checkin(
            store,
            UID,
            Profile.from_doc(PROFILE),
            checkin("c1", MORNING, 7),
            "UTC",
            clear_state="draft",
        )
        is None
    )
    assert await store.profile(UID) is None
    assert await store.checkins(UID) == []


async def test_old_records_without_stored_points_are_still_explained(store: Store) -> None:
    """Check-ins stored before replies kept their points get them rebuilt, not an error."""
    old = checkin("old", MORNING, 7).to_record()
    await store.save_checkin(UID, old, [])
    points = await advised_points(store, UID, "old", "UTC")
    assert points
    assert all(p.sources or p.beyond for p in points)


async def test_a_daily_reminder_cancelled_meanwhile_is_not_renewed(store: Store) -> None:
    """Consent withdrawn (or the morning check-in switched off) while the reminder was being
    sent: settling it afterwards renews nothing."""
    from bot.athletes.reminders import Reminders
    from bot.shell.clock import Clock
    from rules.reminders import Reminder

    daily = {
        "id": "r1",
        "user_id": UID,
        "checkin_id": None,
        "kind": "readiness",
        "due_at": MORNING.isoformat(),
        "expires_at": (MORNING + timedelta(hours=4)).isoformat(),
        "text": "Good morning!",
        "status": "pending",
        "repeat": {"tz": "UTC", "at": "07:00"},
    }
    await store.add_reminders(UID, [daily])
    await store.update_reminders(UID, (PENDING,), {"status": "cancelled"})
    await Reminders(store, Clock())._settle(UID, Reminder.from_doc(daily), "sent", MORNING)
    assert [r["status"] for r in await store.reminders(UID)] == ["cancelled"]


async def test_a_claim_that_waited_past_half_its_lease_is_handed_back_unsent(
    store: Store,
) -> None:
    """A claim kept waiting for a send slot may have run out (another worker may be sending
    it): the dispatcher hands it back instead of sending it late."""
    from bot.athletes.reminders import Reminders
    from bot.shell.clock import Clock

    clock = Clock()
    now = clock.now()
    due = {
        "id": "r2",
        "user_id": UID,
        "checkin_id": None,
        "kind": "bedtime",
        "due_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=1)).isoformat(),
        "text": "Wind down",
        "status": "pending",
    }
    await store.add_reminders(UID, [due])
    stale = Reminders(store, clock, lease=timedelta(seconds=-2))  # every claim is past it
    await stale._deliver(None, (UID, "r2"))  # the bot is never reached: no send
    [record] = await store.reminders(UID)
    assert record["status"] == "pending"
