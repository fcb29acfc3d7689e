"""PerUserUpdateProcessor: different users run concurrently, each user's updates stay in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.shell.updates import PerUserUpdateProcessor, sequence_key


def update(update_id: int, user_id: int) -> Update:
    """A private text message update from `user_id`."""
    user = User(user_id, "Ana", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, datetime.now(UTC), chat, from_user=user, text="hi")
    return Update(update_id, message=message)


async def test_one_user_in_order_others_concurrently() -> None:
    """User 1's three updates never overlap and finish in order; user 2 runs meanwhile."""
    processor = PerUserUpdateProcessor(16)
    log: list[str] = []
    gate, other_done = asyncio.Event(), asyncio.Event()

    async def work(name: str, wait: bool) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        await asyncio.sleep(0)
        log.append(f"end {name}")
        if name == "b1":
            other_done.set()

    async with processor:
        tasks = [
            asyncio.create_task(processor.process_update(update(1, 1), work("a1", True))),
            asyncio.create_task(processor.process_update(update(2, 1), work("a2", False))),
            asyncio.create_task(processor.process_update(update(3, 2), work("b1", False))),
            asyncio.create_task(processor.process_update(update(4, 1), work("a3", False))),
        ]
        await other_done.wait()
        assert log == ["start a1", "start b1", "end b1"]
        assert processor.users_in_flight == 1
        gate.set()
        await asyncio.gather(*tasks)
    assert [entry for entry in log if "a" in entry.split()[1]] == [
        "start a1",
        "end a1",
        "start a2",
        "end a2",
        "start a3",
        "end a3",
    ]
    assert processor.users_in_flight == 0


async def test_a_failing_update_does_not_block_the_user() -> None:
    """An exception in one update is raised to PTB; the next update of that user still runs."""
    processor = PerUserUpdateProcessor(4)
    ran: list[int] = []

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def fine() -> None:
        ran.append(2)

    first = asyncio.create_task(processor.process_update(update(1, 7), boom()))
    second = asyncio.create_task(processor.process_update(update(2, 7), fine()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert ran == [2]
    assert processor.users_in_flight == 0


def test_sequence_key_by_user_then_chat() -> None:
    """Updates are keyed by user, then chat; anything else shares one key."""
    assert sequence_key(update(1, 42)) == ("user", 42)
    channel = Chat(-100, Chat.CHANNEL)
    post = Update(2, channel_post=Message(1, datetime.now(UTC), channel, text="news"))
    assert sequence_key(post) == ("chat", -100)
    assert sequence_key("not an update") == ("other", None)
