"""One athlete's TinyDB files as the TinyDB store uses them: `<id>.json` holds the profile,
check-ins and reminders; `<id>.state.json` the conversation state (the check-in being answered),
so that an answer rewrites a file of a few hundred bytes, not the athlete's whole history."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.table import Document, Table

from bot.storage.atomic import (
    AtomicJSONStorage,
    CorruptDataError,
    backup_path,
    dumps,
    json_copy,
)
from bot.storage.base import Record, Where

PROFILE, CHECKINS, REMINDERS, STATE = "profile", "checkins", "reminders", "state"
PROFILE_ID = 1
log = logging.getLogger(__name__)
STATE_SUFFIX = ".state.json"


def athlete_id(name: str, *, state_too: bool = False) -> int | None:
    """The athlete id of a data file's name (`<id>.json`; with `state_too` also
    `<id>.state.json`), None for any other file."""
    if state_too and name.endswith(STATE_SUFFIX):
        name = name.removesuffix(STATE_SUFFIX) + ".json"
    stem, dot, ext = name.partition(".")
    return int(stem) if dot and ext == "json" and stem.lstrip("-").isdigit() else None


def state_path(path: Path) -> Path:
    """The conversation-state file beside an athlete file (`<id>.state.json`)."""
    return path.with_name(path.name.removesuffix(".json") + STATE_SUFFIX)


def remove_files(path: Path) -> None:
    """Delete an athlete file and its state file, with their backups, copies set aside by a
    restore and leftovers of killed writes."""
    for file in (path, state_path(path)):
        file.unlink(missing_ok=True)
        backup_path(file).unlink(missing_ok=True)
        for aside in file.parent.glob(f"{file.name}.corrupt-*"):
            aside.unlink(missing_ok=True)
        for leftover in file.parent.glob(f".{file.name}.*.tmp"):
            leftover.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class PendingReminder:
    """A pending reminder found in an athlete file."""

    user_id: int
    record: Record


class TableCachingStorage(AtomicJSONStorage):
    """Keeps each table's JSON as last written, so a batched write encodes only the tables
    touched in the batch (an answer's draft, not a long history)."""

    def __init__(self, path: Path) -> None:
        """Nothing encoded yet."""
        super().__init__(path)
        self._encoded: dict[str, bytes] = {}
        self.touched: set[str] = set()  # tables changed since the owner last cleared it

    @property
    def batching(self) -> bool:
        """Whether a batch is open (its changes are written when it ends)."""
        return self._batch_depth > 0

    def touch(self, table: str) -> None:
        """The table may change: encode it anew on the next write."""
        self._encoded.pop(table, None)
        self.touched.add(table)

    def write(self, data: dict[str, Any]) -> None:
        """Keep `data`; a write outside a batch may have changed any table."""
        if not self.batching:
            self._encoded.clear()
        super().write(data)

    def encode(self) -> bytes:
        """The file's bytes, reusing the JSON of every untouched table."""
        parts = [b"{"]
        for name, rows in (self._data or {}).items():
            text = self._encoded.get(name)
            if text is None:
                text = self._encoded[name] = dumps(rows).encode()
            parts += [b"," if len(parts) > 1 else b"", dumps(name).encode(), b":", text]
        return b"".join([*parts, b"}"])

    def discard(self) -> None:
        """Forget the data and its encodings."""
        super().discard()
        self._encoded.clear()


class AthleteFile:
    """One athlete's TinyDB (only used while holding the athlete's lock in the Store)."""

    def __init__(self, path: Path) -> None:
        """Open (lazily) the athlete's files."""
        self.storage = TableCachingStorage(path)
        self.db = TinyDB(storage=lambda: self.storage)
        # no .bak for the draft: a link and an unlink less per answer, and nothing worth restoring
        self.state_storage = AtomicJSONStorage(state_path(path), backup=False)
        self.state_db = TinyDB(storage=lambda: self.state_storage)

    def table(self, name: str) -> Table:
        """A table without a query cache (the storage already keeps the data in memory); every
        change is made in a batch through here, so the table is encoded anew when it ends."""
        if self.storage.batching:
            self.storage.touch(name)
        return self.db.table(name, cache_size=0)

    def state(self, key: str) -> Record | None:
        """A piece of conversation state."""
        return get_keyed(self._state_table(), key)

    def set_state(self, key: str, value: Record | None) -> None:
        """Replace (or with None, delete) a piece of conversation state: one durable write."""
        if value is not None or self.state(key) is not None:
            with self.state_storage.batch():
                put_keyed(self._state_table(), key, value)

    def state_rows(self) -> list[Record]:
        """Every piece of conversation state as stored (key, value)."""
        return [plain(d) for d in self._state_table().all()]

    def _state_table(self) -> Table:
        """The state file's one table. A damaged state file is set aside (`.corrupt-<time>`,
        as `restore` does) and started anew: it only holds an unfinished check-in."""
        try:
            self.state_storage.read()
        except CorruptDataError as exc:
            path = self.state_storage.path
            aside = path.with_name(f"{path.name}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}")
            os.replace(path, aside)
            log.error("%s: set aside as %s, the unfinished check-in starts again", exc, aside.name)
        return self.state_db.table(STATE, cache_size=0)

    def move_legacy_state(self) -> None:
        """Files written before the state had a file of its own keep it as a table: copy it to
        the state file (unless that exists), then drop it. Each step is durable, so a crash in
        between repeats only what is left."""
        legacy = (self.storage.read() or {}).get(STATE)
        if legacy is None:
            return
        self._state_table()  # a damaged state file is set aside first
        if self.state_storage.read() is None:
            self.state_storage.write({STATE: json_copy(legacy)})
        with self.storage.batch():
            self.table(STATE)
            self.db.drop_table(STATE)

    def rows(self, name: str) -> list[Record]:
        """Copies of a table's records in stored order (straight from the data: no TinyDB
        Document per record, which cost a third of reading a long history)."""
        return json_copy(self.stored(name))

    def stored(self, name: str) -> list[Record]:
        """A table's records as stored (not copies: read them under the athlete's lock)."""
        return list(((self.storage.read() or {}).get(name) or {}).values())


def plain(doc: Document | None) -> Record | None:
    """A detached plain-dict copy of a TinyDB document."""
    return None if doc is None else json_copy(dict(doc))


def change(
    table: Table, where: Where, changes: Mapping[str, Any], each: Mapping[str, Record]
) -> list[Record]:
    """Merge `changes` (and `each`'s per-id ones) into the records `where` selects; return
    them as changed, in the order stored."""
    touched = []
    for doc in table.all():
        if any(f.matches(doc) for f in where):
            merged = {**changes, **each.get(doc["id"], {})}
            table.update(merged, doc_ids=[doc.doc_id])
            touched.append(json_copy({**doc, **merged}))
    return touched


def get_keyed(table: Table, key: str) -> Record | None:
    """The value stored under `key` in a key/value table."""
    doc = table.get(Query().key == key)
    return None if doc is None else json_copy(doc["value"])


def put_keyed(table: Table, key: str, value: Record | None) -> None:
    """Set (or remove) `key` in a key/value table."""
    if value is None:
        table.remove(Query().key == key)
    else:
        table.upsert({"key": key, "value": value}, Query().key == key)
