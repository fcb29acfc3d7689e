"""Command line: `python -m bot` runs the bot (long polling); `python -m bot sandbox` tries it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from telegram import Update

from bot.config import ConfigError, load_settings
from bot.logsetup import configure_logging
from bot.storage import CorruptDataError

RECOVERY_HINT = (
    "; move it aside (the bot will then start without it) or restore it from your backup"
)


def run_polling() -> None:
    """Run the bot against Telegram (or BOT_API_URL) with long polling until Ctrl+C."""
    from bot.app import build_application

    settings = load_settings()
    configure_logging(settings.log_level, settings.token.get_secret_value())
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


def run_sandbox() -> None:
    """Chat with the bot in this terminal through the built-in fake Bot API."""
    from bot.sandbox import main

    main()


def main(argv: list[str] | None = None) -> int:
    """Parse the command, run it, and turn start-up problems into one clear line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["polling", "sandbox"], default="polling")
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[], None]] = {"polling": run_polling, "sandbox": run_sandbox}
    try:
        commands[args.mode]()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CorruptDataError as exc:
        print(f"error: {exc}{RECOVERY_HINT}", file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"error: data dir problem: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
