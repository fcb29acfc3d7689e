"""Try the bot in a terminal (`python -m bot sandbox [--team]`): the real Application against the
built-in fake Bot API, no token; as an athlete, or as a coach with a simulated team."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from pathlib import Path

from bot.shell.config import ConfigError
from bot.shell.logsetup import configure_logging
from bot.storage import dirlock

TOKEN = "123456:SANDBOX-not-a-real-token-0000000000"
BUSY = (
    "Another sandbox is already running on {data}; close it or set BOT_DATA_DIR to another folder."
)


def main(coach: bool = False) -> None:
    """Entry point of `python -m bot sandbox` (coach: `--team`)."""
    data_dir = Path(os.environ.get("BOT_DATA_DIR", "sandbox-data"))
    os.umask(0o077)  # the log, exports and charts are owner-only, like the bot's data files
    claim(data_dir)
    log = data_dir / "sandbox.log"
    configure_logging(os.environ.get("BOT_LOG_LEVEL", "INFO").upper(), TOKEN)
    for handler in logging.getLogger().handlers:
        handler.setStream(log.open("a", encoding="utf-8"))  # type: ignore[attr-defined]
    from bot.sandbox.run import session  # the bot itself loads once the folder is ours

    asyncio.run(session(data_dir, log, coach))


def claim(data_dir: Path) -> None:
    """Lock the data dir for this sandbox: ConfigError in words for a sandbox user if taken."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        dirlock.hold(data_dir)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        raise ConfigError(BUSY.format(data=data_dir)) from None
