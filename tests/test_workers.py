"""Several webhook workers (`python -m bot`) behind a round-robin proxy on one PostgreSQL database:
due reminders go out once across workers even when one is SIGKILLed mid-send, and an athlete's
check-in continues whichever worker takes the next answer."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bench.seed import seed_store
from bot.athletes.reminders import MAX_PARALLEL_SENDS
from bot.fakeapi import BotEvent, FakeBotAPI
from bot.shell.clock import Clock
from rules.reminders import ReminderKind
from testkit.pgcluster import TempCluster
from testkit.store import direct_store
from testkit.workers import Workers
from tests.conftest import TOKEN, eventually, onboard
from tests.simulation import guidance_id
from tests.test_e2e_checkin import ANSWERS, answer_all
from tests.test_e2e_coach import seed_team

pytestmark = pytest.mark.chaos  # whole-process stress: `pytest -m "chaos and not slow"`

ATHLETES = 2000
FIRST_UID = 8_000_000
DUE_SPREAD_S = 2.0
# Quick to start ticking, unpaced, and a short lease so a dead worker's claims return quickly,
# yet long enough that a live worker starved of CPU (CI beside other jobs) sends well within it:
# a worker hands back a claim it could not send within half its lease, never sends it late.
FAST = {"BOT_SEND_RATE": "0", "BOT_TICK_SECONDS": "0.05", "BOT_CLAIM_LEASE_SECONDS": "10"}


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to look at the database as the workers see it."""
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


async def until(check: Callable[[], Awaitable[bool]], within: float, workers: Workers) -> None:
    """`eventually`, with the workers' logs in the failure message."""
    try:
        await eventually(check, within)
    except AssertionError:
        raise AssertionError(f"not so within {within:g} s\n{workers.logs()}") from None


def message_counts(api: FakeBotAPI, uids: range) -> Counter[int]:
    """How many messages the bot sent to each athlete, as the fake Bot API recorded them."""
    return Counter(
        {uid: sum(e.kind == "message" for e in api.world.chats[uid].events) for uid in uids}
    )


async def test_killed_worker_loses_no_reminder(
    api: FakeBotAPI, pg_cluster: TempCluster, tmp_path: Path
) -> None:
    """3 workers, 2,000 reminders due within ~2 s, one worker SIGKILLed a third of the way in:
    every athlete gets the reminder, exactly once unless the dead worker held its claim."""
    url = pg_cluster.create_database("workers_kill")
    uids = range(FIRST_UID, FIRST_UID + ATHLETES)
    for uid in uids:
        api.user(uid)
    arrived = Counter[int]()

    def count(event: BotEvent) -> None:
        """Count each message the bot sends, as it arrives."""
        if event.kind == "message":
            arrived[event.chat_id] += 1

    api.world.listeners.append(count)
    rng = random.Random(8)
    home = tmp_path / "workers"
    async with (
        Workers(
            3, token=TOKEN, api_url=api.base_url, database_url=url, home=home, env=FAST
        ) as workers,
        connected(url) as db,
    ):
        victim, *survivors = workers.workers

        async def kill_a_third_in() -> tuple[int, set[int]]:
            """SIGKILL the victim once a third has arrived, caught (stopped) while it holds
            claims: messages so far, its open claims."""
            claims: set[int] = set()

            async def a_third_arrived() -> bool:
                return arrived.total() >= ATHLETES // 3

            async def caught_holding_claims() -> bool:
                """Stop the victim where it is; let it go on unless it holds a claim."""
                workers.pause(victim)
                rows = await db.fetch(
                    "SELECT uid FROM reminders WHERE status = 'pending' AND claimed_by = $1",
                    victim.worker_id,
                )
                claims.update(row["uid"] for row in rows)
                if not claims:
                    workers.resume(victim)
                return bool(claims)

            await until(a_third_arrived, 30, workers)
            await until(caught_holding_claims, 30, workers)
            at_kill = arrived.total()
            await workers.kill(victim)
            return at_kill, claims

        start = time.perf_counter()
        soon = datetime.now(UTC)
        due = {uid: soon + timedelta(seconds=rng.uniform(0, DUE_SPREAD_S)) for uid in uids}
        async with asyncio.TaskGroup() as group:
            killing = group.create_task(kill_a_third_in())
            async with direct_store(tmp_path / "unused", url) as store:
                await seed_store(store, uids, due)
            seeded = time.perf_counter() - start
        at_kill, in_flight = killing.result()

        async def all_delivered() -> bool:
            pending = await db.fetchval("SELECT count(*) FROM reminders WHERE status = 'pending'")
            return len(arrived) == ATHLETES and pending == 0

        await until(all_delivered, 30, workers)
        elapsed = time.perf_counter() - start
        statuses = dict(await db.fetch("SELECT status, count(*) FROM reminders GROUP BY status"))
        reclaimed = await db.fetchval(
            "SELECT count(*) FROM reminders WHERE uid = ANY($1::bigint[]) "
            "AND claimed_by <> $2 AND claims >= 2",
            list(in_flight),
            victim.worker_id,
        )
        shares = dict(
            await db.fetch(
                "SELECT claimed_by, count(*) FROM reminders WHERE status = 'sent' GROUP BY 1"
            )
        )
    counts = message_counts(api, uids)
    twice = {uid for uid, n in counts.items() if n > 1}
    print(
        f"\n{ATHLETES} reminders, 3 workers: seeded in {seeded:.1f} s, all sent after "
        f"{elapsed:.1f} s; {victim.worker_id} killed after {at_kill} messages holding "
        f"{len(in_flight)} claims; sent twice: {len(twice)}; sent by {shares}"
    )
    assert statuses == {"sent": ATHLETES}
    assert not [uid for uid in uids if counts[uid] == 0], "a reminder was lost"
    assert max(counts.values()) <= 2
    assert twice <= in_flight, f"sent twice without a dead claim: {sorted(twice - in_flight)}"
    assert 0 < len(in_flight) <= MAX_PARALLEL_SENDS
    assert reclaimed == len(in_flight), "a dead worker's claim was not taken over"
    assert all(shares.get(w.worker_id, 0) > 0 for w in survivors), shares


