"""An injectable clock: real time plus an offset that tests and the sandbox can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
