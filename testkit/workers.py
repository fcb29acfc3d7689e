"""Several `python -m bot` webhook workers behind one round-robin proxy, sharing one database.

Each worker listens on its own 127.0.0.1 port; all of them register the same webhook URL, the
proxy's, as they would behind nginx. Tests and benchmarks start them, SIGKILL one, and stop them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.fakeapi import RoundRobinProxy
from bot.fakeapi.lifecycle import Service
from testkit.ports import free_port

REPO = Path(__file__).resolve().parent.parent
SECRET = "workers-Secret_1"
HOOK_PATH = "/tg-hook"
READY_WITHIN_S = 60.0
STOP_WITHIN_S = 10.0


@dataclass
class Worker:
    """One bot process: its worker id, webhook port and log file (stderr and stdout)."""

    worker_id: str
    port: int
    log: Path
    proc: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def upstream(self) -> str:
        """The worker's base URL, as the proxy forwards to it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process has been started and has not exited."""
        return self.proc is not None and self.proc.returncode is None

    def log_tail(self, limit: int = 3000) -> str:
        """The end of the worker's log (for failure messages)."""
        if not self.log.exists():
            return "(no log)"
        return self.log.read_text(errors="replace")[-limit:] or "(empty log)"


class Workers(Service):
    """`count` workers on `database_url`, talking to the Bot API at `api_url`, behind a proxy."""

    def __init__(
        self,
        count: int,
        *,
        token: str,
        api_url: str,
        database_url: str,
        home: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        """Plan the workers (ids w0, w1, ...); nothing runs before start()."""
        self.token = token
        self.api_url = api_url
        self.database_url = database_url
        self.home = home
        self.extra_env = env or {}
        self.proxy = RoundRobinProxy()
        self.workers = [
            Worker(f"w{n}", free_port(), home / f"worker-w{n}.log") for n in range(count)
        ]

    @property
    def webhook_url(self) -> str:
        """The URL every worker registers with setWebhook: the proxy's."""
        return self.proxy.url + HOOK_PATH

    def env(self, worker: Worker) -> dict[str, str]:
        """The worker's environment: no BOT_* variable of ours leaks in, only these."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        return {
            **clean,
            "PYTHONPATH": str(REPO),
            "BOT_TOKEN": self.token,
            "BOT_API_URL": self.api_url,
            "BOT_DATABASE_URL": self.database_url,
            "BOT_WORKER_ID": worker.worker_id,
            "BOT_WEBHOOK_URL": self.webhook_url,
            "BOT_WEBHOOK_SECRET": SECRET,
            "BOT_WEBHOOK_LISTEN": "127.0.0.1",
            "BOT_WEBHOOK_PORT": str(worker.port),
            "BOT_DATA_DIR": str(self.home / "data"),
            "BOT_LOG_LEVEL": "WARNING",
            "BOT_FLOOD_MAX_UPDATES": "1000000",  # simulated athletes answer at machine speed
            **self.extra_env,
        }

    async def start(self) -> None:
        """Start the proxy and every worker; return when each accepts connections."""
        self.home.mkdir(parents=True, exist_ok=True)
        await self.proxy.start()
        for worker in self.workers:
            self.proxy.add(worker.upstream)
            with worker.log.open("wb") as log:
                worker.proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    cwd=self.home,
                    env=self.env(worker),
                    stdout=log,
                    stderr=log,
                )
        await asyncio.gather(*(self._ready(worker) for worker in self.workers))

    async def _ready(self, worker: Worker) -> None:
        """Wait until the worker's webhook port accepts a connection (AssertionError if not)."""
        deadline = asyncio.get_running_loop().time() + READY_WITHIN_S
        while True:
            assert worker.running, f"worker {worker.worker_id} exited:\n{worker.log_tail()}"
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", worker.port)
            except OSError:
                assert asyncio.get_running_loop().time() < deadline, (
                    f"worker {worker.worker_id} not ready in {READY_WITHIN_S:g} s:\n"
                    f"{worker.log_tail()}"
                )
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return

    def pause(self, worker: Worker) -> None:
        """SIGSTOP one worker: it does nothing more (its connections stay open) until resumed."""
        assert worker.proc is not None, f"worker {worker.worker_id} was never started"
        worker.proc.send_signal(signal.SIGSTOP)

    def resume(self, worker: Worker) -> None:
        """SIGCONT a paused worker."""
        assert worker.proc is not None, f"worker {worker.worker_id} was never started"
        worker.proc.send_signal(signal.SIGCONT)

    async def kill(self, worker: Worker) -> None:
        """SIGKILL one worker (the proxy keeps it listed and skips it, as nginx would)."""
        assert worker.proc is not None, f"worker {worker.worker_id} was never started"
        assert worker.running, f"worker {worker.worker_id} died before:\n{worker.log_tail()}"
        worker.proc.send_signal(signal.SIGKILL)
        await worker.proc.wait()

    async def stop(self) -> None:
        """SIGTERM every running worker, SIGKILL those still there after a while; stop the proxy."""
        running = [w.proc for w in self.workers if w.proc is not None and w.running]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                await asyncio.wait_for(proc.wait(), STOP_WITHIN_S)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await self.proxy.stop()

    def logs(self) -> str:
        """Every worker's state and log tail, for a failure message."""
        return "\n".join(
            f"--- {w.worker_id} (exit {w.proc.returncode if w.proc else 'not started'}):\n"
            f"{w.log_tail()}"
            for w in self.workers
        )
