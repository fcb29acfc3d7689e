"""Measure 8: start-up of the real bot with 100,000 athletes on TinyDB, time and memory."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench import procs
from bench.config import Sizes
from bench.seed import seed_alike
from bench.table import Row, Target

FIRST_UID = 70_000_000
CHECKINS, PENDING = 20, 2


def measure(sizes: Sizes) -> list[Row]:
    """Seconds from start to ready and RSS after, N athletes with 20 check-ins and 2 pending
    reminders each (files just written, so read from the page cache)."""
    athletes = sizes.startup_athletes
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        data = Path(tmp)
        start = time.perf_counter()
        seed_alike(
            data, range(FIRST_UID, FIRST_UID + athletes), checkins=CHECKINS, reminders=PENDING
        )
        seeded_s = time.perf_counter() - start
        size_mb = sum(f.stat().st_size for f in (data / "athletes").iterdir()) / 1e6
        env = procs.bot_env("http://127.0.0.1:9/bot", data)
        with procs.bot("startup", env) as (_, first):
            pass  # no due index yet: every file is read, then the snapshot is written
        with procs.bot("startup", env) as (_, again):
            pass  # a restart: the snapshot stands in for every unchanged file
    n = f"{athletes:,}"
    what = f"{n} athletes ({CHECKINS} check-ins, {PENDING} pending each)"
    return [
        Row(f"seed {n} athlete files ({size_mb:,.0f} MB), set-up only", "s", seeded_s),
        Row(f"first start-up, no due index yet, {what}", "s", first["restore_s"]),
        Row(f"restart with {what}", "s", again["restore_s"], None, Target("≤", 5)),
        Row(
            f"RSS after start-up with {n} athletes, first / restart",
            "MiB",
            again["rss_after_kib"] / 1024,
            first["rss_after_kib"] / 1024,
            Target("≤", 200),
        ),
    ]
