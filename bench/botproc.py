"""The bot side in its own process: `python -m bench.botproc app|echo|broadcast|memory|startup`.

Reads BOT_TOKEN, BOT_API_URL and BOT_DATA_DIR like `python -m bot`; reports JSON lines on stdout;
`app` and `echo` poll until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.shell.app import build_application, running
from bot.shell.config import load_settings
from bot.shell.context import KEY, Services


def rss_kib() -> int:
    """This process's resident set size in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _say(payload: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def _until_terminated() -> None:
    """Wait for SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def _built() -> tuple[Application, dict[str, Any]]:
    """The real Application, with its start-up cost: restore seconds and RSS before/after."""
    before = rss_kib()
    start = time.perf_counter()
    app = build_application(load_settings())
    restore_s = time.perf_counter() - start
    svc: Services = app.bot_data[KEY]
    return app, {
        "restore_s": restore_s,
        "rss_before_kib": before,
        "rss_after_kib": rss_kib(),
        "pending": svc.store.indexed(),
    }


async def run_app() -> None:
    """The real bot, polling until SIGTERM."""
    app, facts = _built()
    async with running(app, poll_timeout=1):
        _say({"ready": True, **facts})
        await _until_terminated()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    await update.effective_chat.send_message(update.effective_message.text)


async def run_echo() -> None:
    """A bare PTB echo bot (library defaults), polling until SIGTERM."""
    settings = load_settings()
    app = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        _say({"ready": True})
        await _until_terminated()
        await app.updater.stop()
        await app.stop()


async def run_broadcast(uids: list[int]) -> None:
    """Send one message to each athlete through the app's bot (its rate limiter included)."""
    app, _ = _built()
    async with app:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(
                app.bot.send_message(uid, "Team session at 18:00 today: check in after!")
                for uid in uids
            ),
            return_exceptions=True,
        )
        seconds = time.perf_counter() - start
    failed = [repr(r) for r in results if isinstance(r, BaseException)]
    _say({"sent": len(uids) - len(failed), "seconds": seconds, "failed": failed[:3]})


async def run_startup() -> None:
    """Start-up only: its time and RSS."""
    _say(_built()[1])


async def run_memory() -> None:
    """Start-up plus one read of every athlete (the open-file cache filled), then RSS."""
    app, facts = _built()
    store = app.bot_data[KEY].store
    for uid in list(store.athlete_ids()):
        await store.profile(uid)
    _say({**facts, "rss_touched_kib": rss_kib()})


def main() -> None:
    """Run the chosen mode."""
    parser = argparse.ArgumentParser(prog="python -m bench.botproc", description=__doc__)
    parser.add_argument("mode", choices=["app", "echo", "broadcast", "memory", "startup"])
    parser.add_argument("--uids", default="", help="first-last athlete ids for broadcast")
    args = parser.parse_args()
    if args.mode == "broadcast":
        first, last = map(int, args.uids.split("-"))
        asyncio.run(run_broadcast(list(range(first, last + 1))))
    else:
        modes = {"app": run_app, "echo": run_echo, "memory": run_memory, "startup": run_startup}
        asyncio.run(modes[args.mode]())


if __name__ == "__main__":
    main()
