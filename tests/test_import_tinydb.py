"""`python -m bot import-tinydb`: a club's TinyDB files move into PostgreSQL without losing
history, idempotently, verified by counts; broken files and missing settings stop it clearly."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.athletes import service
from bot.storage import TinyStore
from bot.storage import transfer as transfer_module
from bot.storage.base import ReminderFilter
from bot.storage.postgres import PostgresStore
from bot.storage.transfer import import_tinydb
from testkit.pgcluster import TempCluster
from tests.test_startup import bot_holding, one_line, run_bot

NOW = datetime.now(UTC).replace(microsecond=0)
TEAM, QUIET_TEAM = -100_123, -100_456
ATHLETES = (101, 102, 103)  # 103 began onboarding only: conversation state, no profile
_names = itertools.count()


def database(cluster: TempCluster) -> str:
    """A fresh, empty database on the session's server."""
    return cluster.create_database(f"imp{next(_names)}")


def checkin(cid: str, minutes_ago: int, update_id: int) -> dict:
    """A finished check-in as the flow stores it."""
    at = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return {
        "id": cid,
        "kind": "checkin",
        "created_at": at,
        "finished_at": at,
        "update_id": update_id,
        "rpe": 8,
        "duration_min": 60,
        "leg_heaviness": 7,
        "session_type": "intervals",
        "refuelled_at": None,
    }


def reminder(rid: str, cid: str, kind: str, due_in: timedelta, **extra: object) -> dict:
    """A reminder record as the scheduler stores it."""
    return {
        "id": rid,
        "user_id": 101,
        "checkin_id": cid,
        "kind": kind,
        "due_at": (NOW + due_in).isoformat(),
        "expires_at": (NOW + due_in + timedelta(hours=2)).isoformat(),
        "text": f"{kind} reminder",
        "status": "pending",
        **extra,
    }


def team_doc(team_id: int, active: bool) -> dict:
    """A team as /team creates it, with a weekly session and one outbox item."""
    return {
        "id": team_id,
        "title": f"Team {team_id}",
        "created_at": NOW.isoformat(),
        "tz": "Europe/Berlin",
        "code": "abc123",
        "processed_until": NOW.isoformat(),
        "members": {},
        "invited": {"999": {"at": NOW.isoformat()}},
        "coaches": {"7": {"name": "Coach K"}},
        "sessions": {
            "s1": {"id": "s1", "kind": "weekly", "days": [0], "start": "18:00", "duration": 90}
        },
        "outbox": {
            "s-x": {"id": "s-x", "kind": "summary", "status": "sent", "due_at": NOW.isoformat()}
        },
        "channel": None,
        "active": active,
    }


async def seed(data_dir: Path) -> TinyStore:
    """A realistic club data dir, written through the real TinyStore API."""
    tiny = TinyStore(data_dir)
    tiny.prepare()
    await tiny.teams.update(TEAM, lambda doc: doc.update(team_doc(TEAM, active=True)))
    await tiny.teams.update(QUIET_TEAM, lambda doc: doc.update(team_doc(QUIET_TEAM, False)))
    for uid, tz in ((101, "Europe/Berlin"), (102, "America/New_York")):
        await tiny.update_profile(uid, {"consent": True, "tz": tz, "bedtime": "22:30"})
        await service.join_team(tiny, uid, TEAM, {"joined_at": NOW.isoformat(), "name": f"A{uid}"})
    old, fresh = checkin("c1", 600, 11), checkin("c2", 30, 12)
    await tiny.save_checkin(101, old, [reminder("r1", "c1", "nutrition_open", -timedelta(hours=9))])
    await tiny.update_reminders(101, (ReminderFilter(ids=frozenset({"r1"})),), {"status": "sent"})
    due_now = reminder("r2", "c2", "nutrition_close", -timedelta(minutes=1))
    later = reminder("r3", "c2", "followup", timedelta(days=1))
    await tiny.save_checkin(101, fresh, [due_now, later])
    await service.mark_refuelled(tiny, 101, "c1", NOW.isoformat())
    await tiny.set_state(101, "draft", {"step": 2, "answers": {"rpe": 6}, "chat": 101})
    await tiny.save_checkin(102, checkin("c9", 90, 21), [])
    await tiny.set_state(103, "onboarding", {"step": "consent"})
    return tiny


def shown(result: subprocess.CompletedProcess[str]) -> dict[str, list[int]]:
    """The printed table as {table: [tinydb, added, postgres]}."""
    rows = [line.split() for line in result.stdout.splitlines()]
    return {row[0]: [int(n) for n in row[1:]] for row in rows if row[0] in transfer_module.ROWS}


