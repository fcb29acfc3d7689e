"""Property-based fuzzing of the running bot with Hypothesis-generated Telegram updates:
no unhandled exception, a reply where one is due, no data the athlete did not give, and no
athlete's data reachable from another account."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import Application

from bot.fakeapi import FakeBotAPI, FakeUser
from bot.shell.app import build_application, running
from bot.shell.clock import Clock
from tests.conftest import REPLY, TOKEN, bot_settings, onboard
from tests.simulation import idle
from tests.test_e2e_checkin import ANSWERS, answer_all

pytestmark = pytest.mark.chaos  # many generated conversations: `pytest -m chaos`

OWNER = 5000  # the athlete whose data the fuzzed users try to reach
CONTROL = 5001  # sends a marker after each example: PTB handles updates in order
GROUP, CHANNEL = -100500, -100600
COMMANDS = ["/start", "/checkin", "/cancel", "/help", "/privacy", "/forget", "/nope", "/start@x"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))  # per property; the long run sets more
STATS: Counter[str] = Counter()


@dataclass
class Harness:
    """The real bot and the fake API on their own event loop in a background thread."""

    api: FakeBotAPI
    app: Application
    loop: asyncio.AbstractEventLoop
    data_dir: Path
    errors: list[BaseException] = field(default_factory=list)
    owner_checkin: str = ""
    owner_draft: str = ""
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(6000))

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 20) -> Any:
        """Run a coroutine on the bot's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def owner_file(self) -> bytes:
        """The owner's data file, byte for byte."""
        return (self.data_dir / "athletes" / f"{OWNER}.json").read_bytes()


class ErrorLog(logging.Handler):
    """Collects ERROR records of the bot's own loggers."""

    def __init__(self, sink: list[BaseException]) -> None:
        """Append to `sink`."""
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record as an error."""
        self.sink.append(RuntimeError(record.getMessage()))


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """Start the bot once for all examples, with an owner who has a check-in and a draft."""
    loop = asyncio.new_event_loop()
    ready: Future[Harness] = Future()
    stop = asyncio.Event()

    async def main() -> None:
        """Run the fake API and the bot until the module's tests are done."""
        async with FakeBotAPI(TOKEN) as api:
            data_dir = tmp_path_factory.mktemp("fuzz") / "data"
            app = build_application(bot_settings(api, data_dir), Clock())
            h = Harness(api, app, loop, data_dir)

            async def record(_update: object, context: Any) -> None:
                """Remember every error that reached the error handlers."""
                h.errors.append(context.error)

            app.add_error_handler(record)
            async with running(app, poll_timeout=1):
                owner = api.user(OWNER)
                await onboard(owner)
                await owner.send("/checkin")
                await answer_all(owner, ANSWERS)
                reply = await owner.expect(REPLY)
                h.owner_checkin = reply.buttons[0][0][1].split("|")[1]
                await owner.send("/checkin")
                question = await owner.expect("When did your session finish")
                h.owner_draft = question.buttons[0][0][1].split("|")[1]
                api.group(GROUP, "Team")
                api.group(CHANNEL, "News", type="channel")  # later calls look them up by id
                api.set_chat_member(CHANNEL, api.bot_user["id"], "administrator")  # else no posts
                ready.set_result(h)
                await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    h = ready.result(timeout=30)
    watcher = ErrorLog(h.errors)
    for name in ("bot", "handlers", "telegram.ext.Application"):
        logging.getLogger(name).addHandler(watcher)
    yield h
    for name in ("bot", "handlers", "telegram.ext.Application"):
        logging.getLogger(name).removeHandler(watcher)
    print("fuzz stats", dict(STATS))
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=30)


# -- strategies ------------------------------------------------------------------------------

SPECIAL = st.sampled_from(
    ["", " ", "x" * 4096, "🦵" * 1000, "مرحبا بالعالم", "\u202eevil", "\x00\x07\x1b[2J", "8\n\n8"]
)
TEXT = st.one_of(SPECIAL, st.text(max_size=300), st.text(alphabet="0123456789:h ,.", max_size=8))
COMMAND = st.builds(lambda c, a: f"{c} {a}".strip(), st.sampled_from(COMMANDS), TEXT)


def forged(h: Harness) -> st.SearchStrategy[str]:
    """Callback data aimed at the owner's check-in and draft, or plain junk."""
    return st.one_of(
        st.sampled_from([f"{a}|{h.owner_checkin}" for a in ("why", "ate", "fu")]),
        st.builds(
            lambda s, o: f"q|{h.owner_draft}|{s}|{o}", st.integers(0, 99), st.integers(0, 99)
        ),
        st.sampled_from(["forget|yes", "forget|no", "q|", "why|", "q|zz|1|1", "ate|" + "f" * 16]),
        st.text(max_size=64),
    )


