"""Tests of the durable per-athlete TinyStore and its atomic JSON storage (real files)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.athletes import service
from bot.storage import CorruptDataError, StorageWriteError, TinyStore, atomic
from bot.storage.athlete_file import remove_files
from bot.storage.base import PENDING, ReminderFilter

UID = 4242


def checkin(cid: str, *, update_id: int | None = None, **extra: object) -> dict:
    """A minimal check-in record."""
    return {
        "id": cid,
        "update_id": update_id,
        "created_at": f"2024-05-01T10:00:{cid[-2:]}",
        **extra,
    }


def reminder(rid: str, status: str = "pending", **extra: object) -> dict:
    """A minimal reminder record."""
    return {
        "id": rid,
        "status": status,
        "due_at": "2024-05-02T08:00:00+00:00",
        "expires_at": "2024-05-02T09:00:00+00:00",
        **extra,
    }


def on_disk(store: TinyStore, uid: int = UID) -> dict:
    """The athlete's file as parsed straight from disk."""
    return json.loads((store.athletes_dir / f"{uid}.json").read_bytes())


def state_on_disk(store: TinyStore, uid: int = UID) -> dict:
    """The athlete's conversation-state file as parsed straight from disk (its one table)."""
    return json.loads((store.athletes_dir / f"{uid}.state.json").read_bytes())["state"]


