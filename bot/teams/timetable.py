"""Team sessions as data: parsing `/session` arguments and finding when occurrences end."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from bot.athletes.parsing import parse_clock

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_WORDS = {name: i for i, name in enumerate(DAYS)} | {
    full: i
    for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
MIN_DURATION, MAX_DURATION = 10, 600
MAX_AHEAD = timedelta(days=366)  # one-off sessions are planned at most a year ahead
MAX_SESSIONS = 20  # per team: enough for any real week, too few to flood members
USAGE = (
    "Usage:\n"
    "/session mon,wed 18:00 90  (weekly: days, start time, minutes)\n"
    "/session 2026-12-01 18:00 60  (one-off: date, start time, minutes)\n"
    "/session  (list)   ·   /session clear  (remove all)\n"
    "Times are in the team's time zone (/team <zone> changes it)."
)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete session: when it starts and ends (UTC) and which schedule it came from."""

    session_id: str
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """A stable name for this occurrence (schedule id + start time)."""
        return f"{self.session_id}@{int(self.start.timestamp())}"

    @property
    def minutes(self) -> int:
        """The session's length in minutes."""
        return int((self.end - self.start).total_seconds() // 60)


def parse_session(args: list[str], today: date) -> dict[str, Any]:
    """A session record from `/session` arguments; ValueError (with the reason) otherwise."""
    if len(args) != 3:
        raise ValueError("I need three parts: days or a date, a start time and minutes.")
    when, start, minutes = args
    record: dict[str, Any] = {"start": _clock(start), "duration": _duration(minutes)}
    try:
        day = date.fromisoformat(when)
    except ValueError:
        return record | {"kind": "weekly", "days": _days(when)}
    if day < today:
        raise ValueError(f"{day.isoformat()} is in the past.")
    if day > today + MAX_AHEAD:
        raise ValueError(
            f"{day.isoformat()} is more than a year ahead; schedule it nearer the time."
        )
    return record | {"kind": "once", "date": day.isoformat()}


def add_session(sessions: dict[str, dict[str, Any]], record: dict[str, Any]) -> str | None:
    """Add `record` to a team's sessions (in place); the reason it was refused, or None."""
    shape = {k: v for k, v in record.items() if k != "id"}
    if any({k: v for k, v in s.items() if k != "id"} == shape for s in sessions.values()):
        return f"That session is already scheduled: {describe(record)}."
    if len(sessions) >= MAX_SESSIONS:
        return (
            f"A team can have at most {MAX_SESSIONS} sessions; remove some with /session clear "
            "first."
        )
    sessions[record["id"]] = record
    return None


def _clock(text: str) -> str:
    """HH:MM from a typed time."""
    try:
        return parse_clock(text).strftime("%H:%M")
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 18:00.") from None


def _duration(text: str) -> int:
    """Whole minutes within the allowed range."""
    if not text.isdigit() or not MIN_DURATION <= int(text) <= MAX_DURATION:
        raise ValueError(f"The length must be minutes between {MIN_DURATION} and {MAX_DURATION}.")
    return int(text)


def _days(text: str) -> list[int]:
    """Weekday numbers (Monday 0) from e.g. "mon,wed"."""
    words = [w for w in text.lower().replace(";", ",").split(",") if w]
    unknown = [w for w in words if w not in DAY_WORDS]
    if not words or unknown:
        raise ValueError(f"{text!r} is neither a date (2026-12-01) nor days like mon,wed.")
    return sorted({DAY_WORDS[w] for w in words})


def describe(session: dict[str, Any]) -> str:
    """A one-line human description of a session record."""
    when = (
        ",".join(DAYS[d] for d in session["days"])
        if session["kind"] == "weekly"
        else session["date"]
    )
    weekly = "weekly " if session["kind"] == "weekly" else ""
    return f"{weekly}{when} {session['start']}, {session['duration']} min"


def occurrences(
    session: dict[str, Any], tz: tzinfo, after: datetime, until: datetime
) -> Iterator[Occurrence]:
    """Occurrences of `session` whose end falls in (after, until], in order; a session stored
    malformed (or by an older version, e.g. in year 9999) has none, so it stops nothing else."""
    try:
        found = list(_occurrences(session, tz, after, until))
    except (OverflowError, ValueError, KeyError, TypeError) as exc:
        log.warning("session %s cannot be scheduled (%s): skipped", session.get("id"), exc)
        found = []
    yield from found


def _occurrences(
    session: dict[str, Any], tz: tzinfo, after: datetime, until: datetime
) -> Iterator[Occurrence]:
    """The occurrences of a well-formed session whose end falls in (after, until]."""
    span = timedelta(minutes=session["duration"])
    if session["kind"] == "once":
        days = [date.fromisoformat(session["date"])]
    else:
        first = (after - span).astimezone(tz).date() - timedelta(days=1)
        count = (until.astimezone(tz).date() - first).days + 2
        days = [
            d
            for d in (first + timedelta(days=i) for i in range(count))
            if d.weekday() in session["days"]
        ]
    for day in days:
        start = datetime.combine(day, time.fromisoformat(session["start"]), tz).astimezone(UTC)
        occurrence = Occurrence(session["id"], start, start + span)
        if after < occurrence.end <= until:
            yield occurrence


def next_end(session: dict[str, Any], tz: tzinfo, after: datetime) -> datetime | None:
    """When the first occurrence ending after `after` ends (None for a past one-off)."""
    horizon = timedelta(days=8 if session["kind"] == "weekly" else 3660)
    found = next(occurrences(session, tz, after, after + horizon), None)
    return found.end if found else None