KINDS = st.sampled_from(
    ["text", "command", "callback", "edited", "sticker", "photo", "location", "group", "channel"]
)


# -- update building -------------------------------------------------------------------------


async def push(h: Harness, user: FakeUser, kind: str, value: str) -> tuple[bool, dict]:
    """Queue one update of `kind`; (is the private chat owed a visible answer, the update)."""
    if kind == "callback":
        if not user.messages:  # a button needs a bot message to sit on
            await user.send("/help")
            await user.expect("what I can do")
        return True, await user.press_data(value)
    if kind in ("group", "channel"):
        chat = h.api.group(GROUP, "Team") if kind == "group" else h.api.group(CHANNEL, "News")
        return False, await chat.send(user, value or " ")
    if kind == "sticker":
        return True, await user.send_sticker()
    if kind == "photo":
        return True, await user.send_photo(caption=value[:1024] or None)
    if kind == "location":
        return True, await user.send_location()
    if kind == "edited":
        sent = await user.send(value or ".")
        return True, await user.edit(sent["message"]["message_id"], value + "!")
    return True, await user.send(value or " ")


def replay(h: Harness, update: dict, how: str) -> None:
    """Re-deliver `update` as-is, or its content under an older update_id (out of order)."""
    if how == "duplicate":
        h.api.inject_update(dict(update))
    elif how == "stale":
        h.api.inject_update({**update, "update_id": max(1, update["update_id"] - 3)})


async def settle(h: Harness) -> None:
    """Wait until every queued update was handled: the control user's marker came back (so
    everything before it was fetched) and no user's updates are still being processed."""
    control = h.api.user(CONTROL)
    await control.send("/privacy")
    await control.expect("What I store", timeout=8)
    await idle(h.app)


async def example(h: Harness, steps: list[tuple[str, str, str]]) -> tuple[FakeUser, int, int]:
    """Play one generated conversation as a fresh user; return (user, owed answers, events)."""
    user = h.api.user(next(h.ids))
    owed = 0
    for kind, value, extra in steps:
        due, update = await push(h, user, kind, value)
        owed += due
        replay(h, update, extra)
        STATS[kind] += 1
        STATS[extra or "once"] += 1
    await settle(h)
    return user, owed, len(user.events)


def check(h: Harness, user: FakeUser, owed: int, events: int, owner_before: bytes) -> None:
    """The properties every example must keep."""
    assert not h.errors, f"unhandled errors: {h.errors!r}"
    if owed:
        assert events > 0, "the user got no answer at all"
    texts = " ".join(e.text or "" for e in user.events)
    assert "3:1 carb" not in texts
    assert "From the article" not in texts
    assert h.owner_file() == owner_before, "another user's update changed the owner's data"
    path = h.data_dir / "athletes" / f"{user.id}.json"
    if path.exists():
        assert b'"checkins"' not in path.read_bytes(), "a check-in nobody completed was stored"
    STATS["examples"] += 1


STEP_KIND = st.tuples(KINDS, st.one_of(TEXT, COMMAND), st.sampled_from(["", "duplicate", "stale"]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_updates_never_crash_or_leak(harness: Harness, data: st.DataObject) -> None:
    steps = data.draw(st.lists(STEP_KIND, min_size=1, max_size=5))
    steps = [
        (kind, data.draw(forged(harness)) if kind == "callback" else value, extra)
        for kind, value, extra in steps
    ]
    before = harness.owner_file()
    user, owed, events = harness.run(example(harness, steps))
    check(harness, user, owed, events, before)


@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=st.lists(st.one_of(TEXT, COMMAND), min_size=1, max_size=6))
def test_typed_answers_mid_checkin_are_parsed_or_reasked(
    harness: Harness, answers: list[str]
) -> None:
    """A consenting athlete types anything mid check-in: always answered, nothing crashes."""

    async def play() -> tuple[FakeUser, list[dict[str, Any]]]:
        """Onboard a fresh athlete, start a check-in and type the generated answers."""
        user = harness.api.user(next(harness.ids))
        await onboard(user)
        await user.send("/checkin")
        await user.expect("When did your session finish")
        for text in answers:
            await user.send(text or " ")
        await settle(harness)
        return user, [e.raw for e in user.events]

    before = harness.owner_file()
    user, _ = harness.run(play())
    check(harness, user, 1, len(user.events), before)