def tmp_files(store: TinyStore) -> list[Path]:
    """Temp files left in the athletes folder."""
    return [p for p in store.athletes_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture
def store(tmp_path: Path) -> TinyStore:
    """A prepared TinyStore in a fresh folder."""
    s = TinyStore(tmp_path / "data")
    s.prepare()
    return s


# -- profile and state -------------------------------------------------------------------------


async def test_profile_round_trip_and_merge(store: TinyStore) -> None:
    assert await store.profile(UID) is None
    assert await store.update_profile(UID, {"name": "Ann", "sport": "run"}) == {
        "name": "Ann",
        "sport": "run",
    }
    merged = await store.update_profile(UID, {"sport": "bike", "tz": "Europe/Oslo"})
    assert merged == {"name": "Ann", "sport": "bike", "tz": "Europe/Oslo"}
    assert await store.profile(UID) == merged
    assert on_disk(store)["profile"] == {"1": merged}


async def test_profile_returned_and_passed_dicts_are_detached(store: TinyStore) -> None:
    changes = {"tags": ["a"]}
    returned = await store.update_profile(UID, changes)
    changes["tags"].append("from-input")
    returned["tags"].append("from-output")
    (await store.profile(UID))["tags"].append("from-read")
    assert await store.profile(UID) == {"tags": ["a"]}
    assert on_disk(store)["profile"]["1"] == {"tags": ["a"]}


async def test_state_set_get_delete(store: TinyStore) -> None:
    assert await store.state(UID, "checkin") is None
    await store.set_state(UID, "checkin", {"step": 1, "answers": {"q1": 3}})
    await store.set_state(UID, "other", {"x": 1})
    assert await store.state(UID, "checkin") == {"step": 1, "answers": {"q1": 3}}
    await store.set_state(UID, "checkin", {"step": 2, "answers": {"q1": 3, "q2": 5}})
    assert await store.state(UID, "checkin") == {"step": 2, "answers": {"q1": 3, "q2": 5}}
    await store.set_state(UID, "checkin", None)
    assert await store.state(UID, "checkin") is None
    assert await store.state(UID, "other") == {"x": 1}
    assert [row["key"] for row in state_on_disk(store).values()] == ["other"]
    assert not (store.athletes_dir / f"{UID}.json").exists()  # state alone: its own file


async def test_state_mutating_returned_or_passed_dict_changes_nothing(store: TinyStore) -> None:
    value = {"answers": {"q1": 1}}
    await store.set_state(UID, "checkin", value)
    value["answers"]["q1"] = 99
    got = await store.state(UID, "checkin")
    got["answers"]["q1"] = 42
    got["extra"] = True
    assert await store.state(UID, "checkin") == {"answers": {"q1": 1}}
    assert next(iter(state_on_disk(store).values()))["value"] == {"answers": {"q1": 1}}


# -- check-ins -----------------------------------------------------------------------------------


async def test_save_checkin_dedupes_by_id(store: TinyStore) -> None:
    assert await store.save_checkin(UID, checkin("c01", update_id=1), [reminder("r1")]) is True
    assert await store.save_checkin(UID, checkin("c01", update_id=2), [reminder("r2")]) is False
    assert [r["id"] for r in await store.checkins(UID)] == ["c01"]
    data = on_disk(store)
    assert [r["id"] for r in data["checkins"].values()] == ["c01"]
    assert [r["id"] for r in data["reminders"].values()] == ["r1"]


async def test_save_checkin_dedupes_by_update_id(store: TinyStore) -> None:
    assert await store.save_checkin(UID, checkin("c01", update_id=7), []) is True
    assert await store.save_checkin(UID, checkin("c02", update_id=7), [reminder("r")]) is False
    # records without update_id never collide on it
    assert await store.save_checkin(UID, checkin("c03"), []) is True
    assert await store.save_checkin(UID, checkin("c04"), []) is True
    assert [r["id"] for r in on_disk(store)["checkins"].values()] == ["c01", "c03", "c04"]
    assert "reminders" not in on_disk(store) or not on_disk(store)["reminders"]


async def test_save_checkin_is_one_write_then_the_draft_is_cleared(
    store: TinyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.set_state(UID, "checkin", {"step": 3})
    await store.set_state(UID, "keep", {"v": 1})
    real_replace = os.replace
    calls: list[tuple[str, str]] = []

    def counting_replace(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", counting_replace)
    saved = await store.save_checkin(
        UID, checkin("c01"), [reminder("r1"), reminder("r2")], clear_state="checkin"
    )
    assert saved is True
    # the check-in and its reminders in one write; only then the draft goes, from its own file
    assert [dst for _src, dst in calls] == [
        str(store.athletes_dir / f"{UID}.json"),
        str(store.athletes_dir / f"{UID}.state.json"),
    ]
    data = on_disk(store)
    assert [r["id"] for r in data["checkins"].values()] == ["c01"]
    assert [r["id"] for r in data["reminders"].values()] == ["r1", "r2"]
    assert "state" not in data
    assert [row["key"] for row in state_on_disk(store).values()] == ["keep"]
    # a duplicate does not touch the disk at all
    assert await store.save_checkin(UID, checkin("c01"), [reminder("r3")], clear_state="x") is False
    assert len(calls) == 2


async def test_a_crash_before_the_draft_is_cleared_loses_nothing(
    store: TinyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored check-in, draft not yet cleared (the write after it failed): the check-in is
    reported stored (it is); the redelivered answer finds it and clears the draft; nothing is
    stored twice."""
    await store.set_state(UID, "checkin", {"step": 8})
    real_replace = os.replace

    def fail_on_state(src: str, dst: str) -> None:
        if str(dst).endswith(".state.json"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "replace", fail_on_state)
        saved = await store.save_checkin(
            UID, checkin("c01", update_id=7), [], clear_state="checkin"
        )
    assert saved is True
    fresh = TinyStore(store.data_dir)  # as after a restart
    assert [c["id"] for c in await fresh.checkins(UID)] == ["c01"]
    assert await fresh.state(UID, "checkin") == {"step": 8}
    again = checkin("c01", update_id=7)
    assert await fresh.save_checkin(UID, again, [], clear_state="checkin") is False
    assert await fresh.state(UID, "checkin") is None
    assert [c["id"] for c in await fresh.checkins(UID)] == ["c01"]


async def test_a_legacy_file_s_state_moves_to_its_own_file(store: TinyStore) -> None:
    """Files from before the split keep the state as a table: it is moved on first use."""
    legacy = {
        "profile": {"1": {"tz": "UTC"}},
        "state": {"1": {"key": "checkin", "value": {"step": 4}}},
    }
    (store.athletes_dir / f"{UID}.json").write_text(json.dumps(legacy))
    assert await store.state(UID, "checkin") == {"step": 4}
    assert "state" not in on_disk(store)
    assert on_disk(store)["profile"] == {"1": {"tz": "UTC"}}
    assert [row["value"] for row in state_on_disk(store).values()] == [{"step": 4}]
    await store.set_state(UID, "checkin", None)
    assert await TinyStore(store.data_dir).state(UID, "checkin") is None


async def test_checkins_sorted_and_fetched_by_id(store: TinyStore) -> None:
    await store.save_checkin(UID, checkin("c02"), [])
    await store.save_checkin(UID, checkin("c01"), [])
    assert [r["id"] for r in await store.checkins(UID)] == ["c01", "c02"]
    assert (await store.checkin(UID, "c02"))["id"] == "c02"
    assert await store.checkin(UID, "missing") is None
    assert await store.checkins(999) == []


async def test_update_reminders_only_touches_pending_matches(store: TinyStore) -> None:
    await store.save_checkin(
        UID,
        checkin("c01"),
        [
            reminder("a1", kind="a"),
            reminder("a2", status="sent", kind="a"),
            reminder("b1", kind="b"),
            reminder("a3", status="cancelled", kind="a"),
        ],
    )
    await store.add_reminders(UID, [reminder("a4", kind="a")])
    kind_a = (ReminderFilter(kinds=frozenset({"a"})),)
    hit = await store.update_reminders(UID, kind_a, {"status": "cancelled", "why": "test"})
    assert sorted(r["id"] for r in hit) == ["a1", "a4"]
    by_id = {r["id"]: r for r in on_disk(store)["reminders"].values()}
    assert by_id["a1"]["status"] == by_id["a4"]["status"] == "cancelled"
    assert by_id["a1"]["why"] == "test"
    assert by_id["a2"] == reminder("a2", status="sent", kind="a")
    assert by_id["a3"] == reminder("a3", status="cancelled", kind="a")
    assert by_id["b1"] == reminder("b1", kind="b")
    assert [r["id"] for r in await store.update_reminders(UID, (PENDING,), {"status": "x"})] == [
        "b1"
    ]
    assert (await store.reminder(UID, "b1"))["status"] == "x"


# -- start-up scan and corruption -----------------------------------------------------------------


async def test_scan_returns_pending_reminders_across_athletes(store: TinyStore) -> None:
    await store.save_checkin(1, checkin("c01"), [reminder("p1"), reminder("s1", status="sent")])
    await store.save_checkin(2, checkin("c02"), [reminder("p2"), reminder("p3")])
    await store.save_checkin(3, checkin("c03"), [reminder("s3", status="done")])
    await store.update_profile(-100, {"group": True})
    found = {(p.user_id, p.record["id"]) for p in TinyStore(store.data_dir).scan()}
    assert found == {(1, "p1"), (2, "p2"), (2, "p3")}
    assert sorted(TinyStore(store.data_dir).athlete_ids()) == [-100, 1, 2, 3]


@pytest.mark.parametrize(
    "content",
    [b'{"checkins":{"1":{"id":"c', b"\x00\xff garbage", b"", b"[1, 2]"],
    ids=["truncated", "garbage", "empty", "not-an-object"],
)
async def test_scan_names_corrupt_file(store: TinyStore, content: bytes) -> None:
    await store.save_checkin(1, checkin("c01"), [reminder("ok")])
    broken = store.athletes_dir / "77.json"
    broken.write_bytes(content)
    with pytest.raises(CorruptDataError) as info:
        TinyStore(store.data_dir).scan()
    assert str(broken) in str(info.value)
    assert info.value.path == broken


async def test_write_to_corrupt_file_raises_and_leaves_it(store: TinyStore) -> None:
    broken = store.athletes_dir / f"{UID}.json"
    broken.write_bytes(b'{"checkins": {')
    with pytest.raises(CorruptDataError):
        await store.save_checkin(UID, checkin("c01"), [])
    with pytest.raises(CorruptDataError):
        await store.profile(UID)
    assert broken.read_bytes() == b'{"checkins": {'


# -- files on disk ------------------------------------------------------------------------------


async def test_files_are_owner_only(store: TinyStore) -> None:
    await store.save_checkin(UID, checkin("c01"), [reminder("r1")])
    await store.update_profile(UID, {"name": "Ann"})
    path = store.athletes_dir / f"{UID}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.athletes_dir.stat().st_mode) == 0o700


async def test_data_survives_fresh_store(store: TinyStore) -> None:
    await store.update_profile(UID, {"name": "Ann"})
    await store.set_state(UID, "checkin", {"step": 2})
    await store.save_checkin(UID, checkin("c01", update_id=5), [reminder("r1")])
    fresh = TinyStore(store.data_dir)
    assert await fresh.profile(UID) == {"name": "Ann"}
    assert await fresh.state(UID, "checkin") == {"step": 2}
    assert [r["id"] for r in await fresh.checkins(UID)] == ["c01"]
    assert await fresh.reminder(UID, "r1") == reminder("r1")
    assert await fresh.save_checkin(UID, checkin("c99", update_id=5), []) is False


async def test_forget_erases_every_trace(store: TinyStore) -> None:
    uid, other = 918273645, 5
    await store.update_profile(uid, {"name": "Secret Name"})
    await store.save_checkin(uid, checkin("c01", note="Secret Note"), [reminder("r1")])
    await store.set_state(uid, "checkin", {"step": 1})
    await store.save_checkin(other, checkin("c02"), [reminder("r2")])
    # a temp file left by a write that was killed half-way also holds the athlete's data
    (store.athletes_dir / f".{uid}.json.abc123.tmp").write_bytes(b'{"profile": "Secret Name')
    await service.forget(store, uid)

    for path in store.data_dir.rglob("*"):
        assert str(uid) not in path.name, path
        if path.is_file():
            content = path.read_bytes()
            assert str(uid).encode() not in content, path
            assert b"Secret" not in content, path
    assert await store.profile(uid) is None
    assert await store.checkins(uid) == []
    assert await store.state(uid, "checkin") is None
    assert [r["id"] for r in await store.checkins(other)] == ["c02"]
    assert sorted(store.athlete_ids()) == [other]
    await service.forget(store, uid)  # forgetting twice is harmless
    assert await TinyStore(store.data_dir).profile(uid) is None


# -- write failures -----------------------------------------------------------------------------


def enospc(*_args: object, **_kwargs: object) -> None:
    """Fail like a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("victim", ["replace", "fsync"])
async def test_write_failure_keeps_old_data(
    store: TinyStore, monkeypatch: pytest.MonkeyPatch, victim: str
) -> None:
    await store.update_profile(UID, {"name": "Ann"})
    await store.set_state(UID, "checkin", {"step": 2})
    await store.save_checkin(UID, checkin("c01", update_id=1), [reminder("r1")])
    path = store.athletes_dir / f"{UID}.json"
    before = path.read_bytes()

    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, victim, enospc)
        with pytest.raises(StorageWriteError, match="No space left"):
            await store.save_checkin(
                UID, checkin("c02", update_id=2), [reminder("r2")], clear_state="checkin"
            )
        with pytest.raises(StorageWriteError):
            await store.update_profile(UID, {"name": "Bob"})
        assert path.read_bytes() == before
        assert tmp_files(store) == []
        # reads still work and show exactly what is on disk
        assert [r["id"] for r in await store.checkins(UID)] == ["c01"]
        assert [r["id"] for r in await store.reminders(UID)] == ["r1"]
        assert await store.state(UID, "checkin") == {"step": 2}
        assert await store.profile(UID) == {"name": "Ann"}

    # the fault is gone: the same check-in is not a "duplicate" and now lands
    assert await store.save_checkin(
        UID, checkin("c02", update_id=2), [reminder("r2")], clear_state="checkin"
    )
    assert await store.update_profile(UID, {"name": "Bob"}) == {"name": "Bob"}
    data = on_disk(store)
    assert [r["id"] for r in data["checkins"].values()] == ["c01", "c02"]
    assert [r["id"] for r in data["reminders"].values()] == ["r1", "r2"]
    assert not state_on_disk(store)
    assert data["profile"]["1"] == {"name": "Bob"}
    assert tmp_files(store) == []


async def test_unencodable_value_does_not_stick_in_memory(store: TinyStore) -> None:
    await store.save_checkin(UID, checkin("c01"), [])
    before = (store.athletes_dir / f"{UID}.json").read_bytes()
    with pytest.raises(TypeError):
        await store.save_checkin(UID, checkin("c02", when=datetime.now(UTC)), [])
    assert (store.athletes_dir / f"{UID}.json").read_bytes() == before
    assert [r["id"] for r in await store.checkins(UID)] == ["c01"]
    assert await store.save_checkin(UID, checkin("c03"), []) is True
    assert [r["id"] for r in on_disk(store)["checkins"].values()] == ["c01", "c03"]
    assert tmp_files(store) == []


# -- concurrency --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_athletes", "n_writes", "max_open"),
    [(20, 200, 512), (5, 500, 2)],
    ids=["20-athletes", "eviction-churn"],
)
async def test_concurrent_writes_all_land(
    tmp_path: Path, n_athletes: int, n_writes: int, max_open: int
) -> None:
    store = TinyStore(tmp_path / "data", max_open=max_open)
    store.prepare()
    athletes = range(100, 100 + n_athletes)
    per_athlete = n_writes // n_athletes

    async def one(n: int) -> bool:
        uid = athletes[n % n_athletes]
        return await store.save_checkin(
            uid, checkin(f"c{n:03d}", update_id=n), [reminder(f"r{n:03d}")]
        )

    assert all(await asyncio.gather(*(one(n) for n in range(n_writes))))
    fresh = TinyStore(store.data_dir)
    for uid in athletes:
        assert len(await fresh.checkins(uid)) == per_athlete, uid
        assert len(await fresh.reminders(uid)) == per_athlete, uid
    assert len(fresh.scan()) == n_writes


async def test_event_loop_not_blocked(store: TinyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fsync of a save waits for the event loop to run a callback meanwhile: a save that
    blocked the loop would never finish its fsync (and fail here instead of hanging)."""
    real_fsync = os.fsync
    loop = asyncio.get_running_loop()
    waits: list[bool] = []

    def fsync_needing_the_loop(fd: int) -> None:
        ran = threading.Event()
        loop.call_soon_threadsafe(ran.set)
        waits.append(ran.wait(timeout=5))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync_needing_the_loop)
    assert await store.save_checkin(UID, checkin("c01"), []) is True
    assert waits, "the save did not fsync"
    assert all(waits), "a save's fsync ran while the event loop stood still"


async def test_an_answer_leaves_the_history_file_alone(store: TinyStore) -> None:
    """A draft write (every answer) replaces only the small state file, whatever the history."""
    for n in range(50):
        await store.save_checkin(UID, checkin(f"c{n:02d}"), [reminder(f"r{n}")])
    history = store.athletes_dir / f"{UID}.json"
    before = (history.stat().st_ino, history.stat().st_mtime_ns)
    await store.set_state(UID, "checkin", {"step": 3, "answers": {"rpe": 6}})
    assert (history.stat().st_ino, history.stat().st_mtime_ns) == before
    assert (store.athletes_dir / f"{UID}.state.json").stat().st_size < 200


def test_concurrent_writers_share_a_folder_fsync_that_began_after_their_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: 24 writers, fewer fsyncs, and each returns only after one that started
    after it asked (so after its rename) has finished."""
    syncs: list[tuple[float, float]] = []

    def slow_fsync(folder: Path) -> None:
        start = time.monotonic()
        time.sleep(0.01)
        syncs.append((start, time.monotonic()))

    monkeypatch.setattr(atomic, "fsync_dir", slow_fsync)
    folder_sync = atomic.FolderSync()
    calls: list[tuple[float, float]] = []

    def writer() -> None:
        asked = time.monotonic()
        folder_sync.sync(tmp_path)
        calls.append((asked, time.monotonic()))

    threads = [threading.Thread(target=writer) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 24
    assert len(syncs) < 24
    for asked, returned in calls:
        assert any(asked <= start and end <= returned for start, end in syncs)


async def test_a_failed_legacy_move_is_tried_again(
    store: TinyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk refuses the first move of a legacy draft: the draft is not hidden for the
    rest of the process, the next read moves it."""
    legacy = {"profile": {"1": {"consent": True}}, "state": {"1": {"key": "c", "value": {"s": 3}}}}
    (store.athletes_dir / f"{UID}.json").write_text(json.dumps(legacy))
    real = atomic.atomic_write
    refused: list[Path] = []

    def refuse_once(path: Path, payload: object, *, backup: bool = False) -> None:
        if path.name.endswith(".state.json") and not refused:
            refused.append(path)
            raise OSError(28, "No space left on device")
        real(path, payload, backup=backup)

    monkeypatch.setattr(atomic, "atomic_write", refuse_once)
    with pytest.raises(StorageWriteError):
        await store.state(UID, "c")
    assert await store.state(UID, "c") == {"s": 3}
    assert "state" not in on_disk(store)


async def test_a_damaged_state_file_is_set_aside_and_the_import_check_names_it(
    store: TinyStore,
) -> None:
    """At run time the athlete is not stuck (only an unfinished check-in is lost, kept aside);
    the full check before an import names the file."""
    await store.save_checkin(UID, checkin("c01"), [reminder("r1")])
    (store.athletes_dir / f"{UID}.state.json").write_text("{broken")
    with pytest.raises(CorruptDataError, match=f"{UID}.state.json"):
        TinyStore(store.data_dir).scan()
    fresh = TinyStore(store.data_dir)
    assert await fresh.state(UID, "checkin") is None
    await fresh.set_state(UID, "checkin", {"step": 1})
    assert await TinyStore(store.data_dir).state(UID, "checkin") == {"step": 1}
    assert list(store.athletes_dir.glob(f"{UID}.state.json.corrupt-*"))
    await fresh.erase(UID)
    assert not [p for p in store.athletes_dir.iterdir() if p.name.startswith(f"{UID}.")]


async def test_a_read_waiting_on_an_erasure_does_not_bring_the_athlete_back(
    store: TinyStore,
) -> None:
    """The erasure takes the lock first (deterministically: it is done here, under the lock,
    as `erase` does it); the read that waited finds nothing and opens nothing."""
    await store.save_checkin(UID, checkin("c01"), [reminder("r1")])
    lock = store._lock(UID)
    lock.acquire()
    reading = asyncio.create_task(store.checkins(UID))  # passes the first check, then waits
    await asyncio.sleep(0.1)
    remove_files(store.path(UID))  # what erase does under the athlete's lock
    store._open.pop(UID, None)
    lock.release()
    assert await reading == []
    assert UID not in store._open
    assert await store.update_reminders(UID, (), new=[reminder("r2")], create=False) == []
    assert not (store.athletes_dir / f"{UID}.json").exists()
