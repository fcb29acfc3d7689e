"""An injectable clock: real time plus an offset that tests and the sandbox can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class Clock:
    """Tells the time in tz-aware UTC; `advance` fast-forwards it."""

    def __init__(self) -> None:
        """Start at real time."""
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The current time (UTC, tz-aware)."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.offset += delta


class OffsetFileClock(Clock):
    """Testing aid (BOT_CLOCK_OFFSET_FILE): the offset is read from a file whenever it changes.

    Lets a test fast-forward a bot running in another process; the file holds seconds (float).
    """

    def __init__(self, path: Path) -> None:
        """Follow `path` (a missing or unreadable file means no offset)."""
        super().__init__()
        self.path = path
        self._seen: tuple[int, int, int] | None = None

    def now(self) -> datetime:
        """The current time plus the file's offset."""
        try:
            info = self.path.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp != self._seen:
                self._seen = stamp
                self.offset = timedelta(seconds=float(self.path.read_text() or 0))
        except (OSError, ValueError):
            self.offset = timedelta(0)
        return super().now()


def make_clock(offset_file: Path | None) -> Clock:
    """The real clock, or one that follows an offset file when configured."""
    return OffsetFileClock(offset_file) if offset_file else Clock()
