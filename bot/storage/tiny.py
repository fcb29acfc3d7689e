"""The TinyDB store: every athlete's data in one durable file per athlete (one process)."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query
from tinydb.table import Document

from bot.storage import dirlock, dueindex
from bot.storage.agenda import AT_ONCE, Agenda
from bot.storage.athlete_file import (
    CHECKINS,
    PROFILE,
    PROFILE_ID,
    REMINDERS,
    STATE,
    AthleteFile,
    PendingReminder,
    athlete_id,
    change,
    plain,
    remove_files,
    state_path,
)
from bot.storage.atomic import CorruptDataError, StorageWriteError
from bot.storage.base import Record, ReminderFilter, Store, Where, linked_profile, pending
from bot.storage.recover import read_checked
from bot.storage.teams import TinyTeamStore

log = logging.getLogger(__name__)
T = TypeVar("T")

_id_field = Query().id


class TinyStore(Store):
    """Durable per-athlete files; all public coroutines run their disk work off the event loop."""

    def __init__(self, data_dir: Path, *, max_open: int = 512) -> None:
        """Use `data_dir` (created if needed, owner-only)."""
        self.data_dir = Path(data_dir)
        self.athletes_dir = self.data_dir / "athletes"
        self._max_open = max_open
        self._open: OrderedDict[int, AthleteFile] = OrderedDict()
        self._open_lock = threading.Lock()
        # Per-athlete locks outlive evicted AthleteFiles, so a handle evicted mid-write and
        # a freshly opened one for the same athlete can never read/write concurrently.
        self._locks: dict[int, threading.Lock] = {}
        self.teams = TinyTeamStore(self.data_dir / "teams")
        self._due: Agenda[tuple[int, str]] = Agenda()
        self._due_files = dueindex.DueFiles(self.data_dir, self.athletes_dir)

    # -- start-up ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the folders and prove they are writable (raises OSError otherwise)."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.athletes_dir.mkdir(exist_ok=True, mode=0o700)
        probe = self.athletes_dir / ".write-probe"
        probe.write_bytes(b"ok")
        probe.unlink()
        self.teams.prepare()

    def load(self) -> None:
        """Prepare and lock the folder, index what is due (CorruptDataError, OSError, also when
        another process already runs on this folder). Files unchanged since the due index's
        snapshot are not parsed again; the snapshot is then brought up to date."""
        self.prepare()
        dirlock.hold(self.data_dir)
        for uid, rid, due in self._due_files.restore():
            self._due.push((uid, rid), due)
        for team in self.teams.scan():
            if team.get("active"):
                self.teams.agenda.push(int(team["id"]), AT_ONCE)
        log.info(
            "restored %d pending reminders (%d of %d athlete files read)",
            self.indexed(),
            self._due_files.parsed,
            len(self._due_files.entries),
        )

    async def open(self) -> None:
        """Nothing to connect: `load` has read the files."""

    async def close(self) -> None:
        """Write the due index's snapshot, so the next start reads only files changed since."""
        if self._due_files.restored:
            await asyncio.to_thread(self._due_files.save, self._lock)

    def indexed(self) -> int:
        """How many reminders the in-memory due index holds."""
        return len(self._due)

    def athlete_ids(self) -> Iterator[int]:
        """Every athlete with a data file, or only conversation state (e.g. mid-onboarding)."""
        found: set[int] = set()
        for entry in os.scandir(self.athletes_dir):
            uid = athlete_id(entry.name, state_too=True)
            if uid is not None and uid not in found:
                found.add(uid)
                yield uid

    def scan(self) -> list[PendingReminder]:
        """Parse every data file, state files too (CorruptDataError names a broken one); return
        the pending reminders."""
        found = []
        for uid in self.athlete_ids():
            read_checked(state_path(self.path(uid)))
            reminders = read_checked(self.path(uid)).get(REMINDERS, {}).values()
            found += [PendingReminder(uid, record) for record in reminders if pending(record)]
        return found

    # -- plumbing ---------------------------------------------------------------------------

    def path(self, uid: int) -> Path:
        """The athlete's data file."""
        return self.athletes_dir / f"{uid}.json"

    def _lock(self, uid: int) -> threading.Lock:
        """The lock that serialises every read and write of `uid`'s file."""
        with self._open_lock:
            return self._locks.setdefault(uid, threading.Lock())

    def _file(self, uid: int) -> AthleteFile:
        """The open file for `uid` (call with `uid`'s lock held), opening/evicting as needed."""
        with self._open_lock:
            handle = self._open.get(uid)
            if handle is None:
                handle = self._open[uid] = AthleteFile(self.path(uid))
                if len(self._open) > self._max_open:
                    self._open.popitem(last=False)
            else:
                self._open.move_to_end(uid)
                return handle
        try:
            handle.move_legacy_state()
        except BaseException:  # not opened: the next use tries again
            with self._open_lock:
                self._open.pop(uid, None)
            raise
        return handle

    def _read_sync(self, uid: int, fn: Callable[[AthleteFile], T], default: T) -> T:
        """Run `fn` under the athlete's lock; `default` for an athlete with no file."""
        if not self._stored(uid):
            return default
        with self._lock(uid):
            if not self._stored(uid):  # erased while this read waited: do not open it again
                return default
            return fn(self._file(uid))

    def _write_sync(
        self, uid: int, fn: Callable[[AthleteFile], T], create: bool, clear_state: str | None
    ) -> T | None:
        """Run `fn` under the athlete's lock, batched into one atomic file write, then drop the
        `clear_state` key (after: an answer is never dropped before what it became is stored);
        without `create`, nothing is written (None) for an athlete with no file."""
        with self._lock(uid):
            if not create and not self._stored(uid):
                return None
            handle = self._file(uid)
            handle.storage.touched.clear()
            try:
                with handle.storage.batch():
                    result = fn(handle)
            except BaseException:  # e.g. the folder fsync failed after the file was replaced
                if REMINDERS in handle.storage.touched:
                    self._due_files.distrust(uid)
                raise
            if REMINDERS in handle.storage.touched:
                self._due_files.update(uid, handle.stored(REMINDERS))
            if clear_state:
                try:
                    handle.set_state(clear_state, None)
                except (StorageWriteError, CorruptDataError) as exc:  # what was asked is stored
                    log.error("athlete %s: could not clear %r: %s", uid, clear_state, exc)
            return result

    def _stored(self, uid: int) -> bool:
        """Whether the athlete has a file (exact with their lock held)."""
        with self._open_lock:
            if uid in self._open:
                return True
        return self.path(uid).exists() or state_path(self.path(uid)).exists()

    def _index(self, uid: int, records: list[Record]) -> None:
        """Index the pending ones among just-written reminder records at their due time."""
        for record in records:
            if pending(record):
                self._due.push((uid, record["id"]), datetime.fromisoformat(record["due_at"]))

    async def _read(self, uid: int, fn: Callable[[AthleteFile], T], default: T = None) -> T:
        """Run a read in a worker thread."""
        return await asyncio.to_thread(self._read_sync, uid, fn, default)

    async def _write(
        self,
        uid: int,
        fn: Callable[[AthleteFile], T],
        *,
        create: bool = True,
        clear_state: str | None = None,
    ) -> T:
        """Run a write in a worker thread; StorageWriteError if it could not be made durable.
        Without `create`, an athlete with no file (e.g. just erased) gets none: None."""
        return await asyncio.to_thread(self._write_sync, uid, fn, create, clear_state)

    # -- profile ----------------------------------------------------------------------------

    async def profile(self, uid: int) -> Record | None:
        """The athlete's profile, or None for someone we have never stored."""
        return await self._read(uid, lambda f: plain(f.table(PROFILE).get(doc_id=PROFILE_ID)))

    async def update_profile(
        self, uid: int, changes: Record, *, clear_state: str | None = None, create: bool = True
    ) -> Record:
        """Merge `changes` into the profile (and drop a state key, in the same write)."""
        changes = copy.deepcopy(changes)

        def apply(f: AthleteFile) -> Record:
            table = f.table(PROFILE)
            merged = {**(table.get(doc_id=PROFILE_ID) or {}), **changes}
            table.upsert(Document(merged, doc_id=PROFILE_ID))
            return copy.deepcopy(merged)

        return await self._write(uid, apply, create=create, clear_state=clear_state) or {}

    # -- conversation state -----------------------------------------------------------------

    async def state(self, uid: int, key: str) -> Record | None:
        """A piece of conversation state (e.g. the check-in being answered)."""
        return await self._read(uid, lambda f: f.state(key))

    async def set_state(self, uid: int, key: str, value: Record | None) -> None:
        """Replace (or with None, delete) a piece of conversation state."""
        value = copy.deepcopy(value)
        await self._write(uid, lambda f: f.set_state(key, value))

    # -- check-ins --------------------------------------------------------------------------

    async def checkins(self, uid: int) -> list[Record]:
        """All stored check-ins and follow-ups of the athlete, oldest first."""
        rows = await self._read(uid, lambda f: f.rows(CHECKINS), [])
        return sorted(rows, key=lambda r: r["created_at"])

    async def save_checkin(
        self,
        uid: int,
        record: Record,
        reminders: list[Record],
        *,
        clear_state: str | None = None,
        supersede: dict[str, Record] | None = None,
        create: bool = True,
    ) -> bool:
        """Store a check-in with its reminders (and replace superseded ones) in one write."""
        record, reminders = copy.deepcopy(record), copy.deepcopy(reminders)
        supersede = copy.deepcopy(supersede or {})

        def apply(f: AthleteFile) -> bool:
            table = f.table(CHECKINS)
            q = Query()
            if table.contains(q.id == record["id"]) or (
                record.get("update_id") is not None
                and table.contains(q.update_id == record["update_id"])
            ):
                return False
            table.insert(record)
            change(f.table(REMINDERS), (ReminderFilter(ids=frozenset(supersede)),), {}, supersede)
            for reminder in reminders:
                f.table(REMINDERS).insert(reminder)
            return True

        # the state is cleared after the check-in is stored, also when it was already stored:
        # a crash between the two leaves a draft that the redelivered answer clears
        saved = bool(await self._write(uid, apply, create=create, clear_state=clear_state))
        if saved:
            self._index(uid, reminders)
        return saved

    async def checkin(self, uid: int, checkin_id: str) -> Record | None:
        """One check-in by id."""
        return await self._read(
            uid, lambda f: plain(f.table(CHECKINS).get(_id_field == checkin_id))
        )

    async def set_refuelled(
        self, uid: int, checkin_id: str, at: str, where: Where, changes: Record
    ) -> list[Record]:
        """Record when the athlete ate (once) and change the reminders `where` selects."""
        changes = copy.deepcopy(changes)

        def apply(f: AthleteFile) -> list[Record]:
            q = Query()
            f.table(CHECKINS).update(
                {"refuelled_at": at},
                (q.id == checkin_id) & (q.refuelled_at == None),  # noqa: E711
            )
            return change(f.table(REMINDERS), where, changes, {})

        return await self._write(uid, apply) or []

    # -- reminders --------------------------------------------------------------------------

    async def reminder(self, uid: int, reminder_id: str) -> Record | None:
        """One reminder record by id."""
        return await self._read(
            uid, lambda f: plain(f.table(REMINDERS).get(_id_field == reminder_id))
        )

    async def reminders(self, uid: int) -> list[Record]:
        """All reminder records of the athlete."""
        return await self._read(uid, lambda f: f.rows(REMINDERS), [])

    async def update_reminders(
        self,
        uid: int,
        where: Where = (),
        changes: Mapping[str, Any] | None = None,
        *,
        each: Mapping[str, Record] | None = None,
        new: Sequence[Record] = (),
        create: bool = True,
        if_changed: bool = False,
    ) -> list[Record]:
        """Change the reminders `where` selects and add the new ones in one file write."""
        changes, each = copy.deepcopy(changes or {}), copy.deepcopy(each or {})
        new = copy.deepcopy(list(new))

        def apply(f: AthleteFile) -> list[Record]:
            table = f.table(REMINDERS)
            touched = change(table, where, changes, each)
            known = {d["id"] for d in table.all()}
            added = [r for r in new if r["id"] not in known] if touched or not if_changed else []
            table.insert_multiple(added)
            return [*touched, *copy.deepcopy(added)]

        written = await self._write(uid, apply, create=create) or []
        self._index(uid, written)
        return written

    async def claim_reminders(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """The due entries of the in-memory index (the one process is the only sender)."""
        return self._due.pop_due(now, limit)

    async def claim_reminder(self, uid: int, reminder_id: str, now: datetime) -> bool:
        """Always granted: the dispatcher's in-flight set keeps one process from sending twice."""
        return True

    async def retry_reminder(self, uid: int, reminder_id: str, at: datetime) -> None:
        """Index the reminder again at `at`."""
        self._due.push((uid, reminder_id), at)

    # -- export and erase -------------------------------------------------------------------

    async def everything(self, uid: int) -> dict[str, list[Record]]:
        """Every non-empty table of the athlete's file as plain lists (for /export)."""

        def read(f: AthleteFile) -> dict[str, list[Record]]:
            tables = {name: f.rows(name) for name in f.db.tables()}
            tables[STATE] = f.state_rows()
            return {name: rows for name, rows in sorted(tables.items()) if rows}

        return await self._read(uid, read, {})

    async def link_team(self, uid: int, team_id: int, joined_at: str | None) -> None:
        """Add (or with None, remove) a team in the profile's back-references."""

        def apply(f: AthleteFile) -> None:
            table = f.table(PROFILE)
            profile = linked_profile(dict(table.get(doc_id=PROFILE_ID) or {}), team_id, joined_at)
            table.upsert(Document(profile, doc_id=PROFILE_ID))

        await self._write(uid, apply)

    async def erase(self, uid: int) -> None:
        """Delete the athlete's files, their backups and any leftovers of killed writes."""

        def erase() -> None:
            with self._lock(uid):
                remove_files(self.path(uid))
                with self._open_lock:
                    handle = self._open.pop(uid, None)
                if handle is not None:
                    handle.storage.discard()
                    handle.state_storage.discard()
                self._due_files.forget(uid)

        await asyncio.to_thread(erase)
