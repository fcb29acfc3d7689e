"""An in-memory due-time index for single-process storage (rebuilt from the files at start-up)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

AT_ONCE = datetime.min.replace(tzinfo=UTC)


class Agenda(Generic[K]):
    """A heap of (when, key); stale entries are harmless because callers re-read the record."""

    def __init__(self) -> None:
        """Start empty."""
        self._heap: list[tuple[datetime, int, K]] = []
        self._seq = itertools.count()

    def push(self, key: K, at: datetime) -> None:
        """Make `key` due at `at`."""
        heapq.heappush(self._heap, (at, next(self._seq), key))

    def pop_due(self, now: datetime, limit: int) -> list[K]:
        """Remove and return up to `limit` distinct keys due by `now`, earliest first."""
        due: dict[K, None] = {}
        while self._heap and self._heap[0][0] <= now and len(due) < limit:
            due[heapq.heappop(self._heap)[2]] = None
        return list(due)

    def __len__(self) -> int:
        """How many entries are indexed (including ones since settled)."""
        return len(self._heap)
