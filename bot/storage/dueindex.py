"""The due index's snapshot: every athlete file's pending reminders as of a clean start or stop,
so that a restart parses only the files written since.

The snapshot is a cache, never the truth. Each athlete's line carries the identity of the file it
was read from (inode, size, change times); start-up trusts the line only while the file still has
exactly that identity (every write replaces the file, so any write changes it) and parses the file
otherwise, as it does for a missing, damaged or outdated snapshot. It holds user ids, reminder ids
and due times, no answers; erasing an athlete removes their line at once.

One line per athlete, `<uid> <inode> <size> <mtime_ns> <ctime_ns> <crc32> <entries>`, where
`<entries>` is the compact JSON list of `[reminder id, due_at]` and the CRC covers the rest of the
line; a line is read only when its athlete is, and one that fails any check is not trusted.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime
from pathlib import Path

from bot.storage.athlete_file import REMINDERS, athlete_id
from bot.storage.atomic import atomic_write, dumps
from bot.storage.base import Record, pending
from bot.storage.recover import read_checked

log = logging.getLogger(__name__)

NAME = "due-index.txt"
HEADER = "due-index 3\n"
NONE = "[]"  # the entries of an athlete with nothing pending (one shared string)

FileKey = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


def file_key(stat: os.stat_result) -> FileKey:
    """What identifies one version of a file: any atomic replace changes it."""
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def entries_of(records: Iterable[Record]) -> str:
    """The JSON list of [id, due_at] of the pending ones among an athlete's reminder records."""
    due = [[r["id"], r["due_at"]] for r in records if pending(r)]
    return dumps(due) if due else NONE


def due_list(entries: str) -> list[tuple[str, datetime]]:
    """The (id, due time) pairs of an entries string (ValueError or TypeError when it holds
    anything but ids and tz-aware times)."""
    if entries is NONE or entries == NONE:
        return []
    pairs = json.loads(entries)
    if not isinstance(pairs, list):
        raise ValueError("not a list of [id, due_at]")
    due = [(rid, datetime.fromisoformat(at)) for rid, at in pairs]
    if not all(isinstance(rid, str) and at.tzinfo is not None for rid, at in due):
        raise ValueError("not a list of [id, tz-aware due_at]")
    return due


def read(path: Path) -> dict[int, str]:
    """The snapshot's lines by athlete (unparsed); empty when there is none or it is unusable."""
    lines: dict[int, str] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            if handle.readline() != HEADER:
                raise ValueError("not a due index of this version")
            for line in handle:
                uid, _, rest = line.partition(" ")
                lines[int(uid)] = rest
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("due index %s unusable (%s): reading every athlete file", path.name, exc)
        return {}
    return lines


def trusted(
    uid: int, rest: str | None, key: FileKey
) -> tuple[str, list[tuple[str, datetime]]] | None:
    """A line's entries and their pairs, if it is intact and was written for exactly this
    version of the file."""
    if rest is None:
        return None
    try:
        *identity, crc, entries = rest.rstrip("\n").split(" ", 5)
        if tuple(map(int, identity)) != key or int(crc) != _crc(uid, key, entries):
            return None
        return entries, due_list(entries)
    except (ValueError, TypeError):
        return None


def line(uid: int, key: FileKey, entries: str) -> str:
    """One athlete's line."""
    identity = " ".join(map(str, key))
    return f"{uid} {identity} {_crc(uid, key, entries)} {entries}\n"


def _crc(uid: int, key: FileKey, entries: str) -> int:
    """The checksum of a line's content."""
    return zlib.crc32(f"{uid} {' '.join(map(str, key))} {entries}".encode())


def write(path: Path, lines: Iterable[str]) -> None:
    """Replace the snapshot atomically, streaming its lines."""
    atomic_write(path, (text.encode() for text in itertools.chain([HEADER], lines)))


def without(path: Path, uid: int) -> None:
    """Drop one athlete's line from the snapshot (their data was erased)."""
    lines = read(path)
    if lines.pop(uid, None) is not None:
        write(path, (f"{u} {rest}" for u, rest in lines.items()))


class DueFiles:
    """Every athlete file's pending (id, due_at) as last read or written by this process (its
    one writer), and the snapshot of them written at a clean start and stop."""

    def __init__(self, data_dir: Path, athletes_dir: Path) -> None:
        """Nothing known before `restore`."""
        self.snapshot = data_dir / NAME
        self.folder = athletes_dir
        self.entries: dict[int, str | None] = {}  # None: not known for sure, read at next start
        self._lock = threading.Lock()  # one rewrite of the snapshot at a time
        self.parsed = 0  # athlete files `restore` had to read
        self.restored = False

    def restore(self) -> Iterator[tuple[int, str, datetime]]:
        """Yield (athlete, reminder id, due time) of every pending reminder, from the snapshot for
        unchanged files, else by parsing the file (CorruptDataError names a broken one); then
        bring the snapshot up to date."""
        for leftover in self.snapshot.parent.glob(f".{NAME}.*.tmp"):  # a killed rewrite's
            leftover.unlink(missing_ok=True)
        known = read(self.snapshot)
        for entry in os.scandir(self.folder):
            uid = athlete_id(entry.name)
            if uid is None:
                continue
            found = trusted(uid, known.pop(uid, None), file_key(entry.stat()))
            if found is None:
                data = read_checked(self.folder / entry.name)
                entries = entries_of(data.get(REMINDERS, {}).values())
                found, self.parsed = (entries, due_list(entries)), self.parsed + 1
            self.entries[uid] = found[0]
            for rid, due in found[1]:
                yield uid, rid, due
        self.restored = True
        if self.parsed or known:  # files read, or gone since the snapshot: it must change
            self.save()

    def update(self, uid: int, records: Iterable[Record]) -> None:
        """An athlete's reminders were just written (call under the athlete's lock)."""
        self.entries[uid] = entries_of(records)

    def distrust(self, uid: int) -> None:
        """A write failed after it may have replaced the file: leave the athlete out of the
        next snapshot, so that the start after it reads the file."""
        self.entries[uid] = None

    def forget(self, uid: int) -> None:
        """An athlete was erased: nothing of them stays here or in the snapshot."""
        self.entries.pop(uid, None)
        with self._lock:
            without(self.snapshot, uid)

    def save(self, lock: Callable[[int], AbstractContextManager[object]] | None = None) -> None:
        """Write the snapshot; with `lock`, each athlete's line is taken under their lock (at a
        stop, where an abandoned update's write may still run)."""
        folder = str(self.folder)

        def lines() -> Iterator[str]:
            for uid in list(self.entries):
                with lock(uid) if lock else nullcontext(), suppress(FileNotFoundError):
                    entries = self.entries.get(uid)
                    if entries is not None:
                        stat = os.stat(os.path.join(folder, f"{uid}.json"))
                        yield line(uid, file_key(stat), entries)

        with self._lock:
            write(self.snapshot, lines())
