"""One bot process per TinyDB data dir: a second one would send every reminder a second time."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from pathlib import Path

LOCK_FILE = ".lock"
BUSY = "in use by another bot process (several workers need BOT_DATABASE_URL)"

_held: dict[Path, int] = {}  # data dir -> descriptor of its locked file, for the process's life
_guard = threading.Lock()


def hold(data_dir: Path) -> None:
    """Lock `data_dir` for this process (again is a no-op); OSError EBUSY if another has it."""
    key = Path(data_dir).resolve()
    with _guard:
        if key in _held:
            return
        fd = os.open(key / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OSError(errno.EBUSY, BUSY, str(key)) from None
        _held[key] = fd
