"""The due index's snapshot lets a restart skip unchanged athlete files, and is never trusted
for a file that changed: writes after it, a crash before the next one, a hand edit, a damaged
or missing snapshot. Erasure leaves nothing of the athlete in it."""

from __future__ import annotations

import asyncio
import errno
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import TinyStore, atomic, dueindex
from bot.storage.atomic import CorruptDataError, StorageWriteError
from bot.storage.base import ReminderFilter
from tests.test_storage import checkin, reminder

FAR = datetime(2100, 1, 1, tzinfo=UTC)


def indexed(store: TinyStore) -> set[tuple[int, str]]:
    """Every (athlete, reminder id) the store's due index would hand to the dispatcher."""
    return set(store._due.pop_due(FAR, 10**6))


def truth(data_dir: Path) -> set[tuple[int, str]]:
    """The pending reminders found by parsing every file (what start-up used to do)."""
    return {(p.user_id, p.record["id"]) for p in TinyStore(data_dir).scan()}


def restarted(data_dir: Path, parsed: list[int], monkeypatch: pytest.MonkeyPatch) -> TinyStore:
    """A new store loaded from `data_dir`, recording which athlete files it parsed."""
    original = dueindex.read_checked

    def counting(path: Path) -> dict:
        parsed.append(int(path.name.removesuffix(".json")))
        return original(path)

    monkeypatch.setattr(dueindex, "read_checked", counting)
    store = TinyStore(data_dir)
    store.load()
    assert store._due_files.parsed == len(parsed)
    return store


async def seeded(tmp_path: Path, name: str = "data") -> TinyStore:
    """A loaded store with three athletes' check-ins and pending reminders."""
    store = TinyStore(tmp_path / name)
    store.load()
    for uid in (1, 2, 3):
        await store.save_checkin(
            uid, checkin(f"c{uid}"), [reminder(f"r{uid}a"), reminder(f"r{uid}b")]
        )
    return store


async def test_a_clean_restart_parses_no_athlete_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await seeded(tmp_path)
    await store.close()
    parsed: list[int] = []
    fresh = restarted(store.data_dir, parsed, monkeypatch)
    assert parsed == []
    assert (
        indexed(fresh)
        == truth(store.data_dir)
        == {(u, f"r{u}{k}") for u in (1, 2, 3) for k in "ab"}
    )


async def test_writes_after_the_snapshot_are_read_from_their_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash (no clean stop) after writes: exactly the changed files are parsed again."""
    store = await seeded(tmp_path)
    await store.close()
    await store.update_reminders(2, (ReminderFilter(ids=frozenset({"r2a"})),), {"status": "sent"})
    await store.update_reminders(3, (), new=[reminder("r3c")])
    await store.set_state(1, "checkin", {"step": 2})  # its own file: the athlete file stays
    await store.update_profile(1, {"bedtime": "22:00"})  # changes the file, not its reminders
    parsed: list[int] = []
    fresh = restarted(store.data_dir, parsed, monkeypatch)  # no close(): as after SIGKILL
    assert sorted(parsed) == [1, 2, 3]
    assert indexed(fresh) == truth(store.data_dir)
    assert {(2, "r2b"), (3, "r3c")} <= truth(store.data_dir)
    assert (2, "r2a") not in truth(store.data_dir)


async def test_a_hand_edited_file_is_parsed_and_a_broken_one_named(tmp_path: Path) -> None:
    store = await seeded(tmp_path)
    await store.close()
    path = store.path(2)
    doc = json.loads(path.read_bytes())
    doc["reminders"]["1"]["status"] = "cancelled"
    path.write_text(json.dumps(doc))
    fresh = TinyStore(store.data_dir)
    fresh.load()
    assert indexed(fresh) == truth(store.data_dir)
    assert (2, "r2a") not in indexed(fresh) | truth(store.data_dir)
    await fresh.close()
    path.write_bytes(b'{"reminders": {"1": ')
    with pytest.raises(CorruptDataError, match=path.name):
        TinyStore(store.data_dir).load()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"due-index 1\n1 2 3 4 5 []\n",  # another version
        b"due-index 2\nx 1 2\n",
        b"due-index 2\n1 2 3\n2 a b c d []\n3 1 1 1 1 [[\n",  # damaged lines
    ],
)
async def test_a_damaged_or_foreign_snapshot_means_a_full_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    store = await seeded(tmp_path)
    await store.close()
    (store.data_dir / dueindex.NAME).write_bytes(content)
    parsed: list[int] = []
    fresh = restarted(store.data_dir, parsed, monkeypatch)
    assert sorted(parsed) == [1, 2, 3]
    assert indexed(fresh) == truth(store.data_dir)


async def test_a_snapshot_entry_is_not_trusted_for_a_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another version of the same size: its identity still differs."""
    store = await seeded(tmp_path)
    await store.close()
    path = store.path(1)
    doc = json.loads(path.read_bytes())
    size = path.stat().st_size
    doc["reminders"]["1"]["status"] = "dropped"  # as long as "pending"
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    assert path.stat().st_size == size
    parsed: list[int] = []
    fresh = restarted(store.data_dir, parsed, monkeypatch)
    assert parsed == [1]
    assert (1, "r1a") not in indexed(fresh)


