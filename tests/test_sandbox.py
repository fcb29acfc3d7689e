"""The terminal sandbox, driven as a person would: type lines, read what is printed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import REPLY


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
        async with asyncio.timeout(within):
            while True:
                raw = await self.proc.stdout.readline()
                assert raw, f"sandbox ended before {text!r}; output:\n" + "\n".join(self.seen)
                line = raw.decode()
                self.seen.append(line.rstrip())
                if text in line:
                    return line


async def test_sandbox_onboarding_checkin_and_wait(tmp_path: Path) -> None:
    """A newcomer completes set-up and a check-in by number taps, then /wait shows a reminder."""
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "sandbox"), "BOT_LOG_LEVEL": "WARNING"}
    env.pop("BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    term = Terminal(proc)
    try:
        await term.wait_for("/quit leaves")
        await term.type("/start")
        await term.wait_for("[1] ✅ I agree")
        for choice, next_prompt in [
            ("1", "[2] Berlin / Paris"),
            ("2", "[3] 22:30"),
            ("3", "All set"),
        ]:
            await term.type(choice)
            await term.wait_for(next_prompt)
        await term.type("/checkin")
        await term.wait_for("[1] Just now")
        for choice in ["1", "1", "3", "9", "9", "2", "1", "1"]:
            await term.type(choice)
            await term.wait_for("[1]")
        await term.type("7.5")
        await term.wait_for(REPLY)
        await term.type("/wait 31m")
        await term.wait_for("Refuel time")
        await term.type("/quit")
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (tmp_path / "sandbox" / "athletes").is_dir()
