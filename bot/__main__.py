"""Command line: `python -m bot` runs the bot (long polling, or a webhook when BOT_WEBHOOK_URL is
set); `python -m bot sandbox` tries it; `python -m bot restore FILE` brings back a file's last
good copy; `python -m bot import-tinydb [DATA_DIR]` copies TinyDB files into BOT_DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.shell.config import ConfigError, load_settings, load_storage_settings
from bot.shell.logsetup import configure_logging
from bot.storage import CorruptDataError, StorageWriteError, StoreUnavailable
from bot.storage.recover import recovery_hint, restore
from bot.storage.transfer import ImportMismatch, import_tinydb


def run_bot(_file: Path | None) -> None:
    """Run the bot against Telegram (or BOT_API_URL) until Ctrl+C / SIGTERM."""
    from bot.shell.app import build_application, check_store, check_token, serve

    settings = load_settings()
    configure_logging(settings.log_level, settings.token.get_secret_value())
    asyncio.run(check_store(settings))
    app = build_application(settings)
    asyncio.run(check_token(settings))
    asyncio.run(serve(app, settings))


def run_sandbox(_file: Path | None, team: bool = False) -> None:
    """Chat with the bot in this terminal through the built-in fake Bot API (team: as a coach)."""
    from bot.sandbox import main

    main(coach=team)


def run_restore(file: Path | None) -> None:
    """Put the last good copy of an athlete's data file back, keeping the broken one aside."""
    if file is None:
        raise ConfigError("restore needs the data file named in the start-up error")
    aside = restore(file, datetime.now(UTC))
    print(f"restored {file} from its previous version; the broken file is kept as {aside.name}")


def run_import(folder: Path | None) -> None:
    """Copy a TinyDB data dir (default BOT_DATA_DIR) into BOT_DATABASE_URL and verify the counts."""
    settings = load_storage_settings()
    if settings.database_url is None:
        raise ConfigError("BOT_DATABASE_URL is not set: import-tinydb copies into that database")
    url = settings.database_url.get_secret_value()
    source = folder or settings.data_dir
    report = asyncio.run(import_tinydb(source, url, datetime.now(UTC), sys.stderr))
    print(report.table())
    report.check()
    print(f"verified: PostgreSQL holds every row of {source}")


TOKEN_REJECTED = (
    "error: the Bot API rejected BOT_TOKEN (401/404): copy the token again from @BotFather, "
    "and check BOT_API_URL if you set it"
)

COMMANDS = {
    "run": run_bot,
    "sandbox": run_sandbox,
    "restore": run_restore,
    "import-tinydb": run_import,
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command, run it, and turn start-up problems into one clear line."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("mode", nargs="?", choices=list(COMMANDS), default="run")
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="for restore: the data file; for import-tinydb: the data dir (default BOT_DATA_DIR)",
    )
    parser.add_argument("--team", action="store_true", help="sandbox: be a coach with a team")
    args = parser.parse_args(argv)
    if args.team and args.mode != "sandbox":
        parser.error("--team goes with sandbox")
    command = partial(run_sandbox, team=True) if args.team else COMMANDS[args.mode]
    try:
        command(args.file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CorruptDataError as exc:
        print(f"error: {exc}{recovery_hint(exc.path)}", file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"error: data dir problem: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 4
    except (StoreUnavailable, StorageWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 5
    except ImportMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 6
    except InvalidToken:  # its message carries the whole token: never print it
        print(TOKEN_REJECTED, file=sys.stderr)
        return 2
    except NetworkError as exc:  # a network outage at start-up: one line; a restart may fix it
        print(f"error: cannot reach the Telegram Bot API ({type(exc).__name__})", file=sys.stderr)
        return 7
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
