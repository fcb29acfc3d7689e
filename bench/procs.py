"""Start the fake server and the bot as child processes and talk to them in JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOKEN = "123456:BENCH-token-for-the-loopback-fake-api"


class Child:
    """A Python child process speaking one JSON object per line."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        """Start `python -m <args>` with the repository on the path."""
        root = str(Path(__file__).resolve().parent.parent)
        full_env = {**os.environ, "PYTHONPATH": root, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=full_env,
            cwd=root,
            text=True,
        )

    def read(self) -> dict[str, Any]:
        """The next JSON line (RuntimeError if the child died)."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child {self.proc.args[2:]} exited with {self.proc.wait()}")
        return json.loads(line)

    def ask(self, **command: Any) -> dict[str, Any]:
        """Send one command line and read the answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the child has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after a grace period) and reap."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@contextmanager
def child(args: list[str], env: dict[str, str] | None = None) -> Iterator[Child]:
    """A child process for the duration of the block."""
    proc = Child(args, env)
    try:
        yield proc
    finally:
        proc.close()


@contextmanager
def fake_server(*, flood_limits: bool = False) -> Iterator[tuple[Child, str]]:
    """The fake Bot API process and the BOT_API_URL pointing at it."""
    with child(["bench.fakeserver", *(["--flood-limits"] if flood_limits else [])]) as server:
        port = server.read()["port"]
        yield server, f"http://127.0.0.1:{port}/bot"


def bot_env(api_url: str, data_dir: Path) -> dict[str, str]:
    """Environment for a bot process against the fake server."""
    return {
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api_url,
        "BOT_DATA_DIR": str(data_dir),
        "BOT_LOG_LEVEL": "WARNING",
        # simulated athletes answer at machine speed; the per-user flood gate would mute them
        "BOT_FLOOD_MAX_UPDATES": "1000000",
    }


@contextmanager
def bot(mode: str, env: dict[str, str], *extra: str) -> Iterator[tuple[Child, dict[str, Any]]]:
    """A bot process in `mode`, with its first report (e.g. ready + start-up figures)."""
    with child(["bench.botproc", mode, *extra], env) as proc:
        yield proc, proc.read()
