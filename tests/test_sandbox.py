"""The terminal sandbox, driven as a person would: type lines, read what is printed."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest


class Terminal:
    """A `python -m bot sandbox` process with line-based input and output."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        """Wrap the process."""
        self.proc = proc
        self.seen: list[str] = []

    async def type(self, line: str) -> None:
        """Type one line."""
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()

    async def wait_for(self, text: str, within: float = 10.0) -> str:
        """Read output until a line containing `text` appears."""
        try:
            async with asyncio.timeout(within):
                while raw := await self.proc.stdout.readline():
                    self.seen.append(raw.decode().rstrip())
                    if text in self.seen[-1]:
                        return self.seen[-1]
        except TimeoutError:
            pass
        raise AssertionError(f"no {text!r} in the sandbox's output:\n" + "\n".join(self.seen))

    async def wait_all(self, *texts: str) -> dict[str, str]:
        """Read output until every text has appeared, in any order; the line of each."""
        found: dict[str, str] = {}
        while len(found) < len(texts):
            line = await self.wait_for("")
            found |= {text: line for text in texts if text in line and text not in found}
        return found

    async def choose(self, label: str) -> None:
        """Tap the button whose label contains `label` on the next buttons line offering it."""
        pattern = re.compile(rf"\[#(\d+) [^\]]*{re.escape(label)}[^\]]*\]")
        while not (found := pattern.search(await self.wait_for("[#"))):
            continue
        await self.type(f"#{found.group(1)}")


@asynccontextmanager
async def sandbox(data: Path, *args: str) -> AsyncIterator[Terminal]:
    """A running sandbox on `data`, its log at INFO; quit and checked at the end."""
    env = {**os.environ, "BOT_DATA_DIR": str(data), "BOT_LOG_LEVEL": "INFO"}
    env.pop("BOT_TOKEN", None)
    proc = await start(env, *args)
    term = Terminal(proc)
    try:
        await term.wait_for("/quit leaves")
        yield term
        await term.type("/quit")
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert await proc.stderr.read() == b""  # the log goes to its file, not the terminal
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """Start `python -m bot sandbox` with piped input and output."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def set_up(term: Terminal) -> None:
    """Onboard by tapping: consent, Berlin time, 22:30 bedtime."""
    await term.type("/start")
    for label in ("I agree", "Berlin / Paris", "22:30"):
        await term.choose(label)
    await term.wait_for("All set")


async def test_typed_numbers_are_values_and_earlier_buttons_stay_reachable(tmp_path: Path) -> None:
    """Typing 7 answers 7; #n taps the newest buttons, #m.n those of an earlier message."""
    async with sandbox(tmp_path / "sandbox") as term:
        await set_up(term)
        await term.type("/checkin")
        for label in ("Just now", "Intervals", "60 min"):
            await term.choose(label)
        await term.wait_for("[#11 10]")  # the effort scale: 0 is #1
        await term.type("7")
        await term.wait_for("✓ Effort (RPE): 7")
        for label in ("8", "2", "Yes", "Neither", "7 h"):
            await term.choose(label)
        guidance = await term.wait_for("Eat a 3:1")
        number = re.search(r"🤖 \[(\d+)\]", guidance).group(1)
        await term.choose("Why?")
        await term.wait_for("[#1 · 1 ·]")  # the explanation's page buttons are the newest now
        await term.type(f"#{number}.2")  # Already ate, on the guidance
        await term.wait_for("💬 Logged")
        await term.type("/history")
        await term.wait_for("files/history.png (")  # the chart, saved
        await term.type("#99.1")
        await term.wait_for("there is no message [99]")


async def test_files_are_saved_wait_shows_the_time_and_the_log_has_its_file(
    tmp_path: Path,
) -> None:
    """/export's files land in files/, /wait names the new time, log lines go to the log file."""
    data = tmp_path / "sandbox"
    async with sandbox(data) as term:
        await set_up(term)
        await term.type("/export")
        line = await term.wait_for("📎 saved")
        path, size = re.search(r"saved (\S+) \((\d+) bytes\)", line).groups()
        assert Path(path).parent == data / "files"
        info = await asyncio.to_thread(os.stat, path)
        assert info.st_size == int(size) > 0
        assert info.st_mode & 0o777 == 0o600
        await term.type("/wait 2h")
        line = await term.wait_for("⏩ 2 hours later: ")
        shown = line.split("later: ")[1]
        berlin = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")) + timedelta(hours=2)
        assert shown.endswith("Europe/Berlin")
        assert shown[:-14] in {f"{berlin - timedelta(minutes=m):%a %d %b %H:%M}" for m in (0, 1)}
    assert "bot @" in (data / "sandbox.log").read_text()
    assert not [line for line in term.seen if " INFO " in line]


MEMBERS = ("Ana", "Ben", "Dee", "Cy")


@pytest.mark.chaos  # a whole-process tour of several simulated days: with the other trials
async def test_coach_mode_team_session_prompts_report_and_red_flag(tmp_path: Path) -> None:
    """A coach sets up a team, schedules a session and sees prompts, the summary and an alert."""
    async with sandbox(tmp_path / "sandbox", "--team") as term:
        session = re.search(r"/session (\S+ \S+) 60", "\n".join(term.seen)).group(1)
        await term.type("/team")
        await term.wait_for("is ready")
        await term.wait_all(*(f"· {name} opened the join link" for name in MEMBERS))
        await term.type(f"/session {session} 60")
        await term.wait_for("group │ 🤖 Scheduled")
        await term.type("/wait 2h")
        await term.wait_all(
            "· Ana got the check-in prompt and checked in",
            "· Ben got the check-in prompt and checked in",
            "· Dee got the check-in prompt and checked in",
            "· Cy got the check-in prompt and lets it sit",
        )
        await term.type("/wait 4h")
        await term.wait_all(
            "· Cy got a gentle nudge and lets it sit",
            "group │ 🤖 [2] 📊 Harriers: session of",
            "group │    Checked in: 3 of 4",
        )
        await term.type("/report")
        await term.wait_for("group │ 🤖 📊 Harriers: session of")
        await term.type("/wait 2d")
        flag = "Red flag for Ana (Harriers)"
        lines = await term.wait_all("· Ana answered the two-day follow-up", flag)
        assert lines[flag].startswith("me    │ 🤖")
        await term.type("/to me")
        await term.wait_for("you now type in your private chat")
        await term.type("/roster")
        await term.wait_for("me    │    • Ana: joined")
        await term.choose("📈 Ana")
        await term.wait_for("Ana: latest check-ins")
        await term.wait_for("🚩 red flag")


async def test_a_second_sandbox_on_the_same_folder_says_what_to_do(tmp_path: Path) -> None:
    """The second sandbox on a folder names it and the way out, and leaves the first running."""
    data = tmp_path / "sandbox"
    async with sandbox(data) as term:
        second = await start({**os.environ, "BOT_DATA_DIR": str(data)})
        _, error = await asyncio.wait_for(second.communicate(), 10)
        assert second.returncode == 2
        assert error.decode() == (
            f"error: Another sandbox is already running on {data}; "
            "close it or set BOT_DATA_DIR to another folder.\n"
        )
        await term.type("/help")
        await term.wait_for("what I can do")
