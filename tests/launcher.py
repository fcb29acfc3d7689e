"""`python -m bot` runs without paying Python's and the bot's imports each time: one server process
imports the bot once and forks a child per run, which takes the run's environment, folder,
arguments and output files and then runs the module as `python -m bot` does.

Run as a script, this file is that server: it reads one JSON request a line on stdin and answers
each with the child's pid, then its exit status.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PRELOAD = ("bot", "bot.__main__", "bot.shell.app")


def _child(request: dict[str, Any]) -> int:
    """In the forked child: become the requested `python -m bot` run; its exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, name, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, request["out"], os.O_WRONLY),
        (2, request["err"], os.O_WRONLY),
    ):
        os.dup2(os.open(name, flags), fd)
    sys.argv = [str(REPO / "bot"), *request["args"]]
    importlib.reload(sys.modules["bot"])  # the package's start-up settings, under the new env
    del sys.modules["bot.__main__"]  # preloaded for its imports; runpy runs it afresh
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def serve() -> None:
    """The server loop: fork a child per request line, answer its pid and then its status."""
    for module in PRELOAD:
        importlib.import_module(module)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            code = _child(json.loads(line))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        print(json.dumps({"code": status}), flush=True)


class Launcher:
    """The client side: starts the server on first use and runs one `python -m bot` at a time."""

    def __init__(self) -> None:
        """Nothing runs before the first launch."""
        self._server: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _started(self) -> subprocess.Popen[str]:
        """The server process (started now if it is not running)."""
        if self._server is None or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [sys.executable, __file__],
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            atexit.register(self.stop)
        return self._server

    def _answer(self, server: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
        """The server's next answer line (TimeoutError if none comes in time)."""
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = server.stdout.readline()
        assert line, "the launcher server exited"
        return json.loads(line)

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run `python -m bot *args` in `cwd` with exactly `env`; its status and output."""
        with self._lock, tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder, "out"), Path(folder, "err")
            out.touch()
            err.touch()
            server = self._started()
            assert server.stdin is not None
            request = {"args": args, "cwd": str(cwd), "env": env, "out": str(out), "err": str(err)}
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            pid = self._answer(server, timeout)["pid"]
            try:
                code = self._answer(server, timeout)["code"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._answer(server, timeout)
                raise subprocess.TimeoutExpired(["python", "-m", "bot", *args], timeout) from None
            return subprocess.CompletedProcess(args, code, out.read_text(), err.read_text())

    def stop(self) -> None:
        """End the server (its stdin closes, its loop ends)."""
        if self._server is not None:
            self._server.communicate(timeout=10)
            self._server = None


LAUNCHER = Launcher()

if __name__ == "__main__":
    serve()