async def test_checkin_continues_across_workers(
    api: FakeBotAPI, pg_cluster: TempCluster, tmp_path: Path
) -> None:
    """The proxy alternates two workers on every update; onboarding and a full check-in still
    flow, the check-in is stored once and its guidance arrives once."""
    url = pg_cluster.create_database("workers_checkin")
    user = api.user(8_100_001)
    home = tmp_path / "workers"
    async with Workers(
        2, token=TOKEN, api_url=api.base_url, database_url=url, home=home, env=FAST
    ) as workers:
        await onboard(user)
        await user.send("/checkin")
        await answer_all(user, ANSWERS)
        await user.expect("3:1 carb")
        async with direct_store(tmp_path / "unused", url) as store:

            async def reply_settled() -> bool:
                replies = [
                    r for r in await store.reminders(user.id) if r["kind"] == ReminderKind.REPLY
                ]
                return [r["status"] for r in replies] == ["sent"]

            await eventually(reply_settled)
            checkins = await store.checkins(user.id)
        forwarded = dict(workers.proxy.forwarded)
    assert len(checkins) == 1
    guidance = [e for e in user.events if e.kind == "message" and guidance_id(e)]
    assert len(guidance) == 1, [e.describe() for e in user.events]
    assert sorted(forwarded) == sorted(w.upstream for w in workers.workers)
    assert min(forwarded.values()) >= 5, forwarded


async def test_team_session_prompts_each_member_once_across_workers(
    api: FakeBotAPI, pg_cluster: TempCluster, tmp_path: Path
) -> None:
    """A session ends while 3 workers share the schedule: the team is processed by one of them
    and each of 60 members gets one check-in prompt (then the one re-prompt, two hours on)."""
    url = pg_cluster.create_database("workers_team")
    size, clock = 60, Clock()
    async with direct_store(tmp_path / "unused", url) as store:
        end = await seed_team(store, clock, size)
    members = range(1000, 1000 + size)
    for uid in members:
        api.user(uid)
    offset = tmp_path / "clock-offset"
    offset.write_text(str((end - clock.now()).total_seconds() + 1))  # jump past the session end
    env = FAST | {"BOT_CLOCK_OFFSET_FILE": str(offset)}
    home = tmp_path / "workers"

    def prompts(uid: int, text: str) -> int:
        return sum(text in (e.text or "") for e in api.world.chats[uid].events)

    async with Workers(3, token=TOKEN, api_url=api.base_url, database_url=url, home=home, env=env):

        async def everyone_prompted() -> bool:
            return all(prompts(uid, "done training") for uid in members)

        await eventually(everyone_prompted, 20)
        offset.write_text(str((end - clock.now()).total_seconds() + 2 * 3600 + 1))

        async def everyone_nudged() -> bool:
            return all(prompts(uid, "gentle nudge") for uid in members)

        await eventually(everyone_nudged, 20)
        await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
    assert {prompts(uid, "done training") for uid in members} == {1}
    assert {prompts(uid, "gentle nudge") for uid in members} == {1}
