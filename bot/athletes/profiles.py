"""An athlete's profile as a typed record: consent, time zone, bedtime, teams, preferences."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, tzinfo
from typing import TYPE_CHECKING, Any

from bot.athletes.parsing import zone
from rules.preferences import Preferences

if TYPE_CHECKING:
    from bot.storage import Store

WITHDRAWN = (
    "You've withdrawn consent, so I don't store new answers or send reminders. /start to change "
    "that."
)


@dataclass(frozen=True, slots=True)
class Profile:
    """What the bot keeps about an athlete besides their answers."""

    consent: bool = False
    tz: str | None = None
    bedtime: str | None = None  # "HH:MM", local
    active: bool = True  # False while the athlete has blocked the bot
    teams: Mapping[str, Any] = field(default_factory=dict)  # team id -> when they joined
    reminders_off: tuple[str, ...] = ()
    quiet_hours: tuple[str, str] | None = None
    readiness_at: str | None = None
    consent_at: str | None = None
    created_at: str | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Profile:
        """Read a stored profile (unknown keys are ignored, missing ones take defaults)."""
        quiet = doc.get("quiet_hours")
        return cls(
            consent=bool(doc.get("consent")),
            tz=doc.get("tz"),
            bedtime=doc.get("bedtime"),
            active=doc.get("active") is not False,
            teams=dict(doc.get("teams") or {}),
            reminders_off=tuple(doc.get("reminders_off") or ()),
            quiet_hours=(quiet[0], quiet[1]) if quiet else None,
            readiness_at=doc.get("readiness_at"),
            consent_at=doc.get("consent_at"),
            created_at=doc.get("created_at"),
        )

    @property
    def team_ids(self) -> list[int]:
        """The teams the athlete shares with."""
        return [int(team_id) for team_id in self.teams]

    @property
    def preferences(self) -> Preferences:
        """Which reminders are on, the quiet hours and the morning check-in time."""
        return Preferences.from_values(self.reminders_off, self.quiet_hours, self.readiness_at)


async def load_profile(store: Store, uid: int) -> Profile | None:
    """The athlete's profile, or None for someone never stored."""
    doc = await store.profile(uid)
    return Profile.from_doc(doc) if doc is not None else None


def consented(profile: Profile | None) -> bool:
    """Whether the athlete currently agrees to their answers being stored."""
    return profile is not None and profile.consent


def new_id() -> str:
    """A short random id for drafts, check-ins and reminders."""
    return secrets.token_hex(5)


def athlete_zone_name(profile: Profile | None, default: str = "UTC") -> str:
    """The name of the athlete's time zone (falling back to `default`)."""
    return (profile.tz if profile else None) or default


def athlete_zone(profile: Profile | None, default: str) -> tzinfo:
    """The athlete's time zone (falling back to the bot default)."""
    return zone(athlete_zone_name(profile, default))


def athlete_bedtime(profile: Profile | None) -> time | None:
    """The athlete's usual bedtime, if set."""
    value = profile.bedtime if profile else None
    return time.fromisoformat(value) if value else None
