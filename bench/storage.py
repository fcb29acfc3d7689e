"""Measure 2: cost of storing one check-in as the data grows, vs plain TinyDB in one file."""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from tinydb import TinyDB

from bench.config import Sizes
from bench.seed import checkin, seed_athletes
from bench.table import Row, Target, percentile
from bot.storage import TinyStore
from bot.storage.athlete_file import CHECKINS

FIRST_UID = 20_000_000
LAG_PROBE_S = 0.005


class LagProbe:
    """Measures how late the event loop wakes a task that sleeps in short steps."""

    def __init__(self) -> None:
        """Not started yet."""
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        """Sleep and record the overshoot, forever."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(LAG_PROBE_S)
            self.lags.append(loop.time() - start - LAG_PROBE_S)

    def __enter__(self) -> LagProbe:
        """Start probing."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop probing."""
        assert self._task is not None
        self._task.cancel()


async def _timed(
    write: Callable[[int], Awaitable[None]], samples: int
) -> tuple[list[float], list[float]]:
    """Latencies of `samples` writes (one at a time) and the loop lag seen meanwhile."""
    times: list[float] = []
    with LagProbe() as probe:
        for n in range(samples):
            start = time.perf_counter()
            await write(n)
            times.append(time.perf_counter() - start)
            await asyncio.sleep(0)
    return times, probe.lags


def _layout(total: int, athletes: int) -> tuple[int, int]:
    """(athletes, check-ins each) holding `total` check-ins over at most `athletes` athletes."""
    used = min(total, athletes)
    return used, total // used


async def _store_run(root: Path, total: int, sizes: Sizes) -> tuple[list[float], list[float]]:
    """Store.save_checkin into a store already holding `total` check-ins."""
    used, each = _layout(total, sizes.store_athletes)
    uids = list(range(FIRST_UID, FIRST_UID + used))
    seed_athletes(root, uids, checkins=each)
    store = TinyStore(root)
    store.prepare()

    now = datetime.now(UTC)
    picks = [random.choice(uids) for _ in range(sizes.store_samples)]
    records = [checkin(uid, 1000 + n, now) for n, uid in enumerate(picks)]

    async def write(n: int) -> None:
        await store.save_checkin(picks[n], records[n], [])

    return await _timed(write, sizes.store_samples)


async def _tinydb_run(root: Path, total: int, samples: int) -> tuple[list[float], list[float]]:
    """Plain TinyDB (default JSONStorage, one file), called on the loop as a naive bot would."""
    path = root / "all.json"
    rows = {str(i + 1): checkin(FIRST_UID + i % 10_000, i, datetime.now(UTC)) for i in range(total)}
    path.write_text(json.dumps({CHECKINS: rows}))
    table = TinyDB(path).table(CHECKINS)

    records = [checkin(FIRST_UID, 10_000_000 + n, datetime.now(UTC)) for n in range(samples)]

    async def write(n: int) -> None:
        table.insert(records[n])

    return await _timed(write, samples)


def measure(sizes: Sizes) -> list[Row]:
    """p50/p95 per size, the growth ratio, and loop lag at the largest size."""
    rows: list[Row] = []
    p50: dict[str, dict[int, float]] = {"store": {}, "tinydb": {}}
    lag: dict[str, float] = {}
    for total in sizes.store_sizes:
        with (
            tempfile.TemporaryDirectory(prefix="bench-store-") as a,
            tempfile.TemporaryDirectory(prefix="bench-tinydb-") as b,
        ):
            ours, our_lag = asyncio.run(_store_run(Path(a), total, sizes))
            plain, plain_lag = asyncio.run(
                _tinydb_run(Path(b), total, sizes.baseline_samples[total])
            )
        p50["store"][total], p50["tinydb"][total] = percentile(ours, 50), percentile(plain, 50)
        for q in (50, 95):
            rows.append(
                Row(
                    f"store 1 check-in p{q}, {total:,} stored",
                    "ms",
                    percentile(ours, q) * 1000,
                    percentile(plain, q) * 1000,
                )
            )
        lag = {"store": max(our_lag, default=0.0), "tinydb": max(plain_lag, default=0.0)}
    small, big = sizes.store_sizes[0], sizes.store_sizes[-1]
    rows.append(
        Row(
            f"store p50 growth {big:,} / {small:,} stored",
            "×",
            p50["store"][big] / p50["store"][small],
            p50["tinydb"][big] / p50["tinydb"][small],
            Target("≤", 1.5),
        )
    )
    rows.append(
        Row(
            f"event-loop lag max while writing, {big:,} stored",
            "ms",
            lag["store"] * 1000,
            lag["tinydb"] * 1000,
            Target("≤", 20),
        )
    )
    return rows
