"""The fake Bot API in its own process, with simulated athletes; driven over stdin/stdout.

`python -m bench.fakeserver [--flood-limits]` prints {"port": N}, then answers one JSON
command per stdin line with one JSON line: users, echo, checkin, history, arrivals, stats.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.fakeapi import BotEvent, FakeBotAPI, FakeUser

CHECKIN_ANSWERS = ["Just now", "Intervals", "60 min", "8", "8", "2", "Yes", "Neither", "7 h"]
REPLY_TIMEOUT_S = 120.0


Want = Callable[[BotEvent], bool]


def is_message(event: BotEvent) -> bool:
    """A new bot message (a reply, the guidance, or the first question)."""
    return event.kind == "message"


def is_photo(event: BotEvent) -> bool:
    """A photo from the bot (the /history chart)."""
    return event.kind == "photo"


def offering(label: str) -> Want:
    """The bot's next question: a message or edit with a button whose label holds `label`."""
    return lambda event: (
        event.kind in ("message", "edit")
        and any(label in text for row in event.buttons for text, _data in row)
    )


class Replies:
    """Futures resolved by the bot's awaited reply in a chat, timed on the loop clock."""

    def __init__(self, api: FakeBotAPI) -> None:
        """Listen to every bot event of the server; record wall-clock arrival of messages."""
        self._waiting: dict[int, tuple[Want, asyncio.Future[float]]] = {}
        self.arrivals: list[tuple[int, float]] = []
        api.world.listeners.append(self._on_event)

    def _on_event(self, event: BotEvent) -> None:
        """Resolve the chat's waiter when the event is the reply it waits for."""
        if event.kind == "message":
            self.arrivals.append((event.chat_id, time.time()))
        want, waiter = self._waiting.get(event.chat_id, (None, None))
        if want is not None and want(event):
            del self._waiting[event.chat_id]
            if not waiter.done():
                waiter.set_result(time.perf_counter())

    def expect(self, chat_id: int, want: Want) -> asyncio.Future[float]:
        """A future for the chat's next event that `want`s (register before sending)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = (want, waiter)
        return waiter


class Athletes:
    """Concurrent simulated athletes; each waits for the bot's reply before the next update."""

    def __init__(self, api: FakeBotAPI, replies: Replies) -> None:
        """Drive users of this server."""
        self.api = api
        self.replies = replies

    async def _step(self, user: FakeUser, act: Any, want: Want, latencies: list[float]) -> None:
        """Send one update and time it until the bot's awaited reply in the chat."""
        waiter = self.replies.expect(user.id, want)
        start = time.perf_counter()
        await act()
        latencies.append(await asyncio.wait_for(waiter, REPLY_TIMEOUT_S) - start)

    async def _echo(self, uid: int, rounds: int, latencies: list[float]) -> None:
        """Say hello `rounds` times."""
        user = self.api.user(uid)
        for n in range(rounds):
            await self._step(user, lambda n=n: user.send(f"hello {n}"), is_message, latencies)

    async def _checkin(self, uid: int, rounds: int, latencies: list[float]) -> None:
        """Do `rounds` full check-ins: /checkin then a tap per question, each on its question."""
        user = self.api.user(uid)
        wants = [offering(label) for label in CHECKIN_ANSWERS[1:]] + [is_message]
        for _ in range(rounds):
            await self._step(
                user, lambda: user.send("/checkin"), offering(CHECKIN_ANSWERS[0]), latencies
            )
            for label, want in zip(CHECKIN_ANSWERS, wants, strict=True):
                await self._step(user, lambda label=label: user.press(label), want, latencies)

    async def _history(self, uid: int, rounds: int, latencies: list[float]) -> None:
        """Ask for /history `rounds` times, each until its chart arrives."""
        user = self.api.user(uid)
        for _ in range(rounds):
            await self._step(user, lambda: user.send("/history"), is_photo, latencies)

    async def run(self, script: str, uids: list[int], rounds: int) -> dict[str, Any]:
        """Run every athlete at once; updates sent, seconds taken, per-update latencies."""
        latencies: list[float] = []
        act = {"echo": self._echo, "checkin": self._checkin, "history": self._history}[script]
        start = time.perf_counter()
        results = await asyncio.gather(
            *(act(uid, rounds, latencies) for uid in uids), return_exceptions=True
        )
        seconds = time.perf_counter() - start
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        return {
            "updates": len(latencies),
            "seconds": seconds,
            "latencies": latencies,
            "errors": errors[:3],
            "failed": len(errors),
        }


async def serve(flood_limits: bool) -> None:
    """Start the server, announce the port, then answer commands until stdin closes."""
    async with FakeBotAPI() as api:
        api.enforce_rate_limits(flood_limits)
        replies = Replies(api)
        athletes = Athletes(api, replies)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        _say({"port": api.port})
        while line := await reader.readline():
            cmd = json.loads(line)
            match cmd["cmd"]:
                case "users":
                    for uid in cmd["uids"]:
                        api.user(uid)
                    _say({"users": len(cmd["uids"])})
                case "echo" | "checkin" | "history":
                    _say(await athletes.run(cmd["cmd"], cmd["uids"], cmd.get("rounds", 1)))
                case "arrivals":
                    _say({"arrivals": replies.arrivals})
                case "stats":
                    _say(
                        {
                            "accepted": len(api.limits.sent),
                            "rejected_429": api.limits.rejected,
                            "calls": Counter(name for name, _ in api.calls),
                        }
                    )


def _say(payload: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.fakeserver", description=__doc__)
    parser.add_argument(
        "--flood-limits", action="store_true", help="enforce 30/s, 1/s per chat, 20/min per group"
    )
    asyncio.run(serve(parser.parse_args().flood_limits))


if __name__ == "__main__":
    main()
