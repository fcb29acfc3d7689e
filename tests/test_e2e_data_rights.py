"""End to end: /export sends everything (documented), /forget leaves no trace anywhere."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import asyncpg

from bot.athletes import service
from bot.athletes.export import FIELDS
from bot.fakeapi import FakeBotAPI
from bot.shell.clock import Clock
from rules.reminders import Reminder
from tests.conftest import REPLY, onboard, svc
from tests.test_e2e_checkin import answer_all
from tests.test_e2e_coach import join, set_up_team
from tests.test_e2e_insight import change_setting
from tests.test_e2e_reminders import HEAVY, advance_to, checked_in

UID = 987_654_321


async def test_export_sends_json_with_field_guide_and_csv(api: FakeBotAPI, bot) -> None:
    """The JSON holds profile, check-ins and reminders with a field guide; the CSV one row each."""
    user = api.user(801)
    await user.send("/export")
    await user.expect("don't store anything")
    await checked_in(user)
    await user.press("Already ate")
    await user.expect("Logged", kind="callback_answer")
    await user.send("/export")
    doc = await user.expect(kind="document")
    assert doc.filename == "heavy-legs-export.json"
    data = json.loads(doc.data)
    assert data["format"] == "heavy-legs-export/1"
    assert data["athlete_id"] == 801
    assert data["fields"] == FIELDS
    assert data["profile"]["tz"] == "Europe/Berlin"
    assert data["profile"]["consent"] is True
    [checkin] = data["checkins"]
    assert (checkin["rpe"], checkin["duration_min"], checkin["leg_heaviness"]) == (8, 60, 8)
    assert checkin["refuelled_at"]
    kinds = {r["kind"]: r["status"] for r in data["reminders"]}
    assert kinds["nutrition_open"] == "cancelled"
    assert kinds["followup"] == "pending"
    records = [("profile", data["profile"])]
    records += [("checkins[]", r) for r in data["checkins"]]
    records += [("reminders[]", r) for r in data["reminders"]]
    undocumented = {f"{where}.{key}" for where, r in records for key in r} - _documented()
    assert undocumented == set()
    sheet = await user.expect(kind="document")
    assert sheet.filename == "heavy-legs-checkins.csv"
    [row] = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert row["session_load"] == "480"
    assert row["session_type"] == "intervals"
    assert row["id"] == checkin["id"]


def _documented() -> set[str]:
    """Every field path the guide explains ('a|b' entries expanded)."""
    paths = set()
    for entry in FIELDS:
        section, _, names = entry.rpartition(".")
        paths |= {f"{section}.{name}" for name in names.split("|")}
    return paths


def _files_mentioning(root: Path, needle: str) -> list[Path]:
    """Every file under `root` whose bytes contain `needle` (or that is named after it)."""
    hits = []
    for path in root.rglob("*"):
        if needle in path.name or (path.is_file() and needle.encode() in path.read_bytes()):
            hits.append(path)
    return hits


async def _traces(data_dir: Path, database_url: str | None, needle: str) -> list[str]:
    """Files, or database rows (any column of any table), that mention `needle`."""
    if database_url is None:
        return [str(p) for p in _files_mentioning(data_dir, needle)]
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'schema_migrations'"
        )
        return [
            f"{row['tablename']}: {hit}"
            for row in tables
            for hit in await conn.fetch(
                f"SELECT t::text FROM {row['tablename']} t WHERE t::text LIKE $1", f"%{needle}%"
            )
        ]
    finally:
        await conn.close()


async def test_forget_leaves_no_trace(
    api: FakeBotAPI, bot, clock: Clock, data_dir: Path, database_url: str | None
) -> None:
    """Check-ins, settings, reminders, a half-done check-in: all gone, on disk and in memory."""
    user = api.user(UID)
    other = api.user(802)
    await onboard(other)
    await checked_in(user, HEAVY)
    await change_setting(user, "ready", "morning check-in", "07:00")
    await user.send("/checkin")
    await answer_all(user, HEAVY[:2])  # leaves conversation state behind
    assert await _traces(data_dir, database_url, str(UID))
    await user.send("/forget")
    await user.expect("can't be undone")
    await user.press("Yes, erase it all")
    await user.expect("everything about you is erased")
    assert await _traces(data_dir, database_url, str(UID)) == []
    assert await svc(bot).store.everything(UID) == {}
    assert UID not in bot.user_data
    clock.advance(timedelta(days=3))
    await user.send("/help")
    await user.expect("what I can do")
    await user.send("/history")
    await user.expect("No check-ins yet")
    texts = [e.text or "" for e in user.events]
    assert not any(t.startswith(("Refuel time", "Good morning", "Checking in")) for t in texts)
    assert await _traces(data_dir, database_url, str(UID)) == []


async def test_forget_erases_every_team_mention_and_backup(
    api: FakeBotAPI, bot, clock: Clock, data_dir: Path, database_url: str | None
) -> None:
    """A member with a sent red-flag alert (team A), an invitation (team B) and a coach's seat
    (team C): /export shows all three, /forget leaves the id and the name nowhere."""
    name = "Zanzibarova"
    zed, kim, lee = api.user(UID, name), api.user(811, "Kim"), api.user(812, "Lee")
    team_a, team_b, team_c = (api.group(-1005550 - n, f"Team {n}") for n in range(3))
    await join(zed, await set_up_team(api, kim, team_a))
    await set_up_team(api, lee, team_b)
    await team_b.send(zed, "/join")
    await team_b.expect("Tap to join")
    await set_up_team(api, zed, team_c)
    await zed.send("/checkin")
    await answer_all(zed, ["Just now", "Intervals", "60 min", "8", "9", "2", "No", "Joint pain"])
    await answer_all(zed, ["7 h"])
    await zed.expect(REPLY)
    await advance_to(clock, bot, UID, "followup")
    await zed.expect("still heavy")
    await zed.press("Answer: 2 questions")
    await answer_all(zed, ["8", "Joint pain"])
    await zed.expect("Skip hard training")
    await kim.expect(f"Red flag for {name}")
    exported = await service.export_all(svc(bot).store, UID)
    roles = {
        (t["team_id"], key)
        for t in exported["teams"]
        for key in t
        if key not in ("team_id", "title")
    }
    assert roles == {
        (team_a.chat_id, "members"),
        (team_a.chat_id, "alerts"),
        (team_b.chat_id, "invited"),
        (team_c.chat_id, "coaches"),
    }
    await zed.send("/forget")
    await zed.expect("can't be undone")
    await zed.press("Yes, erase it all")
    await zed.expect("everything about you is erased")
    assert await _traces(data_dir, database_url, str(UID)) == []
    assert await _traces(data_dir, database_url, name) == []
    assert await service.export_all(svc(bot).store, UID) == {}


async def test_a_delivery_in_flight_never_brings_an_erased_athlete_back(
    api: FakeBotAPI, bot, clock: Clock, data_dir: Path, database_url: str | None
) -> None:
    """The morning reminder is being sent when the athlete erases: settling it afterwards
    (and renewing a daily one) writes nothing for someone who no longer exists."""
    user = api.user(UID)
    await onboard(user)
    await change_setting(user, "ready", "morning check-in", "07:00")
    store = svc(bot).store
    [morning] = [r for r in await store.reminders(UID) if r["kind"] == "readiness"]
    await service.forget(store, UID)
    reminders = svc(bot).reminders
    in_flight = Reminder.from_doc(morning)
    await reminders._settle(UID, in_flight, "sent", clock.now())  # the in-flight delivery's end
    await reminders._settle(UID, None, "dropped", clock.now())  # or a 403 meanwhile ...
    await store.update_profile(UID, {"active": False}, create=False)
    assert await store.add_reminders(UID, [morning], create=False) == []  # or a team fan-out
    assert await _traces(data_dir, database_url, str(UID)) == []
    assert await store.profile(UID) is None


async def test_nothing_is_stored_before_consent(
    api: FakeBotAPI, bot, data_dir: Path, database_url: str | None
) -> None:
    """/start, /checkin and a join link before any answer, then abandoned or declined: no file,
    no row; agreeing is what first stores the person."""
    user = api.user(UID)
    await user.send("/start")
    await user.expect("OK to store")
    await user.send("/checkin")
    await user.expect("OK to store")
    assert await _traces(data_dir, database_url, str(UID)) == []
    await user.press("No thanks")
    await user.expect("haven't stored anything")
    await user.press("Team sport")  # the general tips read and store nothing
    await user.expect("General tips", kind="edit")
    assert await _traces(data_dir, database_url, str(UID)) == []
    await user.send("/start")
    await user.expect("OK to store")
    await user.press("I agree")
    await user.expect("time zone")
    assert await svc(bot).store.state(UID, "draft") is not None
