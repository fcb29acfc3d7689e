"""Disk full: the athlete hears their answer wasn't saved, old data stays, the bot recovers."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotAPI
from bot.shell.clock import Clock
from bot.storage import atomic
from tests.conftest import REPLY, eventually, onboard, svc
from tests.test_e2e_checkin import answer_all
from tests.test_e2e_reminders import HEAVY, checked_in, statuses

pytestmark = pytest.mark.backends("tinydb")  # PostgreSQL outages: tests/test_postgres_faults.py


def disk_full(*_args: object) -> None:
    """What fsync says when the disk has no space left for the data being flushed."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_answer_not_saved_then_recovered(
    api: FakeBotAPI, bot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = api.user(801)
    await onboard(user)
    await user.send("/checkin")
    await answer_all(user, HEAVY[:3])
    await user.expect("How hard")
    path = data_dir / "athletes" / "801.json"
    before = path.read_bytes()

    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "fsync", disk_full)
        await user.press("6")
        await user.expect("couldn't save that")
        assert path.read_bytes() == before
        await user.send("/help")  # still running, and reads still work
        await user.expect("what I can do")
        await user.send("/checkin")
        await user.expect("How hard")
        await user.press("6")
        await user.expect("couldn't save that")
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]

    await user.send("/checkin")  # space is back: pick up where the saved answers end
    await user.expect("How hard")
    await user.press("6")
    await answer_all(user, HEAVY[4:])
    await user.expect(REPLY)
    [record] = await svc(bot).store.checkins(801)
    assert record["rpe"] == 6


async def test_reminder_sent_once_when_its_sent_mark_cannot_be_written(
    api: FakeBotAPI, bot, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = api.user(802)
    await checked_in(user)
    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "fsync", disk_full)
        clock.advance(timedelta(minutes=30, seconds=1))
        await user.expect("Refuel time")
        for _ in range(3):  # retries come due: the mark is retried, the message is not
            clock.advance(timedelta(seconds=11))
            await user.send("/help")
            await user.expect("what I can do")
        assert (await statuses(bot, 802))["nutrition_open"] == "pending"
    clock.advance(timedelta(seconds=11))
    await eventually(lambda: _sent(bot, 802))
    assert sum("Refuel time" in (e.text or "") for e in user.events) == 1


async def _sent(app, uid: int) -> bool:
    """The opening refuel reminder is marked sent."""
    return (await statuses(app, uid))["nutrition_open"] == "sent"
