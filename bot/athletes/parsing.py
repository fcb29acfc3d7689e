"""Parsers for free-text answers: each returns a clean value or raises ValueError with a re-ask."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")
CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$")
SPAN = re.compile(
    r"^(?:(\d+(?:[.,]\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*(?:m|min|mins|minutes?)?)?$"
)


@cache
def _zone_index() -> dict[str, str]:
    """Lower-cased IANA names and city names -> canonical IANA name."""
    index: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        index[name.lower()] = name
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        index.setdefault(city, name)
    index["utc"] = "UTC"
    return index


def zone(name: str) -> tzinfo:
    """Resolve a stored zone name (IANA or 'UTC+05:30') to a tzinfo."""
    match = OFFSET.match(name.strip().lower())
    if match:
        return _offset_zone(match)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _offset_zone(match: re.Match[str]) -> timezone:
    """A fixed-offset zone from an OFFSET match."""
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def parse_timezone(text: str) -> str:
    """A city, IANA name or UTC offset -> the zone name we store."""
    cleaned = " ".join(text.strip().split()).lower()
    if cleaned in {"utc", "gmt", "z"}:
        return "UTC"
    match = OFFSET.match(cleaned)
    if match:
        try:
            offset = _offset_zone(match).utcoffset(None)
        except ValueError:
            raise ValueError("That offset is out of range (UTC-12 to UTC+14).") from None
        total = int(offset.total_seconds() // 60)
        sign = "-" if total < 0 else "+"
        return f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
    found = _zone_index().get(cleaned) or _zone_index().get(cleaned.replace(" ", "_"))
    if found:
        return found
    raise ValueError(
        "I don't know that time zone. Try a big city near you (e.g. Berlin, New York), "
        "a name like Europe/Madrid, or an offset like UTC+2."
    )


def parse_clock(text: str) -> time:
    """'22:30', '2230', '10:30pm', '22.30', '22h30' -> a time of day."""
    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d{4}", cleaned):
        cleaned = f"{cleaned[:2]}:{cleaned[2:]}"
    match = CLOCK.match(cleaned)
    if not match:
        raise ValueError("Please use a time like 22:30.")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("Please use a time like 10:30pm or 22:30.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("That isn't a time of day. Please use HH:MM, e.g. 22:30.")
    return time(hour, minute)


MAX_SPAN_MINUTES = 7 * 24 * 60  # no answer about one session or night spans more than a week


def parse_minutes(text: str) -> int:
    """'75', '75 min', '1h', '1h30', '1.5h' -> whole minutes."""
    cleaned = text.strip().lower()
    match = SPAN.match(cleaned) if cleaned else None
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError("Please send a number of minutes, e.g. 75 (or 1h15).")
    hours = float((match.group(1) or "0").replace(",", "."))
    minutes = int(match.group(2) or 0)
    if hours > MAX_SPAN_MINUTES / 60 or minutes > MAX_SPAN_MINUTES:  # absurd: no overflow later
        raise ValueError("That's far too long. Please send minutes, e.g. 75 (or 1h15).")
    return round(hours * 60) + minutes


def parse_number(text: str, low: float, high: float, *, integer: bool) -> float:
    """A number within [low, high]; decimal comma accepted."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"Please send a number from {low:g} to {high:g}.") from None
    if integer and not value.is_integer():
        raise ValueError(f"Please send a whole number from {low:g} to {high:g}.")
    if not low <= value <= high:
        raise ValueError(f"Please send a number from {low:g} to {high:g}.")
    return int(value) if integer else value


FINISH_HINT = (
    "Please tap one, or send how long ago it ended (e.g. 20 or 1h) or the time it ended "
    "(e.g. 18:40)."
)
MAX_FINISH_AGE = timedelta(hours=24)  # older sessions are not checked in: heaviness is "right now"


def parse_finish(text: str, now: datetime, tz: tzinfo) -> datetime:
    """'0'/'45'/'1h' minutes ago or a local clock time like '18:40' -> finish time in UTC."""
    if ":" in text or text.strip().lower().endswith(("am", "pm")):
        local = datetime.combine(now.astimezone(tz).date(), parse_clock(text), tzinfo=tz)
        if local > now + timedelta(minutes=5):
            local -= timedelta(days=1)
        finished = local.astimezone(UTC)
    else:
        try:
            finished = now - timedelta(minutes=parse_minutes(text))
        except ValueError:
            raise ValueError(FINISH_HINT) from None
    if now - finished > MAX_FINISH_AGE:
        raise ValueError("That's over a day ago. Check in right after your next session.")
    return min(finished, now)
