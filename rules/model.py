"""The check-in model: what an athlete tells us after a session (pure data, no Telegram)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class SessionType(StrEnum):
    """Kinds of training session the check-in distinguishes."""

    INTERVALS = "intervals"
    STRENGTH = "strength"
    ENDURANCE = "endurance"
    TEAM = "team"
    EASY = "easy"


SESSION_LABELS: dict[SessionType, str] = {
    SessionType.INTERVALS: "Intervals / sprints",
    SessionType.STRENGTH: "Heavy strength",
    SessionType.ENDURANCE: "Long endurance",
    SessionType.TEAM: "Team sport",
    SessionType.EASY: "Easy / recovery",
}


class Kind(StrEnum):
    """A full post-session check-in, the short 48 h follow-up, or a morning readiness answer."""

    CHECKIN = "checkin"
    FOLLOWUP = "followup"
    READINESS = "readiness"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One stored answer set; every time is tz-aware UTC. Missing answers are None."""

    created_at: datetime
    leg_heaviness: int | None
    kind: Kind = Kind.CHECKIN
    finished_at: datetime | None = None
    session_type: SessionType | None = None
    duration_min: int | None = None
    rpe: int | None = None
    motivation: int | None = None
    breathing_elevated: bool | None = None
    joint_pain: bool | None = None
    muscle_twitching: bool | None = None
    sleep_hours: float | None = None
    id: str = ""
    update_id: int | None = None
    refuelled_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def observed_at(self) -> datetime:
        """When the leg feeling was observed: the session's end for a check-in."""
        return self.finished_at or self.created_at

    @property
    def red_signs(self) -> bool:
        """Joint pain or sharp muscle twitching was reported."""
        return bool(self.joint_pain or self.muscle_twitching)

    @property
    def signs(self) -> str:
        """The red signs reported, in words ("joint pain and sharp muscle twitching"), or ""."""
        found = (
            ("joint pain", self.joint_pain),
            ("sharp muscle twitching", self.muscle_twitching),
        )
        return " and ".join(words for words, present in found if present)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready stored form (ISO datetimes, plain strings)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "extra":
                continue
            out[key] = (
                value.isoformat()
                if isinstance(value, datetime)
                else (str(value) if isinstance(value, StrEnum) else value)
            )
        return out

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CheckIn:
        """Rebuild from the stored form; unknown keys are kept in `extra`."""
        kwargs: dict[str, Any] = {"extra": {}}
        for key, value in record.items():
            if key not in _STORED_FIELDS:
                kwargs["extra"][key] = value
            elif value is None or key not in _PARSERS:
                kwargs[key] = value
            else:
                kwargs[key] = _PARSERS[key](value)
        return cls(**kwargs)


_STORED_FIELDS = frozenset(f.name for f in fields(CheckIn)) - {"extra"}
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "created_at": datetime.fromisoformat,
    "finished_at": datetime.fromisoformat,
    "refuelled_at": datetime.fromisoformat,
    "session_type": SessionType,
    "kind": Kind,
}
