"""A TinyDB storage that never leaves a half-written file behind."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

BACKUP_SUFFIX = ".bak"


class CorruptDataError(Exception):
    """A data file exists but cannot be parsed; startup must stop and name it."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"data file {path} is corrupt ({detail})")
        self.path = path


class StorageWriteError(Exception):
    """A write could not be made durable (disk full, permissions, ...); old data is intact."""


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderSync:
    """Group commit of a folder's fsync: one fsync makes durable every rename made in the folder
    before it began, so writers of different athletes finishing together share one."""

    def __init__(self) -> None:
        """No rename asked for yet."""
        self._cond = threading.Condition()
        self._asked = self._done = 0  # numbered requests; all up to `_done` are durable
        self._busy = False

    def sync(self, folder: Path) -> None:
        """Return once an fsync of `folder` begun after this call's rename has finished."""
        with self._cond:
            self._asked += 1
            mine = self._asked
            while self._done < mine:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy, covered = True, self._asked  # every request so far renamed before
                try:
                    self._cond.release()
                    try:
                        fsync_dir(folder)
                    finally:
                        self._cond.acquire()
                    self._done = max(self._done, covered)
                finally:
                    self._busy = False
                    self._cond.notify_all()


_folders: dict[Path, FolderSync] = {}
_folders_lock = threading.Lock()


def sync_folder(folder: Path) -> None:
    """Make a rename inside `folder` durable, sharing the fsync with concurrent writers."""
    with _folders_lock:
        syncer = _folders.setdefault(folder, FolderSync())
    syncer.sync(folder)


def backup_path(path: Path) -> Path:
    """Where the previous version of `path` is kept (`<name>.bak`)."""
    return path.with_name(path.name + BACKUP_SUFFIX)


def keep_previous(path: Path) -> None:
    """Hard-link the current `path` as its `.bak` (no data copied; best effort, never fatal)."""
    backup = backup_path(path)
    with suppress(FileNotFoundError):
        os.unlink(backup)
    with suppress(OSError):  # no file yet, or a filesystem without hard links
        os.link(path, backup)


def atomic_write(path: Path, payload: bytes | Iterable[bytes], *, backup: bool = False) -> None:
    """Write `payload` (bytes, or chunks written as they come) to `path` via a temp file
    (created owner-only by mkstemp), fsync, os.replace and a folder fsync (shared with
    concurrent writers).

    With `backup`, the version being replaced stays reachable as `<name>.bak`.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([payload] if isinstance(payload, bytes) else payload)
            handle.flush()
            os.fsync(handle.fileno())
        if backup:
            keep_previous(path)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    sync_folder(path.parent)


def dumps(value: Any) -> str:
    """Compact JSON, as every data file holds it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): ~3x faster than deepcopy."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def read_json(path: Path) -> Any:
    """Parse a JSON file, or None when it does not exist; CorruptDataError when it is broken."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptDataError(path, str(exc)) from None


class AtomicJSONStorage(Storage):
    """JSON storage with atomic durable writes, an in-memory copy and batched writes."""

    def __init__(self, path: str | Path, *, backup: bool = True) -> None:
        """Bind to `path` (with `backup`, each write keeps the version it replaces as `.bak`);
        nothing is read until TinyDB asks."""
        self.path = Path(path)
        self.backup = backup
        self._data: dict[str, Any] | None = None
        self._batch_depth = 0
        self._dirty = False

    def read(self) -> dict[str, Any] | None:
        """Return the current data (cached after the first read)."""
        if self._data is None:
            loaded = read_json(self.path)
            if loaded is not None and not isinstance(loaded, dict):
                raise CorruptDataError(self.path, "top level is not an object")
            self._data = loaded
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        """Keep `data`; flush it to disk now unless a batch is open."""
        self._data = data
        self._dirty = True
        if self._batch_depth == 0:
            self.flush()

    def flush(self) -> None:
        """Persist pending changes atomically; on failure forget the in-memory copy."""
        if not self._dirty:
            return
        try:
            atomic_write(self.path, self.encode(), backup=self.backup)
        except OSError as exc:
            self.discard()
            raise StorageWriteError(f"could not save {self.path.name}: {exc.strerror}") from exc
        except BaseException:
            self.discard()  # e.g. a value json cannot encode: never keep unsaved data in memory
            raise
        self._dirty = False

    def encode(self) -> bytes:
        """The data as the file's bytes."""
        return dumps(self._data).encode()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several TinyDB writes into one durable write (all or nothing)."""
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            self.discard()
            raise
        self._batch_depth -= 1
        if self._batch_depth == 0:
            self.flush()

    def discard(self) -> None:
        """Drop the in-memory copy so the next read comes from disk."""
        self._data = None
        self._dirty = False

    def close(self) -> None:
        """Nothing to release: every write is already on disk."""