async def test_erasure_leaves_nothing_in_the_snapshot(tmp_path: Path) -> None:
    store = await seeded(tmp_path)
    await store.close()
    await store.erase(2)
    raw = (store.data_dir / dueindex.NAME).read_text()
    assert not [line for line in raw.splitlines() if line.startswith("2 ")]
    assert "r2a" not in raw
    assert "r1a" in raw  # the others stay trusted
    await store.close()
    assert "r2a" not in (store.data_dir / dueindex.NAME).read_text()


async def test_a_folder_fsync_failing_after_the_rename_is_read_again_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write is reported failed although the file was replaced: its line is left out of
    the next snapshot, so the start after reads the file and indexes what it holds."""
    store = await seeded(tmp_path)
    real = atomic.fsync_dir

    def failing(folder: Path) -> None:
        if folder.name == "athletes":
            raise OSError(errno.EIO, "I/O error")
        real(folder)

    monkeypatch.setattr(atomic, "fsync_dir", failing)
    with pytest.raises(StorageWriteError):
        await store.save_checkin(1, checkin("c9"), [reminder("r1z")])
    monkeypatch.setattr(atomic, "fsync_dir", real)
    await store.close()
    fresh = TinyStore(store.data_dir)
    fresh.load()
    assert (1, "r1z") in truth(store.data_dir)
    assert indexed(fresh) == truth(store.data_dir)


@pytest.mark.parametrize("entries", ["[1]", '[["r","not a time"]]', '[["r",5]]', "{}"])
async def test_a_line_with_bad_entries_is_not_trusted(tmp_path: Path, entries: str) -> None:
    """Valid JSON of the wrong shape (or a CRC that does not match) means reading the file."""
    store = await seeded(tmp_path)
    await store.close()
    snapshot = store.data_dir / dueindex.NAME
    head, *lines = snapshot.read_text().splitlines()
    uid, *identity, _crc, _entries = lines[0].split(" ", 6)
    key = tuple(map(int, identity))
    forged = dueindex.line(int(uid), key, entries)  # a correct CRC over bad entries
    flipped = lines[1].replace("r", "x", 1)  # a damaged line: its CRC no longer matches
    snapshot.write_text("\n".join([head, forged.rstrip("\n"), flipped, *lines[2:]]) + "\n")
    fresh = TinyStore(store.data_dir)
    fresh.load()
    assert indexed(fresh) == truth(store.data_dir)


async def test_concurrent_erasures_leave_neither_athlete_in_the_snapshot(tmp_path: Path) -> None:
    store = await seeded(tmp_path)
    await store.close()
    await asyncio.gather(store.erase(1), store.erase(2), store.erase(3))
    lines = (store.data_dir / dueindex.NAME).read_text().splitlines()[1:]
    assert lines == []


async def test_a_killed_snapshot_rewrite_leaves_nothing_behind(tmp_path: Path) -> None:
    """A temp file of a rewrite cut short (it holds every athlete's line) goes at the next
    start, before anyone could be erased and linger in it."""
    store = await seeded(tmp_path)
    await store.close()
    leftover = store.data_dir / f".{dueindex.NAME}.k1ll3d.tmp"
    leftover.write_text((store.data_dir / dueindex.NAME).read_text())
    TinyStore(store.data_dir).load()
    assert not leftover.exists()
