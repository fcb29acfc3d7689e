"""The Store interface, run on both backends: the same answers from TinyDB files and PostgreSQL,
and the due-work claims that let several workers share one schedule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.athletes import service
from bot.storage import Store, StoreUnavailable
from bot.storage.base import ReminderFilter
from bot.storage.migrations import MIGRATIONS, migrate
from bot.storage.postgres import PostgresStore
from testkit.store import direct_store

UID = 31
NOW = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def reminder(rid: str, due: datetime = NOW, status: str = "pending", **extra: object) -> dict:
    """A reminder record due at `due`."""
    return {
        "id": rid,
        "kind": "bedtime",
        "status": status,
        "due_at": due.isoformat(),
        "expires_at": (due + timedelta(hours=1)).isoformat(),
        "checkin_id": "c1",
        **extra,
    }


def checkin(cid: str, minute: int, update_id: int | None = None) -> dict:
    """A check-in record created at 10:`minute`."""
    return {
        "id": cid,
        "update_id": update_id,
        "created_at": f"2026-05-01T10:{minute:02d}:00+00:00",
        "refuelled_at": None,
    }


@pytest.fixture
async def store(data_dir: Path, database_url: str | None) -> AsyncIterator[Store]:
    """The backend under test, opened on empty storage."""
    async with direct_store(data_dir, database_url) as opened:
        yield opened


async def test_athlete_data_round_trip(store: Store) -> None:
    """Profile merge, state, check-ins in time order, de-duplication, and refuelling once."""
    assert await store.profile(UID) is None
    await store.update_profile(UID, {"name": "Ann", "tz": "UTC"})
    assert await store.update_profile(UID, {"tz": "Europe/Oslo"}, clear_state="draft") == {
        "name": "Ann",
        "tz": "Europe/Oslo",
    }
    await store.set_state(UID, "draft", {"step": 2, "answers": {"rpe": 7}})
    assert await store.state(UID, "draft") == {"step": 2, "answers": {"rpe": 7}}
    assert await store.save_checkin(UID, checkin("late", 30, update_id=5), [reminder("r1")])
    assert await store.save_checkin(UID, checkin("early", 10), [], clear_state="draft")
    assert not await store.save_checkin(UID, checkin("other", 40, update_id=5), [])
    assert not await store.save_checkin(UID, checkin("late", 50), [])
    assert await store.state(UID, "draft") is None
    assert [c["id"] for c in await store.checkins(UID)] == ["early", "late"]
    nutrition = reminder("n1", kind="nutrition_open", checkin_id="late")
    await store.add_reminders(UID, [nutrition])
    assert await service.mark_refuelled(store, UID, "late", "t1") == ["n1"]
    assert await service.mark_refuelled(store, UID, "late", "t2") == []
    assert (await store.checkin(UID, "late"))["refuelled_at"] == "t1"
    assert (await store.reminder(UID, "n1"))["status"] == "cancelled"
    assert sorted(await store.everything(UID)) == ["checkins", "profile", "reminders"]


async def test_reminder_changes(store: Store) -> None:
    """Adding skips known ids; status and per-id changes touch only what they should."""
    assert [r["id"] for r in await store.add_reminders(UID, [reminder("a"), reminder("b")])] == [
        "a",
        "b",
    ]
    assert [r["id"] for r in await store.add_reminders(UID, [reminder("a"), reminder("c")])] == [
        "c"
    ]
    not_b = (ReminderFilter(ids=frozenset({"a", "c"})),)
    assert [r["id"] for r in await store.update_reminders(UID, not_b, {"status": "sent"})] == [
        "a",
        "c",
    ]
    later = (NOW + timedelta(hours=2)).isoformat()
    each = {"a": {"due_at": later}, "b": {"due_at": later}}
    a_b = (ReminderFilter(ids=frozenset(each)),)
    touched = await store.update_reminders(UID, a_b, each=each, new=[reminder("d")])
    assert [r["id"] for r in touched] == ["b", "d"]
    assert [(r["id"], r["status"], r["due_at"]) for r in await store.reminders(UID)] == [
        ("a", "sent", NOW.isoformat()),
        ("b", "pending", later),
        ("c", "sent", NOW.isoformat()),
        ("d", "pending", NOW.isoformat()),
    ]


async def test_due_reminders_are_claimed_once_and_retried_later(store: Store) -> None:
    """A claim hands out what is due once; a retry brings it back at its new time."""
    await store.add_reminders(UID, [reminder("now"), reminder("later", NOW + timedelta(hours=1))])
    await store.add_reminders(UID + 1, [reminder("done", status="sent")])
    assert await store.claim_reminders(NOW, 10) == [(UID, "now")]
    assert await store.claim_reminders(NOW + timedelta(seconds=1), 10) == []
    await store.retry_reminder(UID, "now", NOW + timedelta(minutes=5))
    assert await store.claim_reminders(NOW + timedelta(minutes=4), 10) == []
    assert await store.claim_reminders(NOW + timedelta(minutes=5), 10) == [(UID, "now")]
    await store.update_reminders(UID, (ReminderFilter(ids=frozenset({"now"})),), {"status": "sent"})
    assert await store.claim_reminders(NOW + timedelta(hours=1), 10) == [(UID, "later")]


async def test_teams_wake_claim_and_book_the_next_look(store: Store) -> None:
    """A woken team is claimed once; `done` books its next look."""
    await store.teams.update(-5, lambda team: team.update(id=-5, members={}, active=True))
    assert await store.teams.get(-5) == {"id": -5, "members": {}, "active": True}
    await store.teams.wake(-5, NOW)
    [(team_id, token)] = await store.teams.claim_due(NOW)
    assert team_id == -5
    assert await store.teams.claim_due(NOW) == []
    await store.teams.done(-5, token, NOW + timedelta(hours=1))
    assert await store.teams.claim_due(NOW + timedelta(minutes=59)) == []
    assert [t for t, _ in await store.teams.claim_due(NOW + timedelta(hours=1))] == [-5]
    assert [t["id"] for t in await store.teams.all()] == [-5]


@pytest.mark.backends("postgres")
async def test_workers_never_claim_the_same_reminder(database_url: str) -> None:
    """Three stores on one database claiming 600 due reminders at once: each goes to one."""
    workers = [PostgresStore(database_url, worker=f"w{i}", pool_size=4) for i in range(3)]
    for worker in workers:
        await worker.open()
    try:
        for uid in range(600):
            await workers[0].add_reminders(uid, [reminder(f"r{uid}")])
        claims: list[tuple[int, str]] = []

        async def drain(worker: PostgresStore) -> None:
            while got := await worker.claim_reminders(NOW, 25):
                claims.extend(got)

        await asyncio.gather(*(drain(w) for w in workers))
        assert sorted(claims) == sorted((uid, f"r{uid}") for uid in range(600))
    finally:
        for worker in workers:
            await worker.close()


@pytest.mark.backends("postgres")
async def test_a_dead_workers_claim_returns_after_its_lease(database_url: str) -> None:
    """Worker A claims and dies; B gets the reminder once A's lease has run out, not before."""
    a = PostgresStore(database_url, worker="a", lease=timedelta(seconds=30))
    b = PostgresStore(database_url, worker="b")
    for worker in (a, b):
        await worker.open()
    try:
        await a.add_reminders(UID, [reminder("r")])
        assert await a.claim_reminders(NOW, 5) == [(UID, "r")]
        assert not await b.claim_reminder(UID, "r", NOW + timedelta(seconds=29))
        assert await b.claim_reminders(NOW + timedelta(seconds=29), 5) == []
        assert await b.claim_reminders(NOW + timedelta(seconds=30), 5) == [(UID, "r")]
    finally:
        for worker in (a, b):
            await worker.close()