def importing(tmp_path: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot import-tinydb` (no BOT_TOKEN) against `url`."""
    env = {"BOT_DATABASE_URL": url} if url else {}
    return run_bot(tmp_path, "import-tinydb", *args, **env)


async def test_import_copies_everything_once_and_verifies(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    tiny = await seed(tmp_path / "data")
    url = database(pg_cluster)
    first = importing(tmp_path, url, str(tmp_path / "data"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("verified")
    expected = {
        "athletes": [2, 2, 2],
        "conversation_state": [2, 2, 2],
        "checkins": [3, 3, 3],
        "reminders": [3, 3, 3],
        "teams": [2, 2, 2],
    }
    assert shown(first) == expected

    store = PostgresStore(url)
    await store.open()
    try:
        for uid in ATHLETES:
            assert await store.everything(uid) == await tiny.everything(uid)
            assert await store.checkins(uid) == await tiny.checkins(uid)
        for team_id in (TEAM, QUIET_TEAM):
            assert await store.teams.get(team_id) == await tiny.teams.get(team_id)
        assert await store.profile(101) == await tiny.profile(101)
        assert await store.state(101, "draft") == {"step": 2, "answers": {"rpe": 6}, "chat": 101}

        again = importing(tmp_path, url, str(tmp_path / "data"))
        assert again.returncode == 0, again.stderr
        assert shown(again) == {name: [n, 0, n] for name, (n, _, _) in expected.items()}
        assert await store.everything(101) == await tiny.everything(101)

        now = datetime.now(UTC)
        assert await store.claim_reminders(now, 10) == [(101, "r2")]
        due_teams = await store.teams.claim_due(now)  # the inactive team waits for a wake
        assert [team_id for team_id, _ in due_teams] == [TEAM]
    finally:
        await store.close()


async def test_a_broken_file_stops_the_import_before_any_write(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    await seed(tmp_path / "data")
    broken = tmp_path / "data" / "athletes" / "102.json"
    broken.write_bytes(b'{"checkins": {"1": {"id": "c')
    url = database(pg_cluster)
    result = importing(tmp_path, url, str(tmp_path / "data"))
    one_line(result, 3, str(broken), "is corrupt", f"python -m bot restore {broken}")
    assert await held(url) == dict.fromkeys(transfer_module.ROWS, 0)


async def test_an_athlete_that_cannot_be_stored_is_not_half_imported(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    tiny = await seed(tmp_path / "data")
    path = tmp_path / "data" / "athletes" / "102.json"
    data = json.loads(path.read_text())
    data["checkins"]["1"]["update_id"] = "not a number"  # parses, but no database takes it
    path.write_text(json.dumps(data))
    url = database(pg_cluster)
    one_line(importing(tmp_path, url, str(tmp_path / "data")), 5, f"could not import {path}")
    store = PostgresStore(url)
    await store.open()
    try:
        assert await store.everything(102) == {}  # its profile was rolled back with the rest
        assert await store.everything(101) == await tiny.everything(101)
    finally:
        await store.close()


async def test_rows_already_in_the_database_fail_the_check(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    await seed(tmp_path / "data")
    url = database(pg_cluster)
    store = PostgresStore(url)
    await store.open()
    try:  # the athlete already used a PostgreSQL bot: the database holds more than the files
        await store.save_checkin(102, checkin("c-new", 5, 99), [])
    finally:
        await store.close()
    result = importing(tmp_path, url, str(tmp_path / "data"))
    one_line(result, 6, "not verified", "checkins 3 in the files, 4 in PostgreSQL")
    assert shown(result)["checkins"] == [3, 3, 4]


async def test_progress_for_large_dirs(
    tmp_path: Path, pg_cluster: TempCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(tmp_path / "data")
    monkeypatch.setattr(transfer_module, "PROGRESS_EVERY", 2)
    progress = io.StringIO()
    report = await import_tinydb(tmp_path / "data", database(pg_cluster), NOW, progress)
    report.check()
    assert progress.getvalue() == "imported 2 of 3 athletes\n"


def test_data_dir_from_the_environment_and_no_token_needed(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    url = database(pg_cluster)
    (tmp_path / "data" / "athletes").mkdir(parents=True)
    result = run_bot(tmp_path, "import-tinydb", BOT_DATABASE_URL=url, BOT_DATA_DIR="data")
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout


@pytest.mark.parametrize(
    ("env", "code", "needle"),
    [
        ({}, 2, "BOT_DATABASE_URL is not set"),
        ({"BOT_DATABASE_URL": "mysql://x"}, 2, "BOT_DATABASE_URL: must start with postgresql://"),
        ({"BOT_DATABASE_URL": "postgresql://127.0.0.1:1/x"}, 4, "not a TinyDB data dir"),
    ],
)
def test_settings_and_folder_problems_are_one_line(
    tmp_path: Path, env: dict, code: int, needle: str
) -> None:
    one_line(run_bot(tmp_path, "import-tinydb", str(tmp_path / "nowhere"), **env), code, needle)


async def test_a_running_bot_on_the_folder_stops_the_import(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    """The bot must be stopped first: it would keep changing the files being copied."""
    await seed(tmp_path / "data")
    url = database(pg_cluster)
    with bot_holding(tmp_path / "data"):
        result = importing(tmp_path, url, str(tmp_path / "data"))
    one_line(result, 4, "in use by another bot process")
    assert await held(url) == dict.fromkeys(transfer_module.ROWS, 0)


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data" / "athletes").mkdir(parents=True)
    env = {"BOT_DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/club"}
    line = one_line(run_bot(tmp_path, "import-tinydb", "data", **env), 5, "127.0.0.1:1/club")
    assert "secret" not in line


async def held(url: str) -> dict[str, int]:
    """The rows the database holds for the seeded athletes and teams."""
    store = PostgresStore(url)
    await store.open()
    try:
        return await transfer_module.counts(store.db, list(ATHLETES), [TEAM, QUIET_TEAM])
    finally:
        await store.close()
