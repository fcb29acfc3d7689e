"""Pure reminder planning: which nudges to schedule after a check-in, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from rules.facts import (
    FOLLOWUP_AFTER,
    FOLLOWUP_VALID_FOR,
    REFUEL_IDEAL_FROM,
    REFUEL_WINDOW,
    local_hhmm,
    needs_followup,
    trivial,
)
from rules.model import CheckIn, Kind

LAST_CALL_AT = timedelta(minutes=50)
WIND_DOWN_BEFORE = timedelta(minutes=30)
BEDTIME_HORIZON = timedelta(hours=24)
FOLLOWUP_TEXT = (
    "Checking in two days after your session: are your legs still heavy? "
    "Any joint pain or sharp muscle twitching?"
)


class ReminderKind(StrEnum):
    """What a stored reminder is for (its value is what the store holds)."""

    NUTRITION_OPEN = "nutrition_open"
    NUTRITION_LAST_CALL = "nutrition_last_call"
    BEDTIME = "bedtime"
    FOLLOWUP = "followup"
    READINESS = "readiness"
    TEAM_PROMPT = "team_prompt"
    TEAM_REPROMPT = "team_reprompt"
    REPLY = "reply"


class ReminderStatus(StrEnum):
    """Where a stored reminder (or team outbox item) is in its life."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    DROPPED = "dropped"


NUTRITION_KINDS = (ReminderKind.NUTRITION_OPEN, ReminderKind.NUTRITION_LAST_CALL)
TEAM_PROMPT_KINDS = (ReminderKind.TEAM_PROMPT, ReminderKind.TEAM_REPROMPT)


@dataclass(frozen=True, slots=True)
class Reminder:
    """A stored reminder: what to send whom and when, until when it helps, and its status;
    `extra` keeps what only some kinds carry (a team prompt's session, a daily repeat, ...)."""

    id: str
    user_id: int
    kind: ReminderKind
    due_at: datetime
    expires_at: datetime
    text: str
    checkin_id: str | None = None
    status: ReminderStatus = ReminderStatus.PENDING
    extra: dict[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        """The stored form: times as ISO strings, `extra`'s fields alongside the others."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "checkin_id": self.checkin_id,
            "kind": self.kind,
            "due_at": self.due_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "text": self.text,
            "status": self.status,
            **self.extra,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Reminder:
        """Read a stored reminder (the inverse of `to_doc`)."""
        core = ("id", "user_id", "checkin_id", "kind", "due_at", "expires_at", "text", "status")
        return cls(
            id=doc["id"],
            user_id=doc["user_id"],
            kind=ReminderKind(doc["kind"]),
            due_at=datetime.fromisoformat(doc["due_at"]),
            expires_at=datetime.fromisoformat(doc["expires_at"]),
            text=doc["text"],
            checkin_id=doc.get("checkin_id"),
            status=ReminderStatus(doc.get("status", ReminderStatus.PENDING)),
            extra={key: value for key, value in doc.items() if key not in core},
        )


@dataclass(frozen=True)
class ReminderPlan:
    """One reminder to schedule: send at `due_at`, pointless after `expires_at` (UTC)."""

    kind: ReminderKind
    due_at: datetime
    expires_at: datetime
    text: str


def reminder_still_useful(expires_at: datetime, now: datetime) -> bool:
    """Whether a stored reminder is still worth sending (e.g. after downtime): before expiry."""
    return now < expires_at


def plan_reminders(
    checkin: CheckIn, now: datetime, *, tz: tzinfo, bedtime: time | None
) -> list[ReminderPlan]:
    """All still-useful reminders for a check-in, earliest first; past-due ones are due now."""
    candidates = [*_nutrition(checkin, tz), *_bedtime(checkin, tz, bedtime), *_followup(checkin)]
    live = [
        ReminderPlan(p.kind, max(p.due_at, now), p.expires_at, p.text)
        for p in candidates
        if p.expires_at > now
    ]
    return sorted(live, key=lambda p: p.due_at)


def _nutrition(checkin: CheckIn, tz: tzinfo) -> list[ReminderPlan]:
    """The window-open nudge and the last call, unless refuelled or the session was trivial."""
    finished = checkin.finished_at
    if checkin.kind is not Kind.CHECKIN or finished is None or checkin.refuelled_at is not None:
        return []
    if trivial(checkin):
        return []
    closes = local_hhmm(finished + REFUEL_WINDOW, tz)
    return [
        ReminderPlan(
            ReminderKind.NUTRITION_OPEN,
            finished + REFUEL_IDEAL_FROM,
            finished + LAST_CALL_AT,
            f"Refuel time! A snack with a 3:1 carb-to-protein ratio refills your legs' fuel "
            f"fastest. The window closes at {closes}.",
        ),
        ReminderPlan(
            ReminderKind.NUTRITION_LAST_CALL,
            finished + LAST_CALL_AT,
            finished + REFUEL_WINDOW,
            f"Last call: if you haven't eaten yet, grab something with a 3:1 carb-to-protein "
            f"ratio before {closes}.",
        ),
    ]


def first_bedtime_after(start: datetime, tz: tzinfo, bedtime: time) -> datetime | None:
    """The first local `bedtime` after `start` and within 24 h of it, in UTC (DST-aware)."""
    local_day = start.astimezone(tz).date()
    for offset in (0, 1):
        day = local_day + timedelta(days=offset)
        candidate = datetime.combine(day, bedtime, tzinfo=tz).astimezone(UTC)
        if start < candidate <= start + BEDTIME_HORIZON:
            return candidate
    return None


def _bedtime(checkin: CheckIn, tz: tzinfo, bedtime: time | None) -> list[ReminderPlan]:
    """A wind-down nudge 30 minutes before the athlete's next bedtime."""
    if bedtime is None or checkin.kind is not Kind.CHECKIN:
        return []
    at = first_bedtime_after(checkin.observed_at, tz, bedtime)
    if at is None:
        return []
    text = (
        f"Bedtime at {local_hhmm(at, tz)}: time to wind down. Deep sleep is when growth "
        "hormone peaks, driving tissue repair."
    )
    return [ReminderPlan(ReminderKind.BEDTIME, at - WIND_DOWN_BEFORE, at, text)]


def _followup(checkin: CheckIn) -> list[ReminderPlan]:
    """The 48 h follow-up question for heavy legs or red signs."""
    if not needs_followup(checkin):
        return []
    due = checkin.observed_at + FOLLOWUP_AFTER
    return [ReminderPlan(ReminderKind.FOLLOWUP, due, due + FOLLOWUP_VALID_FOR, FOLLOWUP_TEXT)]
