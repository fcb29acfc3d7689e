"""A write re-encodes only the tables it touched: the file still holds exactly the store's data."""

from __future__ import annotations

import json
from pathlib import Path

from bot.storage import TinyStore
from bot.storage.athlete_file import CHECKINS, REMINDERS, STATE, TableCachingStorage
from bot.storage.base import ReminderFilter
from tests.test_storage import UID, checkin, on_disk, reminder


async def _everything_again(data_dir: Path) -> dict[str, list[dict]]:
    """What a freshly started store reads back from the files."""
    fresh = TinyStore(data_dir)
    return await fresh.everything(UID)


async def test_every_kind_of_write_leaves_the_whole_data_on_disk(tmp_path: Path) -> None:
    """Interleaved reads and writes of different tables: after each, disk == memory."""
    store = TinyStore(tmp_path / "data")
    store.prepare()
    writes = [
        lambda: store.update_profile(UID, {"tz": "Europe/Berlin"}),
        lambda: store.set_state(UID, "draft", {"step": 1}),
        lambda: store.save_checkin(
            UID, checkin("c01", refuelled_at=None), [reminder("r1"), reminder("r2")]
        ),
        lambda: store.checkins(UID),
        lambda: store.set_state(UID, "draft", {"step": 2}),
        lambda: store.update_reminders(UID, (ReminderFilter(ids=frozenset({"r1"})),), {"x": 1}),
        lambda: store.reminders(UID),
        lambda: store.set_refuelled(UID, "c01", "2024-05-01T11:00:00", (), {}),
        lambda: store.save_checkin(UID, checkin("c02"), [], clear_state="draft"),
        lambda: store.link_team(UID, -100, "2024-05-01"),
    ]
    for write in writes:
        await write()
        assert on_disk(store) == json.loads(json.dumps(store._open[UID].storage.read()))
        assert await _everything_again(store.data_dir) == await store.everything(UID)
    assert [c["id"] for c in await store.checkins(UID)] == ["c01", "c02"]
    assert on_disk(store)[REMINDERS]["1"]["x"] == 1
    assert on_disk(store)[CHECKINS]["1"]["refuelled_at"] == "2024-05-01T11:00:00"
    assert STATE not in on_disk(store)  # the conversation state has its own file
    assert await store.state(UID, "draft") is None


def test_a_write_outside_a_batch_encodes_every_table(tmp_path: Path) -> None:
    """Without a batch nothing says which table changed, so none is reused."""
    path = tmp_path / "a.json"
    storage = TableCachingStorage(path)
    storage.write({"a": {"1": {"v": 1}}, "b": {}})
    data = storage.read()
    assert data is not None
    data["a"]["1"]["v"] = 2
    storage.write(data)
    assert json.loads(path.read_bytes()) == {"a": {"1": {"v": 2}}, "b": {}}
