"""Measure 1: full check-ins through the real bot vs a bare PTB echo bot, same fake server."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import procs
from bench.config import Sizes
from bench.seed import seed_athletes
from bench.table import Row, Target, percentile

FIRST_UID = 10_000_000
UPDATES_PER_CHECKIN = 10


def _run(mode: str, script: str, athletes: int, rounds: int) -> dict[str, Any]:
    """One bot process and one fake server; every athlete runs `script` `rounds` times."""
    uids = list(range(FIRST_UID, FIRST_UID + athletes))
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        data = Path(tmp)
        if mode == "app":
            seed_athletes(data, uids, checkins=0)
        with procs.fake_server() as (server, url):
            # Flood-limit pacing (Telegram's ~30 messages/s) is measured by the broadcast;
            # here both bots run unpaced, so the figure is the bot's own cost per update.
            env = procs.bot_env(url, data) | {"BOT_SEND_RATE": "0"}
            with procs.bot(mode, env) as (bot, _):
                server.ask(cmd="users", uids=uids)
                cpu = bot.cpu_s()
                result = server.ask(cmd=script, uids=uids, rounds=rounds)
                result["cpu_s"] = bot.cpu_s() - cpu
    if result["failed"]:
        raise RuntimeError(f"{mode}: {result['failed']} athletes failed, e.g. {result['errors']}")
    return result


def measure(sizes: Sizes) -> list[Row]:
    """Updates/s, the bot process's CPU per update and p95 reply latency at each size."""
    rows: list[Row] = []
    for athletes in sizes.concurrency:
        rounds = sizes.checkin_rounds[athletes]
        echo = _run("echo", "echo", athletes, rounds * UPDATES_PER_CHECKIN)
        full = _run("app", "checkin", athletes, rounds)
        rate = {name: r["updates"] / r["seconds"] for name, r in (("echo", echo), ("app", full))}
        rows.append(
            Row(
                f"e2e updates/s, {athletes} athletes (vs echo bot)",
                "/s",
                rate["app"],
                rate["echo"],
                Target("≥", 0.6, on="ratio"),
            )
        )
        rows.append(
            Row(
                f"e2e CPU per update (bot process), {athletes} athletes",
                "ms",
                full["cpu_s"] / full["updates"] * 1000,
                echo["cpu_s"] / echo["updates"] * 1000,
            )
        )
        rows.append(
            Row(
                f"e2e p95 update→reply, {athletes} athletes",
                "ms",
                percentile(full["latencies"], 95) * 1000,
                percentile(echo["latencies"], 95) * 1000,
            )
        )
    return rows