@pytest.mark.backends("postgres")
async def test_a_wake_during_processing_is_not_lost(database_url: str, store: Store) -> None:
    """A team woken while another worker processes it is looked at again straight away."""
    await store.teams.update(-7, lambda team: team.update(id=-7, active=True))
    await store.teams.wake(-7, NOW)
    [(_, token)] = await store.teams.claim_due(NOW)
    await store.teams.wake(-7, NOW + timedelta(seconds=1))  # e.g. a red flag raised meanwhile
    await store.teams.done(-7, token, NOW + timedelta(days=1))
    assert [t for t, _ in await store.teams.claim_due(NOW + timedelta(seconds=1))] == [-7]


@pytest.mark.backends("postgres")
async def test_migrations_are_versioned_and_idempotent(database_url: str) -> None:
    """Opening again applies nothing; a schema newer than the bot stops it with a clear line."""
    store = PostgresStore(database_url)
    await store.open()
    try:
        async with store.db.conn() as conn:
            assert await migrate(conn) == 0
            versions = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
            assert [row[0] for row in versions] == list(range(1, len(MIGRATIONS) + 1))
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (999)")
    finally:
        await store.close()
    with pytest.raises(StoreUnavailable, match="newer than this bot"):
        await PostgresStore(database_url).open()


async def test_a_team_moves_to_its_supergroup_once(store: Store) -> None:
    """The team is re-keyed with its schedule, a stub forwards from the old id, and moving
    again (or onto an existing team) does nothing."""
    await store.teams.update(-8, lambda team: team.update(id=-8, active=True, members={}))
    await store.teams.update(-9, lambda team: team.update(id=-9, active=True, members={}))
    assert await store.teams.move(-8, -1008) == {"id": -1008, "active": True, "members": {}}
    assert await store.teams.get(-8) == {"id": -8, "moved_to": -1008}
    assert await store.teams.move(-8, -1008) is None
    assert await store.teams.move(-9, -1008) is None
    assert await store.teams.move(-7, -1007) is None
    await store.teams.wake(-1008, NOW)
    assert [t for t, _ in await store.teams.claim_due(NOW)] == [-1008]


