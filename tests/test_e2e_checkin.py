"""End to end: onboarding and a full check-in through the real Application over loopback HTTP."""

from __future__ import annotations

from bot.fakeapi import FakeBotAPI
from tests.conftest import onboard, svc


async def test_full_checkin_gives_guidance_and_stores_record(api: FakeBotAPI, bot) -> None:
    """Nine taps produce one stored record and article-based guidance."""
    user = api.user(501, first_name="Ana")
    await onboard(user)
    await user.send("/checkin")
    for label in ["Just now", "Intervals", "60 min", "8", "8", "2", "Yes", "Neither", "7 h"]:
        await user.expect(kind="message")
        await user.press(label)
    reply = await user.expect("3:1")
    assert "Why?" in [label for label, _ in user.buttons()]
    records = await svc(bot).store.checkins(501)
    assert len(records) == 1
    assert records[0]["session_type"] == "intervals"
    assert records[0]["leg_heaviness"] == 8
    assert reply.text
