"""`python -m bot` start-up failures: one clear line, a non-zero exit, and a way back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotAPI
from bot.storage import TinyStore
from tests.conftest import TOKEN
from tests.launcher import LAUNCHER

REPO = Path(__file__).resolve().parent.parent
GOOD = {"profile": {"1": {"consent": True, "tz": "UTC"}}, "checkins": {"1": {"id": "c1"}}}


def run_bot(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` in `home` (no .env there) with only the given BOT_* variables (in a
    process forked from one that imported the bot already, see tests/launcher.py)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    return LAUNCHER.run(list(args), home, {**clean, "PYTHONPATH": str(REPO), **env}, timeout=60)


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The single stderr line of a failed start, checked for exit code and wording."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "BOT_TOKEN is not set"),
        ({"BOT_TOKEN": "123:short"}, "does not look like a bot token"),
        ({"BOT_TOKEN": TOKEN, "BOT_WEBHOOK_URL": "https://x.example/hook"}, "BOT_WEBHOOK_SECRET"),
        ({"BOT_TOKEN": TOKEN, "BOT_WEBHOOK_SECRET": "has spaces"}, "BOT_WEBHOOK_SECRET"),
        ({"BOT_TOKEN": TOKEN, "BOT_WEBHOOK_SECRET": "x"}, "16-256 characters"),
        ({"BOT_TOKEN": TOKEN, "BOT_WEBHOOK_SECRET": "a" * 15}, "16-256 characters"),
    ],
)
def test_bad_settings_stop_with_one_line(tmp_path: Path, env: dict, needle: str) -> None:
    line = one_line(run_bot(tmp_path, **env), 2, needle)
    assert "short" not in line  # a malformed token is not echoed either


def test_unusable_data_dir_stops_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, BOT_DATA_DIR=str(blocker / "data"))
    one_line(result, 4, "data dir problem", str(blocker))


def prepared(tmp_path: Path) -> Path:
    """A data dir with one good athlete file (and its previous version), returns the file."""
    store = TinyStore(tmp_path / "data")
    store.prepare()
    path = store.athletes_dir / "5.json"
    path.write_text(json.dumps(GOOD))
    os.link(path, path.with_name("5.json.bak"))
    return path


@pytest.mark.parametrize(
    "content",
    [
        b'{"checkins": {"1": {"id": "c',
        b"[]",
        b'{"checkins": []}',
        b'{"reminders": {"1": {"id": "r", "status": "pending", "due_at": "tomorrow"}}}',
    ],
    ids=["truncated", "not-an-object", "table-not-object", "bad-reminder-time"],
)
def test_corrupt_file_is_named_and_restorable(tmp_path: Path, content: bytes) -> None:
    path = prepared(tmp_path)
    good = path.read_bytes()
    path.unlink()  # a hand edit replaces the file; the .bak keeps the last good version
    path.write_bytes(content)
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(tmp_path / "data")}
    one_line(run_bot(tmp_path, **env), 3, str(path), "is corrupt", f"python -m bot restore {path}")

    restored = run_bot(tmp_path, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert path.read_bytes() == good
    [aside] = path.parent.glob("5.json.corrupt-*")
    assert aside.read_bytes() == content  # nothing is thrown away
    assert TinyStore(tmp_path / "data").scan() == []
    assert sorted(TinyStore(tmp_path / "data").athlete_ids()) == [5]


def test_corrupt_file_without_backup_says_so(tmp_path: Path) -> None:
    path = prepared(tmp_path)
    path.with_name("5.json.bak").unlink()
    path.write_bytes(b"{")
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(tmp_path / "data")}
    one_line(run_bot(tmp_path, **env), 3, str(path), "no previous version")
    result = run_bot(tmp_path, "restore", str(path))
    one_line(result, 4, "no previous version")
    assert path.read_bytes() == b"{"


async def test_every_write_keeps_the_previous_version(tmp_path: Path) -> None:
    store = TinyStore(tmp_path / "data")
    store.prepare()
    await store.update_profile(5, {"tz": "UTC"})
    first = (store.athletes_dir / "5.json").read_bytes()
    await store.update_profile(5, {"tz": "Europe/Berlin"})
    assert (store.athletes_dir / "5.json.bak").read_bytes() == first
    assert (store.athletes_dir / "5.json.bak").stat().st_mode & 0o777 == 0o600


@contextmanager
def bot_holding(data_dir: Path) -> Iterator[None]:
    """Another process that opened `data_dir` as a bot does, until the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bot.storage import TinyStore; "
            "TinyStore(sys.argv[1]).load(); print('held', flush=True); time.sleep(60)",
            str(data_dir),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_second_process_on_one_data_dir_stops_with_one_line(tmp_path: Path) -> None:
    """Two bots on one TinyDB folder would send every reminder twice: the second one refuses."""
    with bot_holding(tmp_path / "data"):
        result = run_bot(tmp_path, BOT_TOKEN=TOKEN, BOT_DATA_DIR=str(tmp_path / "data"))
    one_line(result, 4, "in use by another bot process", "BOT_DATABASE_URL")


@pytest.mark.parametrize("char", ["#", "/", "?", "@"])
def test_database_password_with_url_characters_is_refused_without_echo(
    tmp_path: Path, char: str
) -> None:
    url = f"postgresql://bot:pa{char}ss-S3CRET@127.0.0.1:9/heavylegs"
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, BOT_DATABASE_URL=url)
    line = one_line(result, 2, "BOT_DATABASE_URL", "percent-encode")
    assert "S3CRET" not in result.stderr + result.stdout
    assert "pa" not in line.replace("password", "").replace("parse", "")


def test_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    """A database that cannot be reached: exit 5, its address named, its password never."""
    url = "postgresql://bot:s3cret-pw@127.0.0.1:9/heavylegs"
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, BOT_DATABASE_URL=url)
    line = one_line(result, 5, "cannot use the database at 127.0.0.1:9/heavylegs")
    assert "s3cret" not in line


@pytest.mark.parametrize(
    ("token", "path"),
    [("654321:ANOTHER-token-the-server-does-not-know", "/bot"), (TOKEN, "/bott")],
    ids=["rejected-token", "typo-in-api-url"],
)
async def test_rejected_token_stops_with_one_line_and_no_token(
    api: FakeBotAPI, tmp_path: Path, token: str, path: str
) -> None:
    """401/404 from the Bot API: exit 2 (no restart loop), one error line, the token nowhere."""
    url = api.base_url.replace("/bot", path)
    result = await asyncio.to_thread(
        run_bot, tmp_path, BOT_TOKEN=token, BOT_API_URL=url, BOT_DATA_DIR=str(tmp_path / "d")
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: the Bot API rejected")
    assert "Traceback" not in result.stderr
    secret = token.split(":")[1]
    assert secret not in result.stderr
    assert secret not in result.stdout