async def test_coached_by_follows_every_change(store: Store) -> None:
    """A /roster reads only the coach's teams: the index follows adds, removals and moves."""
    for team_id, coaches in ((-1, {"7": {}}), (-2, {"7": {}, "8": {}}), (-3, {"8": {}})):
        await store.teams.update(team_id, lambda t, c=coaches, i=team_id: t.update(id=i, coaches=c))
    assert await store.teams.coached_by(7) == [-2, -1]
    await store.teams.update(-1, lambda t: t["coaches"].pop("7"))
    assert await store.teams.coached_by(7) == [-2]
    await store.teams.move(-2, -1002)
    assert await store.teams.coached_by(7) == [-1002]
    assert await store.teams.coached_by(8) == [-1002, -3]
    await service.forget(store, 8)
    assert await store.teams.coached_by(8) == []


async def test_forget_leaves_no_team_backup_behind(store: Store, data_dir: Path) -> None:
    """A member who left a team and one whose team moved to a supergroup: after /forget no team
    file, backup or set-aside copy mentions them (only TinyDB keeps backups)."""
    member = {"name": "Quintessa", "joined_at": NOW.isoformat()}
    for team_id in (-5, -6):
        await store.teams.update(team_id, lambda t, i=team_id: t.update(id=i, members={}))
        await service.join_team(store, UID, team_id, member)
    await service.leave_team(store, UID, -5)  # the .bak of -5 still holds the member
    await store.teams.move(-6, -1006)  # the .bak of -6 holds the whole team before the stub
    await service.forget(store, UID)
    for path in (data_dir / "teams").glob("*") if (data_dir / "teams").exists() else []:
        text = path.read_bytes()
        assert b"Quintessa" not in text, path
        assert str(UID).encode() not in text, path
    assert await service.export_all(store, UID) == {}
