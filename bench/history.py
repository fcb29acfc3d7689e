"""Measure 7: cost in a long history: one answer at 10 vs 3,000 stored check-ins, and /history."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import procs
from bench.config import Sizes
from bench.seed import seed_athletes
from bench.table import Row, Target

SHORT_UID, LONG_UID, CHART_UID = 60_000_001, 60_000_002, 60_000_003
SHORT_HISTORY = 10
SENT_PER_CHECKIN = 4  # the reply and the reminders each check-in leaves behind
CHECKIN_ROUNDS = 3
HISTORY_REPEATS = 10


def _ask(server: procs.Child, bot: procs.Child, **command: Any) -> dict[str, Any]:
    """A fakeserver script for one athlete, with the bot's CPU seconds it took."""
    cpu = bot.cpu_s()
    result = server.ask(**command)
    if result["failed"]:
        raise RuntimeError(f"{command['cmd']}: {result['errors']}")
    return {**result, "cpu_s": bot.cpu_s() - cpu}


def measure(sizes: Sizes) -> list[Row]:
    """Per-tap latency and CPU of one athlete at a short and a long history; /history's chart
    the first time and repeated (nothing changed in between)."""
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        data = Path(tmp)
        for uid, checkins in (
            (SHORT_UID, SHORT_HISTORY),
            (LONG_UID, sizes.long_history),
            (CHART_UID, sizes.chart_history),
        ):
            seed_athletes(data, [uid], checkins=checkins, sent_per_checkin=SENT_PER_CHECKIN)
        long_mb = (data / "athletes" / f"{LONG_UID}.json").stat().st_size / 1e6
        with procs.fake_server() as (server, url):
            env = procs.bot_env(url, data) | {"BOT_SEND_RATE": "0"}
            with procs.bot("app", env) as (bot, _):
                server.ask(cmd="users", uids=[SHORT_UID, LONG_UID, CHART_UID])
                taps = {
                    uid: _ask(server, bot, cmd="checkin", uids=[uid], rounds=CHECKIN_ROUNDS)
                    for uid in (SHORT_UID, LONG_UID)
                }
                charts = _ask(server, bot, cmd="history", uids=[CHART_UID], rounds=1)
                again = _ask(server, bot, cmd="history", uids=[CHART_UID], rounds=HISTORY_REPEATS)
    per_tap = {uid: statistics.median(r["latencies"]) * 1000 for uid, r in taps.items()}
    cpu = {uid: r["cpu_s"] / r["updates"] * 1000 for uid, r in taps.items()}
    n, c = f"{sizes.long_history:,}", f"{sizes.chart_history:,}"
    return [
        Row(
            f"one answer p50, {n} vs {SHORT_HISTORY} stored check-ins ({long_mb:.1f} MB file)",
            "ms",
            per_tap[LONG_UID],
            per_tap[SHORT_UID],
            Target("≤", 1.5, on="ratio"),
        ),
        Row(
            f"CPU per update (bot process), {n} vs {SHORT_HISTORY} stored check-ins",
            "ms",
            cpu[LONG_UID],
            cpu[SHORT_UID],
        ),
        Row(
            f"/history first (text + chart), {c} check-ins",
            "ms",
            charts["latencies"][0] * 1000,
            None,
            Target("≤", 300),
        ),
        Row(
            f"/history repeated p50, {c} check-ins",
            "ms",
            statistics.median(again["latencies"]) * 1000,
            None,
            Target("≤", 20),
        ),
        Row(
            f"/history CPU per call (bot process), {c} check-ins, first → repeated",
            "ms",
            again["cpu_s"] / again["updates"] * 1000,
            charts["cpu_s"] * 1000,
        ),
    ]
