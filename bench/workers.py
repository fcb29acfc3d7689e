"""Measure 6: webhook workers sharing one PostgreSQL, 1 vs 3 behind the round-robin proxy
(reminder dispatch, check-in throughput), and a check-in's write cost on TinyDB vs PostgreSQL.

The bench starts its own PostgreSQL (testkit/pgcluster.py) with fsync and synchronous commit back
on, so that both stores pay for durability as they would in production.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench import procs
from bench.config import Sizes
from bench.seed import FAR, checkin, reminder, seed_store
from bench.table import Row
from bot.storage import Store
from testkit.pgcluster import ClusterUnavailable, TempCluster
from testkit.store import direct_store
from testkit.workers import Workers

REMINDER_UID = 50_000_000
CHECKIN_UID = 51_000_000
WRITE_UID = 52_000_000
WORKER_COUNTS = (1, 3)
# Unpaced sends (the fake server enforces no limit) and a short tick, so that the figure is the
# cost of claiming, sending and recording rather than Telegram's 30/s or the tick's cadence.
WORKER_ENV = {"BOT_SEND_RATE": "0", "BOT_TICK_SECONDS": "0.05"}
DURABLE = (
    "ALTER SYSTEM SET fsync = on",
    "ALTER SYSTEM SET synchronous_commit = on",
    "ALTER SYSTEM SET full_page_writes = on",
    "SELECT pg_reload_conf()",
)
REMINDERS_PER_CHECKIN = 4


async def _ask(server: procs.Child, **command: Any) -> dict[str, Any]:
    """Ask the fake server without blocking the loop (the proxy runs on it)."""
    return await asyncio.to_thread(server.ask, **command)


async def _durable(cluster: TempCluster) -> None:
    """Turn fsync and synchronous commit back on (tests run the cluster without them)."""
    if os.environ.get("BOT_TEST_DATABASE_URL"):
        return  # someone else's server: measured as configured
    conn = await asyncpg.connect(cluster.dsn())
    try:
        for statement in DURABLE:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _dispatch(server: procs.Child, store: Store, sizes: Sizes) -> float:
    """Messages/s from the first to the last of `worker_reminders` reminders due together."""
    uids = list(range(REMINDER_UID, REMINDER_UID + sizes.worker_reminders))
    due = datetime.now(UTC) + timedelta(seconds=sizes.worker_due_lead_s)
    await seed_store(store, uids, dict.fromkeys(uids, due))
    if datetime.now(UTC) >= due:
        print("workers: seeding outlasted the lead; raise worker_due_lead_s", file=sys.stderr)
    wanted, stamps = set(uids), []
    deadline = time.monotonic() + sizes.worker_due_lead_s + 60 + len(uids) / 50
    while time.monotonic() < deadline:
        arrivals = (await _ask(server, cmd="arrivals"))["arrivals"]
        stamps = [at for uid, at in arrivals if uid in wanted]
        if len(stamps) >= len(uids):
            return len(stamps) / (max(stamps) - min(stamps))
        await asyncio.sleep(0.2)
    raise RuntimeError(f"workers: only {len(stamps)} of {len(uids)} reminders arrived")


async def _checkins(server: procs.Child, sizes: Sizes) -> float:
    """Completed check-ins/s of `worker_athletes` athletes checking in at once, every round."""
    uids = list(range(CHECKIN_UID, CHECKIN_UID + sizes.worker_athletes))
    result = await _ask(server, cmd="checkin", uids=uids, rounds=sizes.worker_rounds)
    if result["failed"]:
        raise RuntimeError(f"workers: {result['failed']} athletes failed: {result['errors']}")
    return len(uids) * sizes.worker_rounds / result["seconds"]


async def _run_workers(cluster: TempCluster, count: int, sizes: Sizes) -> dict[str, float]:
    """Dispatch rate and check-in rate of `count` workers on a fresh database."""
    url = cluster.create_database(f"bench_workers_{count}")
    athletes = range(CHECKIN_UID, CHECKIN_UID + sizes.worker_athletes)
    reminded = range(REMINDER_UID, REMINDER_UID + sizes.worker_reminders)
    with (
        tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp,
        procs.fake_server() as (server, api_url),
    ):
        await _ask(server, cmd="users", uids=[*athletes, *reminded])
        async with direct_store(Path(tmp) / "unused", url) as store:
            await seed_store(store, athletes)
            async with Workers(
                count,
                token=procs.TOKEN,
                api_url=api_url,
                database_url=url,
                home=Path(tmp),
                env=WORKER_ENV,
            ):
                return {
                    "dispatch": await _dispatch(server, store, sizes),
                    "checkins": await _checkins(server, sizes),
                }


async def _write_rate(store: Store, sizes: Sizes, lanes: int, first: int) -> float:
    """save_checkin calls (a check-in and 4 reminders each) per second, `lanes` at a time;
    check-in numbers start at `first`, so that every run writes new ones."""
    uids = range(WRITE_UID, WRITE_UID + sizes.write_athletes)
    now = datetime.now(UTC)

    async def lane(offset: int) -> None:
        """Every `lanes`-th write, one after the other."""
        for n in range(first + offset, first + sizes.write_samples, lanes):
            uid = uids[n % len(uids)]
            due = [now + FAR + timedelta(minutes=k) for k in range(REMINDERS_PER_CHECKIN)]
            plans = [reminder(uid, n * REMINDERS_PER_CHECKIN + k, at) for k, at in enumerate(due)]
            await store.save_checkin(uid, checkin(uid, n, now), plans)

    start = time.perf_counter()
    await asyncio.gather(*(lane(offset) for offset in range(lanes)))
    return sizes.write_samples / (time.perf_counter() - start)


async def _write_rates(cluster: TempCluster, sizes: Sizes) -> dict[str, dict[int, float]]:
    """Write rates per store and concurrency, same machine, same run."""
    url = cluster.create_database("bench_writes")
    rates: dict[str, dict[int, float]] = {"tinydb": {}, "postgres": {}}
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        for name, database in (("tinydb", None), ("postgres", url)):
            async with direct_store(Path(tmp) / name, database) as store:
                await seed_store(store, range(WRITE_UID, WRITE_UID + sizes.write_athletes))
                for run, lanes in enumerate((1, sizes.write_concurrency)):
                    first = run * sizes.write_samples
                    rates[name][lanes] = await _write_rate(store, sizes, lanes, first)
    return rates


async def _measure(cluster: TempCluster, sizes: Sizes) -> list[Row]:
    """Every figure of this measure, on one cluster."""
    await _durable(cluster)
    runs = {count: await _run_workers(cluster, count, sizes) for count in WORKER_COUNTS}
    writes = await _write_rates(cluster, sizes)
    one, many = WORKER_COUNTS
    k, n = f"{sizes.worker_reminders:,}", sizes.worker_athletes
    rows = [
        Row(
            f"reminder dispatch, {many} workers vs {one}, one PostgreSQL ({k} due at once)",
            "msg/s",
            runs[many]["dispatch"],
            runs[one]["dispatch"],
        ),
        Row(
            f"check-ins/s via proxy, {many} workers vs {one}, {n} athletes",
            "/s",
            runs[many]["checkins"],
            runs[one]["checkins"],
        ),
    ]
    for lanes in (1, sizes.write_concurrency):
        rows.append(
            Row(
                f"save_checkin + {REMINDERS_PER_CHECKIN} reminders/s, PostgreSQL vs TinyDB, "
                f"{lanes} at a time",
                "/s",
                writes["postgres"][lanes],
                writes["tinydb"][lanes],
            )
        )
    return rows


def measure(sizes: Sizes) -> list[Row]:
    """The rows, or none (said on stderr) when no PostgreSQL server can be started."""
    try:
        cluster = TempCluster().start()
    except ClusterUnavailable as exc:
        print(f"workers: skipped, PostgreSQL unavailable: {exc.reason}", file=sys.stderr)
        return []
    try:
        return asyncio.run(_measure(cluster, sizes))
    finally:
        cluster.stop()
