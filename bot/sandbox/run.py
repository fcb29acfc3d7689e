"""The sandbox session: the fake Bot API, the bot, and the terminal loop."""

from __future__ import annotations

import asyncio
import sys
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from telegram.ext import Application

from bot.athletes.parsing import parse_minutes
from bot.athletes.profiles import athlete_zone, load_profile
from bot.fakeapi import FakeBotAPI
from bot.sandbox import TOKEN, team
from bot.sandbox.person import Person, Stage
from bot.sandbox.screen import Screen
from bot.shell.app import build_application, running
from bot.shell.config import load_settings
from bot.shell.context import services_of

ATHLETE_ID = 1001
OFFSET_FILE = "clock-offset"
TICK = 0.2  # seconds between the bot's looks for due reminders and team prompts
ATHLETE = """Sandbox: you are an athlete chatting with the bot (no Telegram needed).
Type messages or commands as in Telegram (/start, /checkin, /history, /help ...)."""
COMMON = """Buttons print as [#2 Hard]: type #2 to tap it on the newest message with buttons.
Messages with buttons are numbered (🤖 [5] ...): #5.2 taps button 2 of message [5] later on.
Anything else is sent as a message: typing 7 answers 7.
/wait 30m (or 2h, 2d) fast-forwards the bot's clock. /quit leaves.
Data is kept in {data} so you can quit and come back; files the bot sends are saved in
{files}; the bot's log goes to {log}."""


async def session(data_dir: Path, log: Path, coach: bool) -> None:
    """Run the fake API, the bot and the terminal loop until /quit or end of input."""
    async with FakeBotAPI(TOKEN) as api:
        settings = load_settings(
            token=TOKEN,
            api_url=api.base_url,
            data_dir=data_dir,
            database_url=None,  # never a real database, even with BOT_DATABASE_URL set
            tick_seconds=TICK,
            clock_offset_file=data_dir / OFFSET_FILE,
            send_rate=0,  # no Telegram limits to keep to on loopback: answers come at once
        )
        app = build_application(settings)
        async with running(app, poll_timeout=1):
            files = data_dir / "files"
            stage = team.stage(app, api, files) if coach else athlete(api, files)
            tasks = [asyncio.create_task(job) for job in stage.jobs]
            stage.screen.say(f"{stage.intro}\n{COMMON.format(data=data_dir, files=files, log=log)}")
            await converse(app, stage)
            await asyncio.sleep(3 * TICK)  # the bot's answer to the last line, if any
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task


def athlete(api: FakeBotAPI, files: Path) -> Stage:
    """You as an athlete in your private chat with the bot."""
    user = api.user(ATHLETE_ID, "Sam")
    person = Person(user, {"me": user}, "me")
    screen = Screen(files, person.chats)
    return Stage(person, screen, [screen.follow(user)], ATHLETE, settled)


async def converse(app: Application, stage: Stage) -> None:
    """Act on each typed line until /quit or the end of input."""
    person, screen = stage.person, stage.screen
    while (line := await read_line()) is not None:
        command, _, rest = line.strip().partition(" ")
        if command in {"/quit", "/exit"}:
            return
        if command == "/wait":
            await stage.settle()
            await fast_forward(app, person, screen, rest.strip() or "30m")
        elif command == "/to":
            screen.say("   " + person.switch(rest.strip()))
        elif command.startswith("#"):
            await tap(person, screen, command)
        elif command:
            await person.send(line.strip())


async def settled() -> None:
    """Nobody but you acts in the athlete sandbox: nothing to wait for."""


async def read_line() -> str | None:
    """One line from stdin without blocking the event loop (None at end of input)."""
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


async def tap(person: Person, screen: Screen, spec: str) -> None:
    """Tap the button that `#3` or `#5.3` names, or say why it can't be tapped."""
    found = screen.find(spec, person.chats[person.here].chat_id)
    if isinstance(found, str):
        screen.say(f"   {found}")
    elif found[1] is None:
        screen.say("   that button is a link: in Telegram it opens the bot's private chat")
    else:
        await person.tap(found[0], found[1])


async def fast_forward(app: Application, person: Person, screen: Screen, spec: str) -> None:
    """Move the bot's clock on by e.g. '30m', '2h' or '2d' and show the time it is now."""
    try:
        minutes = int(spec[:-1]) * 1440 if spec.endswith("d") else parse_minutes(spec)
    except ValueError:
        screen.say("   usage: /wait 30m | 2h | 2d")
        return
    svc = services_of(app)
    svc.clock.advance(timedelta(minutes=minutes))
    kept = svc.settings.data_dir / OFFSET_FILE  # the clock stays moved when you come back
    await asyncio.to_thread(_keep_offset, kept, svc.clock.offset.total_seconds())
    zone = athlete_zone(await load_profile(svc.store, person.user.id), svc.settings.default_tz)
    now = svc.clock.now().astimezone(zone)
    screen.say(f"   ⏩ {span(minutes)} later: {now:%a %d %b %H:%M} {zone}")
    await asyncio.sleep(3 * TICK)  # what falls due prints before the next line is read


def _keep_offset(path: Path, seconds: float) -> None:
    """Replace the saved clock offset (off the event loop: it is disk work)."""
    path.with_suffix(".new").write_text(str(seconds))
    path.with_suffix(".new").replace(path)


def span(minutes: int) -> str:
    """'30 minutes', '2 hours', '1 day'."""
    units = (("day", 1440), ("hour", 60), ("minute", 1))
    unit, size = next((unit, size) for unit, size in units if minutes % size == 0)
    count = minutes // size
    return f"{count} {unit}{'' if count == 1 else 's'}"
