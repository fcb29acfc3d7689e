"""Reading an athlete's profile: their zone and bedtime, and ids for new records."""

from __future__ import annotations

import secrets
from datetime import time, tzinfo
from typing import Any

from bot.athletes.parsing import zone

WITHDRAWN = (
    "You've withdrawn consent, so I don't store new answers or send reminders. /start to change "
    "that."
)


def consented(profile: dict[str, Any] | None) -> bool:
    """Whether the athlete currently agrees to their answers being stored."""
    return bool(profile and profile.get("consent"))


def new_id() -> str:
    """A short random id for drafts, check-ins and reminders."""
    return secrets.token_hex(5)


def athlete_zone(profile: dict[str, Any] | None, default: str) -> tzinfo:
    """The athlete's time zone (falling back to the bot default)."""
    return zone((profile or {}).get("tz") or default)


def athlete_bedtime(profile: dict[str, Any] | None) -> time | None:
    """The athlete's usual bedtime, if set."""
    value = (profile or {}).get("bedtime")
    return time.fromisoformat(value) if value else None
