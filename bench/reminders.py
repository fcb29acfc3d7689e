"""Measure 3: 50,000 pending reminders: start-up restore, memory, lateness of 1,000 due at once."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import procs
from bench.config import Sizes
from bench.seed import seed_athletes
from bench.table import Row, Target, percentile
from bot.shell.config import Settings

FIRST_UID = 30_000_000


def paced_slots(dues: list[float], rate: float) -> list[float]:
    """Earliest send times a token bucket (burst and refill `rate`/s) allows, in due order."""
    slots: list[float] = []
    tokens, stamp = rate, min(dues, default=0.0)
    for due in sorted(dues):
        now = max(due, stamp)
        tokens = min(rate, tokens + (now - stamp) * rate)
        if tokens < 1:
            now += (1 - tokens) / rate
            tokens = 1.0
        tokens -= 1
        stamp = now
        slots.append(now)
    return slots


def measure(sizes: Sizes) -> list[Row]:
    """Restore time and memory of the real bot, and how late the due reminders reach the chat."""
    athletes = sizes.reminder_athletes
    per_athlete = sizes.pending_reminders // athletes
    uids = list(range(FIRST_UID, FIRST_UID + athletes))
    due_uids = uids[: sizes.due_together]
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=sizes.due_lead_s)
    due = {uid: second + timedelta(seconds=random.random()) for uid in due_uids}
    rate = Settings.model_fields["send_rate"].default
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        data = Path(tmp)
        seed_athletes(data, uids, checkins=1, reminders=per_athlete, due_soon=due)
        with procs.fake_server() as (server, url):
            server.ask(cmd="users", uids=due_uids)
            with procs.bot("app", procs.bot_env(url, data)) as (_, facts):
                wait_until = second.timestamp() + 1 + sizes.due_together / rate + 10
                while time.time() < wait_until:
                    arrivals = server.ask(cmd="arrivals")["arrivals"]
                    if len(arrivals) >= len(due_uids):
                        break
                    time.sleep(0.5)
    if len(arrivals) < len(due_uids):
        raise RuntimeError(f"only {len(arrivals)} of {len(due_uids)} due reminders arrived")
    sent = sorted(at for _, at in arrivals)
    late = sorted(at - due[uid].timestamp() for uid, at in arrivals)
    slots = paced_slots([d.timestamp() for d in due.values()], rate)
    beyond_pacing = [at - slot for at, slot in zip(sent, slots, strict=True)]
    memory_mib = (facts["rss_after_kib"] - facts["rss_before_kib"]) / 1024
    n = f"{facts['pending']:,}"
    k = f"{len(due_uids):,}"
    return [
        Row(
            f"restore {n} pending reminders at start-up",
            "s",
            facts["restore_s"],
            None,
            Target("≤", 3),
        ),
        Row(f"memory of the restored index, {n} pending", "MiB", memory_mib),
        Row(f"lateness p50 beyond pacing, {k} due in 1 s", "s", percentile(beyond_pacing, 50)),
        Row(
            f"lateness p99 beyond pacing, {k} due in 1 s",
            "s",
            percentile(beyond_pacing, 99),
            None,
            Target("≤", 1),
        ),
        Row(
            f"lateness p99 incl. {rate:g}/s pacing, {k} due",
            "s",
            percentile(late, 99),
            slots[int(0.99 * (len(slots) - 1))] - min(d.timestamp() for d in due.values()),
        ),
    ]
