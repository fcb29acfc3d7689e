"""Coach mode: you are a group admin; simulated members join the team and answer in their ways."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from telegram.ext import Application

from bot.fakeapi import BotEvent, FakeBotAPI, FakeUser
from bot.sandbox.person import Person, Stage
from bot.sandbox.screen import Screen, next_event
from bot.shell.context import services_of
from bot.storage import Store
from rules.catalogue import SLEEP_WHY

log = logging.getLogger(__name__)

GROUP_ID = -1000777
TITLE = "Harriers"
COACH_ID = 2001
INTRO = """Sandbox, coach mode: you are Kim, admin of the group “{title}” (no Telegram needed).
Once the team is ready, four simulated members join through its link: {members}.
Lines show their chat: `group │` the group, `me    │` your private chat with the bot.
You type in the group; /to me switches to your private chat, /to group back.
Try: /team, /session {session} 60, /wait 2h (check-in prompts), /wait 4h (a nudge, then the
group's summary), /report, /wait 2d (a follow-up trips a red flag: an alert in your chat),
/to me, /roster."""


@dataclass(frozen=True)
class Member:
    """A simulated team member and the buttons they tap."""

    uid: int
    name: str
    manner: str  # for the intro
    checkin: tuple[str, ...] = ()  # after a session prompt; none: never answers
    followup: tuple[str, ...] = ()  # at the 48 h follow-up


MEMBERS = (
    Member(
        3001,
        "Ana",
        "Ana checks in with heavy legs and joint pain, still so two days later",
        ("Intervals", "8", "9", "2", "Yes", "Joint pain", "7 h"),
        ("8", "Joint pain"),
    ),
    Member(3002, "Ben", "Ben checks in lightly", ("Easy", "3", "2", "4", "No", "Neither", "8 h")),
    Member(
        3003,
        "Dee",
        "Dee checks in moderately",
        ("Long endurance", "6", "5", "3", "No", "Neither", "7 h"),
    ),
    Member(3004, "Cy", "Cy never answers"),
)
JOIN = ("I agree", "UTC", "22:30", "Join and share")  # set-up and consent after the join link


def coach(api: FakeBotAPI) -> Person:
    """You: the group's creator, typing in the group first."""
    user = api.user(COACH_ID, "Kim")
    group = api.group(GROUP_ID, TITLE)
    api.set_chat_member(GROUP_ID, COACH_ID, "creator")
    for member in MEMBERS:
        api.set_chat_member(GROUP_ID, member.uid, "member")
    return Person(user, {"group": group, "me": user}, "group")


def stage(app: Application, api: FakeBotAPI, files: Path) -> Stage:
    """You as the coach, the simulated members, and both your chats on screen."""
    person = coach(api)
    screen = Screen(files, person.chats)
    cast = Team(api, services_of(app).store, screen)
    jobs = [cast.play(member) for member in MEMBERS]
    jobs += [screen.follow(view, cast.notice) for view in person.chats.values()]
    start = services_of(app).clock.now() + timedelta(hours=1)
    return Stage(person, screen, jobs, intro(start), cast.settle)


def intro(start: datetime) -> str:
    """The coach mode's first lines, suggesting a session that starts at `start`."""
    members = "; ".join(member.manner for member in MEMBERS)
    return INTRO.format(title=TITLE, members=members, session=f"{start:%Y-%m-%d %H:%M}")


def join_payload(event: BotEvent) -> str | None:
    """The /start payload of a join link the bot posted, if the event has one."""
    rows = event.raw.get("reply_markup", {}).get("inline_keyboard", [])
    urls = [button.get("url", "") for row in rows for button in row]
    return next((url.split("?start=", 1)[1] for url in urls if "?start=" in url), None)


async def answer(user: FakeUser, labels: Iterable[str]) -> None:
    """Tap each label on the next question offering it (not on a reminder sent meanwhile)."""
    for label in labels:
        event = await next_event(user)
        while not any(label in text for row in event.buttons for text, _ in row):
            event = await next_event(user)
        await user.press(label, message_id=event.message_id)


class Team:
    """The simulated members: they join on the team's link and react to what the bot sends."""

    def __init__(self, api: FakeBotAPI, store: Store, screen: Screen) -> None:
        """Members of the sandbox's group, narrated on `screen`."""
        self.api, self.store, self.screen = api, store, screen
        self.link: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.busy = 0  # members answering the bot right now
        self.idle = asyncio.Event()
        self.idle.set()

    def notice(self, event: BotEvent) -> None:
        """Hand the team's join link to the members once the bot posts it."""
        payload = join_payload(event)
        if payload and not self.link.done():
            self.link.set_result(payload)

    async def play(self, member: Member) -> None:
        """Join, then react to what the bot sends; stop, saying so, when it asks the unexpected."""
        user = self.api.user(member.uid, member.name)
        try:
            await self.join(member, user)
            while True:
                event = await next_event(user)
                self.busy += 1
                self.idle.clear()
                try:
                    await self.react(member, user, event)
                finally:
                    self.busy -= 1
                    if not self.busy:
                        self.idle.set()
        except AssertionError as exc:  # a button they tap is missing, or no answer came
            log.warning("simulated member %s stopped: %s", member.name, exc)
            self.narrate(f"{member.name} stopped: the bot asked something unexpected (see the log)")

    async def settle(self) -> None:
        """Wait until no member is in the middle of answering (before the clock moves on)."""
        await self.idle.wait()

    async def join(self, member: Member, user: FakeUser) -> None:
        """Open the team's join link, set up and agree to share, unless already in the team."""
        team = await self.store.teams.get(GROUP_ID) or {"members": {}}
        if str(member.uid) not in team["members"]:
            await user.send(f"/start {await self.link}")
            await answer(user, JOIN)
            await user.expect("You're in", timeout=60)
            self.narrate(f"{member.name} opened the join link and joined the team")

    async def react(self, member: Member, user: FakeUser, event: BotEvent) -> None:
        """Answer a session prompt or a follow-up in the member's way, or let it sit."""
        text = event.text or ""
        if "done training?" in text and member.checkin:
            await user.press("Check in", message_id=event.message_id)
            await answer(user, member.checkin)
            await user.expect(SLEEP_WHY, timeout=60)
            self.narrate(f"{member.name} got the check-in prompt and checked in")
        elif "done training?" in text or "gentle nudge" in text:
            what = "a gentle nudge" if "gentle nudge" in text else "the check-in prompt"
            self.narrate(f"{member.name} got {what} and lets it sit")
        elif "still heavy" in text and member.followup:
            await user.press("Answer", message_id=event.message_id)
            await answer(user, member.followup)
            self.narrate(f"{member.name} answered the two-day follow-up")

    def narrate(self, text: str) -> None:
        """One line about what a simulated member did."""
        self.screen.say(f"   · {text}")
