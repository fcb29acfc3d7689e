"""Security and privacy: flood limit, no secrets or answers in logs, webhook secret, isolation."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from telegram import Update

from bot.fakeapi import FakeBotAPI
from bot.shell.app import build_application, running
from bot.shell.clock import Clock
from bot.shell.config import load_settings
from bot.shell.flood import SLOW_DOWN, flood_key
from testkit.ports import free_port
from tests.conftest import REPLY, TOKEN, onboard, svc
from tests.simulation import idle
from tests.test_e2e_checkin import ANSWERS, answer_all
from tests.test_kill import BotProcess

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CANARY = "1h13"  # a typed session length: an answer that must never reach a log


class StoppedClock(Clock):
    """A clock that moves only when advanced: however slowly the machine works through a burst,
    the burst stays within one flood window."""

    def __init__(self) -> None:
        """Stop at the real time now."""
        super().__init__()
        self.start = datetime.now(UTC)

    def now(self) -> datetime:
        """The stopped time plus the advances."""
        return self.start + self.offset


async def test_flood_gets_one_slow_down_and_others_are_served(
    api: FakeBotAPI, data_dir: Path
) -> None:
    clock = StoppedClock()
    # unpaced: at Telegram's 1 message/s per chat, the 20 replies alone would take 20 s
    settings = load_settings(token=TOKEN, api_url=api.base_url, data_dir=data_dir, send_rate=0)
    flooder, other = api.user(901), api.user(902)
    async with running(build_application(settings, clock), poll_timeout=1) as app:
        for _ in range(3 * settings.flood_max_updates):
            await flooder.send("/help")
        await other.send("/help")
        await other.expect("what I can do")
        await flooder.expect(SLOW_DOWN[:20])
        await other.send("/privacy")
        await other.expect("What I store")
        await idle(app)
        helps = [e for e in flooder.events if "what I can do" in (e.text or "")]
        slow = [e for e in flooder.events if e.text == SLOW_DOWN]
        assert (len(helps), len(slow)) == (settings.flood_max_updates, 1)
        clock.advance(timedelta(seconds=settings.flood_window_seconds + 1))
        await flooder.send("/help")
        await flooder.expect("what I can do")


async def test_debug_logs_hold_no_token_and_no_answers(api: FakeBotAPI, tmp_path: Path) -> None:
    bot = BotProcess(api, tmp_path)
    bot.env["BOT_LOG_LEVEL"] = "DEBUG"
    user = api.user(903)
    await bot.start()
    try:
        await onboard(user)
        await user.send("/checkin")
        await answer_all(user, ANSWERS[:2])
        await user.expect("How long")
        await user.send(CANARY)
        await user.expect("How hard")
        api.fail_next("editMessageText", 500)  # an error with a traceback goes to the log too
        await user.press("8")
        await user.expect("lost the connection")
    finally:
        await bot.kill()
    log = bot.log_tail(limit=None)
    assert "DEBUG" in log  # the run really logged at DEBUG
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert CANARY not in log
    for event in user.events:
        assert TOKEN.split(":")[1] not in (event.text or "")


async def test_webhook_rejects_requests_without_the_secret(api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(api, tmp_path)
    url = f"http://127.0.0.1:{port}/tg-hook"
    bot.env |= {
        "BOT_WEBHOOK_URL": url,
        "BOT_WEBHOOK_SECRET": "s3cret-Value_1-long-enough",
        "BOT_WEBHOOK_PORT": str(port),
    }
    user = api.user(904)

    def update(text: str) -> dict:
        """A private /command update from the user, as Telegram would post it."""
        message = api.world.add_message(user.id, user.user, {"text": text})
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": api.next_update_id(), "message": message}

    await bot.start(ready=lambda: api.world.webhook_url == url)
    try:
        async with aiohttp.ClientSession() as http:
            for secret in ({}, {SECRET_HEADER: "wrong"}):
                sent = await http.post(url, json=update("/privacy"), headers=secret)
                assert sent.status == 403, await sent.text()
            good = {SECRET_HEADER: "s3cret-Value_1-long-enough"}
            sent = await http.post(url, json=update("/help"), headers=good)
            assert sent.status == 200, await sent.text()
            await api.expect_only(user, "what I can do")
    finally:
        await bot.kill()
    assert not [e for e in user.events if "What I store" in (e.text or "")]


async def test_no_button_reveals_another_athletes_data(api: FakeBotAPI, bot) -> None:
    owner, intruder = api.user(905), api.user(906)
    await onboard(owner)
    await owner.send("/checkin")
    await answer_all(owner, ANSWERS)
    advice = await owner.expect(REPLY)
    [record] = await svc(bot).store.checkins(905)
    await owner.send("/checkin")
    await owner.expect("When did your session finish")
    draft = await svc(bot).store.state(905, "draft")
    before = await svc(bot).store.everything(905)
    await intruder.send("/help")
    await intruder.expect("what I can do")
    forged = [f"{action}|{record['id']}" for action in ("why", "ate", "fu")]
    forged += [f"q|{draft['id']}|{draft['step']}|0", "forget|yes"]
    for data in forged:
        await intruder.press_data(data)
        await intruder.expect(kind="callback_answer")
    await intruder.send("/privacy")
    await intruder.expect("What I store")
    texts = " ".join(e.text or "" for e in intruder.events)
    assert "3:1 carb" not in texts
    assert advice.text[:40] not in texts
    assert "From the article" not in texts
    assert await svc(bot).store.everything(905) == before
    assert await svc(bot).store.everything(906) == {}


def modes(folder: Path) -> set[tuple[str, int]]:
    """(kind, permission bits) of a folder and everything in it."""
    found = {
        ("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in folder.rglob("*")
    }
    return found | {("dir", stat.S_IMODE(folder.stat().st_mode))}


@pytest.mark.backends("tinydb")  # looks at the data files themselves
async def test_data_files_are_owner_only(api: FakeBotAPI, bot, data_dir: Path) -> None:
    user = api.user(907)
    await onboard(user)
    await user.send("/settings")
    await user.expect("Your settings")
    await user.press_data("set|toggle:followup")  # a second write leaves a .bak too
    await user.expect("48 h follow-up: off", kind="callback_answer")
    assert await asyncio.to_thread(modes, data_dir) == {("dir", 0o700), ("file", 0o600)}
    assert (data_dir / "athletes" / "907.json.bak").exists()


def _update(chat: dict, sender_chat: dict | None = None, user_id: int | None = None) -> Update:
    """A message update in `chat`, from a user or sent as a chat."""
    message: dict = {"message_id": 1, "date": 0, "chat": chat, "text": "/report"}
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    if user_id is not None:
        message["from"] = {"id": user_id, "is_bot": user_id == ANONYMOUS, "first_name": "A"}
    kind = "channel_post" if chat["type"] == "channel" else "message"
    return Update.de_json({"update_id": 1, kind: message}, None)


ANONYMOUS = 1087968824  # the user Telegram shows for every group's anonymous admins


def test_flood_buckets_never_span_two_groups_and_channel_posts_count() -> None:
    group_a = {"id": -100111, "type": "supergroup", "title": "A"}
    group_b = {"id": -100222, "type": "supergroup", "title": "B"}
    channel = {"id": -100333, "type": "channel", "title": "C"}
    assert flood_key(_update(group_a, group_a, ANONYMOUS)) == -100111
    assert flood_key(_update(group_b, group_b, ANONYMOUS)) == -100222
    assert flood_key(_update(channel, channel)) == -100333
    assert flood_key(_update(group_a, user_id=42)) == 42
