"""Measure 4: one message to each of 1,000 athletes via the app's bot under Telegram's limits."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import procs
from bench.config import Sizes
from bench.table import Row, Target

FIRST_UID = 40_000_000
TELEGRAM_RATE = 30.0


def measure(sizes: Sizes) -> list[Row]:
    """Achieved messages/s (vs Telegram's 30/s) and the 429s the fake server had to return."""
    uids = range(FIRST_UID, FIRST_UID + sizes.broadcast_athletes)
    with (
        tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp,
        procs.fake_server(flood_limits=True) as (server, url),
    ):
        server.ask(cmd="users", uids=list(uids))
        span = f"{uids[0]}-{uids[-1]}"
        with procs.bot("broadcast", procs.bot_env(url, Path(tmp)), "--uids", span) as (_, done):
            stats = server.ask(cmd="stats")
    if done["failed"]:
        raise RuntimeError(f"broadcast: {len(done['failed'])}+ sends failed: {done['failed']}")
    n = f"{len(uids):,}"
    return [
        Row(
            f"broadcast to {n} athletes, 30/s + 1/s per chat enforced",
            "msg/s",
            done["sent"] / done["seconds"],
            TELEGRAM_RATE,
            Target("≥", 27),
        ),
        Row(
            f"429 Too Many Requests during the broadcast to {n}",
            "",
            stats["rejected_429"],
            None,
            Target("≤", 0),
        ),
    ]
