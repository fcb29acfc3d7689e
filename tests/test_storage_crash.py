"""Real crash tests: SIGKILL a process writing through the Store, then check nothing is lost."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import TinyStore
from tests.test_storage import reminder

FAR = datetime(2100, 1, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "crash_writer.py"


class Child:
    """The crash writer subprocess, with a thread collecting its acknowledged ids."""

    def __init__(self, data_dir: Path) -> None:
        """Start the writer on `data_dir`."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(data_dir)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.acked: list[str] = []
        self.first_ack = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        """Collect complete lines only (a line cut by the kill was never acknowledged)."""
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if raw.endswith(b"\n"):
                self.acked.append(raw.decode().strip())
                self.first_ack.set()

    def kill(self) -> None:
        """SIGKILL the child and drain its output."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)


def check_files_parse(data_dir: Path, note: str) -> None:
    """Every data file in `data_dir` (not a temp file, the lock or the due index) is valid JSON."""
    for path in data_dir.rglob("*"):
        if path.is_file() and path.suffix == ".json":
            try:
                json.loads(path.read_bytes())
            except ValueError as exc:
                pytest.fail(f"{note}: {path} is not valid JSON after the kill: {exc}")


async def verify(data_dir: Path, acked: list[str], note: str) -> None:
    """Every file parses, every acked id is stored exactly once, and start-up (which trusts
    the due index's snapshot only for unchanged files) indexes exactly what a full scan finds."""
    check_files_parse(data_dir, note)
    store = TinyStore(data_dir)
    truth = {(p.user_id, p.record["id"]) for p in store.scan()}
    store.load()
    assert set(store._due.pop_due(FAR, 10**6)) == truth, f"{note}: due index differs from files"
    stored: Counter[str] = Counter()
    for uid in store.athlete_ids():
        stored.update(r["id"] for r in await store.checkins(uid))
    missing = [cid for cid in acked if stored[cid] == 0]
    doubled = [cid for cid, count in stored.items() if count > 1]
    assert not missing, f"{note}: acknowledged but lost: {missing[:10]}"
    assert not doubled, f"{note}: stored more than once: {doubled[:10]}"
    assert len(set(acked)) == len(acked), f"{note}: an id was acknowledged twice"


async def run_trial(tmp_path: Path, seed: int) -> None:
    """Start the writer, kill it 20-300 ms after its first ack, verify the data folder."""
    rng = random.Random(seed)
    data_dir = tmp_path / f"trial-{seed}"
    child = Child(data_dir)
    try:
        if not await asyncio.to_thread(child.first_ack.wait, 20):
            child.kill()
            assert child.proc.stderr is not None
            err = child.proc.stderr.read().decode(errors="replace")
            pytest.fail(f"seed={seed}: writer never acknowledged anything; stderr:\n{err}")
        await asyncio.sleep(rng.uniform(0.020, 0.300))
    finally:
        child.kill()
    assert child.proc.returncode == -signal.SIGKILL, f"seed={seed}: writer died on its own"
    assert child.acked, f"seed={seed}: no acknowledgements"
    await verify(data_dir, child.acked, f"seed={seed} ({len(child.acked)} acked)")
    # the crashed folder is still usable: a new Store can keep writing
    store = TinyStore(data_dir)
    store.prepare()
    assert await store.save_checkin(11, {"id": "after", "created_at": "z"}, []) is True


@pytest.mark.chaos
@pytest.mark.parametrize("seed", range(10))
async def test_sigkill_during_writes_loses_nothing(tmp_path: Path, seed: int) -> None:
    await run_trial(tmp_path, seed)


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1200))
async def test_sigkill_during_writes_loses_nothing_many(tmp_path: Path, seed: int) -> None:
    await run_trial(tmp_path, seed)


async def test_leftover_tmp_file_is_ignored(tmp_path: Path) -> None:
    store = TinyStore(tmp_path / "data")
    store.prepare()
    assert await store.save_checkin(5, {"id": "c1", "created_at": "a"}, [reminder("r1")])
    # what a write killed between mkstemp and os.replace leaves behind
    (store.athletes_dir / ".5.json.k3j4h5.tmp").write_bytes(b'{"checkins":{"1":{"id":"c')
    (store.athletes_dir / ".6.json.zz.tmp").write_bytes(b"")
    fresh = TinyStore(store.data_dir)
    assert list(fresh.athlete_ids()) == [5]
    assert [(p.user_id, p.record["id"]) for p in fresh.scan()] == [(5, "r1")]
    assert [r["id"] for r in await fresh.checkins(5)] == ["c1"]
    assert await fresh.checkins(6) == []
    assert await fresh.save_checkin(5, {"id": "c2", "created_at": "b"}, []) is True
