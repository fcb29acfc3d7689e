"""Try the bot in a terminal: the real Application against the built-in fake Bot API, no token."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from datetime import timedelta
from pathlib import Path

from bot.athletes.parsing import parse_minutes
from bot.fakeapi import FakeBotAPI
from bot.shell.app import build_application, running
from bot.shell.config import load_settings
from bot.shell.context import services_of
from bot.shell.logsetup import configure_logging

TOKEN = "123456:SANDBOX-not-a-real-token-0000000000"
ATHLETE_ID = 1001
INTRO = """Sandbox: you are an athlete chatting with the bot (no Telegram needed).
Type messages or commands as in Telegram (/start, /checkin, /help ...).
Type a button's number to tap it. /wait 30m (or 2h, 1d) fast-forwards time to see reminders.
/quit leaves. Data is kept in {data} so you can quit and come back."""


def render(event: object, buttons: list[tuple[str, str]]) -> str:
    """One bot event as terminal text, buttons numbered."""
    kind = getattr(event, "kind", "message")
    text = getattr(event, "text", "") or ""
    prefix = {"edit": "  ✎ ", "callback_answer": "  💬 "}.get(kind, "🤖 ")
    if kind == "callback_answer" and not text:
        return ""
    lines = [prefix + text.replace("\n", "\n   ")]
    filename, data = getattr(event, "filename", None), getattr(event, "data", None) or b""
    if filename:
        lines.append(f"   📎 {filename} ({len(data)} bytes)")
    if buttons:
        lines.append("   " + "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(buttons, 1)))
    return "\n".join(lines)


def flat_buttons(event: object) -> list[tuple[str, str]]:
    """The event's inline buttons as one numbered list."""
    return [button for row in getattr(event, "buttons", None) or [] for button in row]


async def show_bot(user: object, latest: dict[str, list[tuple[str, str]]]) -> None:
    """Print what the bot sends, as it arrives; remember the latest buttons."""
    while True:
        try:
            event = await user.expect(timeout=3600)  # type: ignore[attr-defined]
        except AssertionError:
            continue
        buttons = flat_buttons(event)
        if buttons or getattr(event, "kind", "") == "message":
            latest["buttons"] = buttons
        line = render(event, buttons)
        if line:
            print(line, flush=True)


async def read_line() -> str | None:
    """One line from stdin without blocking the event loop (None at end of input)."""
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


async def session(data_dir: Path) -> None:
    """Run the fake API, the bot and the terminal loop until /quit or end of input."""
    async with FakeBotAPI(TOKEN) as server:
        settings = load_settings(
            token=TOKEN, api_url=server.base_url, data_dir=data_dir, tick_seconds=0.5
        )
        app = build_application(settings)
        clock = services_of(app).clock
        user = server.user(ATHLETE_ID, first_name="Sam")
        latest: dict[str, list[tuple[str, str]]] = {"buttons": []}
        async with running(app, poll_timeout=1):
            printer = asyncio.create_task(show_bot(user, latest))
            print(INTRO.format(data=data_dir), flush=True)
            while (line := await read_line()) is not None:
                line = line.strip()
                if line in {"/quit", "/exit"}:
                    break
                if line.startswith("/wait"):
                    await wait(clock, line.removeprefix("/wait").strip() or "30m")
                elif line.isdigit() and 1 <= int(line) <= len(latest["buttons"]):
                    await user.press(data=latest["buttons"][int(line) - 1][1])
                elif line:
                    await user.send(line)
            await asyncio.sleep(0.3)
            printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printer


async def wait(clock: object, spec: str) -> None:
    """Fast-forward the bot's clock by e.g. '30m', '2h' or '1d'."""
    try:
        minutes = int(spec[:-1]) * 1440 if spec.endswith("d") else parse_minutes(spec)
    except ValueError:
        print("   usage: /wait 30m | 2h | 1d", flush=True)
        return
    clock.advance(timedelta(minutes=minutes))  # type: ignore[attr-defined]
    print(f"   ⏩ {minutes} minutes later...", flush=True)
    await asyncio.sleep(1.5)


def main() -> None:
    """Entry point of `python -m bot sandbox`."""
    data_dir = Path(os.environ.get("BOT_DATA_DIR", "sandbox-data"))
    configure_logging(os.environ.get("BOT_LOG_LEVEL", "WARNING").upper(), TOKEN)
    asyncio.run(session(data_dir))
