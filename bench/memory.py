"""Measure 5: resident memory per stored athlete, 10,000 athletes vs an empty store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import procs
from bench.config import Sizes
from bench.seed import seed_athletes
from bench.table import Row, Target

FIRST_UID = 50_000_000


def _rss(athletes: int) -> dict[str, Any]:
    """Start-up figures and RSS after touching every athlete, in a fresh bot process."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = Path(tmp)
        seed_athletes(data, range(FIRST_UID, FIRST_UID + athletes), checkins=10, reminders=2)
        env = procs.bot_env("http://127.0.0.1:9/bot", data)
        with procs.bot("memory", env) as (_, facts):
            return facts


def measure(sizes: Sizes) -> list[Row]:
    """(RSS with N athletes − RSS with none) / N, each after start-up and one read of all."""
    empty, full = _rss(0), _rss(sizes.memory_athletes)
    per = (full["rss_touched_kib"] - empty["rss_touched_kib"]) / sizes.memory_athletes
    return [
        Row(
            f"RSS per stored athlete, {sizes.memory_athletes:,} athletes",
            "KiB",
            per,
            None,
            Target("≤", 10),
        ),
        Row(
            "RSS of the bot: empty store → all athletes read",
            "MiB",
            full["rss_touched_kib"] / 1024,
            empty["rss_touched_kib"] / 1024,
        ),
    ]
