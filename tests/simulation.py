"""Simulated athletes and the end-of-run checks shared by the kill and fault tests."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from telegram.ext import Application

from bot.fakeapi import BotEvent, FakeBotAPI, FakeUser
from bot.storage.athlete_file import STATE_SUFFIX


@dataclass
class Athlete:
    """One simulated athlete and the check-ins whose guidance reached them."""

    user: FakeUser
    acked: list[str] = field(default_factory=list)


async def idle(app: Application, within: float = 8.0) -> None:
    """Wait until no user's updates are being processed (call after a marker reply arrived,
    which proves every earlier update was fetched)."""
    async with asyncio.timeout(within):
        while app.update_processor.users_in_flight:  # type: ignore[attr-defined]  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def guidance_id(event: BotEvent) -> str | None:
    """The check-in id of a guidance reply (its "Why?" button), else None."""
    for row in event.buttons:
        for _label, data in row:
            if data and data.startswith("why|"):
                return data.split("|", 1)[1]
    return None


def pick_answer(event: BotEvent, rng: random.Random) -> str | None:
    """Callback data of an answer to the question in `event` (always consenting)."""
    options = [(label, data) for row in event.buttons for label, data in row if data]
    agree = [data for label, data in options if "I agree" in label]
    if agree:  # the first consent question's buttons are not a stored question's
        return agree[0]
    answers = [data for _label, data in options if data.startswith("q|")]
    return rng.choice(answers) if answers else None


async def run_athlete(
    athlete: Athlete, api: FakeBotAPI, rng: random.Random, checkins: int, patience: float = 1.0
) -> None:
    """Check in `checkins` times, answering whatever the bot asks; like a real person, send
    /checkin again whenever the bot stays quiet (it resumes an unfinished check-in)."""
    user = athlete.user
    await user.send("/checkin")
    while len(set(athlete.acked)) < checkins and user.id not in api.blocked_users:
        try:
            event = await user.expect(kind="reply", timeout=patience)
        except AssertionError:
            await user.send("/checkin")
            continue
        if (cid := guidance_id(event)) is not None:
            athlete.acked.append(cid)
            if len(set(athlete.acked)) < checkins:
                await user.send("/checkin")
        elif (data := pick_answer(event, rng)) is not None:
            await user.press_data(data, message_id=event.message_id)


# uid -> {"profile": {...}, "checkins": [...], "reminders": [...]}
Athletes = dict[int, dict[str, Any]]
Reader = Callable[[], Awaitable[Athletes]]


def read_files(data_dir: Path) -> Athletes:
    """Every athlete file parsed straight from disk (fails on any file that does not parse)."""
    found: Athletes = {}
    for path in sorted((data_dir / "athletes").glob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except ValueError as exc:
            raise AssertionError(f"{path} does not parse: {exc}") from None
        if path.name.endswith(STATE_SUFFIX):  # the draft's own file: parses, holds no history
            continue
        found[int(path.stem)] = {
            "profile": data.get("profile", {}).get("1", {}),
            "checkins": list(data.get("checkins", {}).values()),
            "reminders": list(data.get("reminders", {}).values()),
        }
    for path in (data_dir / "athletes").glob("*.bak"):
        json.loads(path.read_bytes())
    return found


async def read_database(url: str) -> Athletes:
    """Every athlete's rows, read straight from PostgreSQL."""
    conn = await asyncpg.connect(url)
    try:
        found: Athletes = {}
        for uid, profile in await conn.fetch("SELECT uid, profile::text FROM athletes"):
            found[uid] = {"profile": json.loads(profile), "checkins": [], "reminders": []}
        for table in ("checkins", "reminders"):
            rows = await conn.fetch(f"SELECT uid, doc::text FROM {table} ORDER BY seq")
            for uid, doc in rows:
                found.setdefault(uid, {"profile": {}, "checkins": [], "reminders": []})
                found[uid][table].append(json.loads(doc))
        return found
    finally:
        await conn.close()


def reader(data_dir: Path, database_url: str | None) -> Reader:
    """What the bot has stored, read behind its back (files, or the database)."""

    async def read() -> Athletes:
        return await read_database(database_url) if database_url else read_files(data_dir)

    return read


def acknowledged(api: FakeBotAPI, uid: int) -> set[str]:
    """Check-ins whose guidance reply Telegram accepted for the athlete (what they saw)."""
    chat = api.world.chats.get(uid)
    events = chat.events if chat else []
    return {cid for e in events if e.kind == "message" and (cid := guidance_id(e))}


def check_acked_stored_once(athletes: Athletes, api: FakeBotAPI, uids: list[int], note: str) -> int:
    """Every acknowledged check-in is stored exactly once; returns how many are stored."""
    stored = 0
    for uid in uids:
        ids = Counter(r["id"] for r in athletes.get(uid, {}).get("checkins", []))
        stored += len(ids)
        doubled = [cid for cid, n in ids.items() if n > 1]
        lost = [cid for cid in acknowledged(api, uid) if ids[cid] == 0]
        assert not doubled, f"{note}: athlete {uid} has check-ins twice: {doubled}"
        assert not lost, f"{note}: athlete {uid} was answered but lost {lost}"
    return stored


RETRY_ROOM = timedelta(minutes=10)


def pending(athletes: Athletes) -> list[dict[str, Any]]:
    """Every pending reminder."""
    return [r for data in athletes.values() for r in data["reminders"] if r["status"] == "pending"]


async def deliver_everything(
    read: Reader,
    now: Callable[[], datetime],
    move_to: Callable[[datetime], Awaitable[None]],
    within: float = 30.0,
) -> int:
    """Move the bot's clock to each pending reminder's due time in turn until none is left
    pending; return how many reminders were pending at the start."""
    start = len(pending(await read()))
    deadline = asyncio.get_running_loop().time() + within + start * 0.1
    while waiting := pending(await read()):
        assert asyncio.get_running_loop().time() < deadline, f"still pending: {waiting[:3]}"
        due = max(min(datetime.fromisoformat(r["due_at"]) for r in waiting), now())
        last_useful = min(datetime.fromisoformat(r["expires_at"]) for r in waiting)
        # past the next due time (and further each round, so retries come due too), up to
        # 10 min before the earliest expiry (room for retries), so clusters go in one step
        await move_to(max(due + timedelta(seconds=11), last_useful - RETRY_ROOM))
        await asyncio.sleep(0.2)
    return start


def check_reminders_sent_once(athletes: Athletes, api: FakeBotAPI, note: str) -> Counter[str]:
    """Each reminder was sent exactly once, or dropped because the athlete blocked the bot;
    returns the count of reminder outcomes."""
    outcomes: Counter[str] = Counter()
    for uid, data in athletes.items():
        reminders = data["reminders"]
        texts = {r["text"] for r in reminders}
        chat = api.world.chats[uid].events if uid in api.world.chats else []
        seen = Counter(e.text for e in chat if e.kind == "message" and e.text in texts)
        sent = Counter(r["text"] for r in reminders if r["status"] == "sent")
        assert seen == sent, f"{note}: athlete {uid} got {seen} for reminders marked {sent}"
        for r in reminders:
            outcomes[f"{r['status']}:{r.get('reason', '')}".rstrip(":")] += 1
            if r["status"] == "dropped":
                assert r.get("reason") == "blocked", f"{note}: {uid} lost reminder {r}"
                assert data["profile"]["active"] is False, f"{note}: {uid} not inactive"
    return outcomes
