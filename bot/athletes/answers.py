"""Reading typed answers: each parser returns the answer's fields or raises ValueError with a
re-ask that fits its question; each `show_*` puts a parsed answer back into words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.athletes.parsing import parse_clock, parse_minutes, parse_number
from rules.model import SessionType

Answer = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What a parser may need besides the text: the time and the athlete's zone."""

    now: datetime
    tz: tzinfo


def choice(key: str, mapping: dict[str, Any], error: str) -> Callable[[str, AnswerContext], Answer]:
    """A parser that accepts any of the given words (case-insensitive)."""

    def parse(text: str, _ctx: AnswerContext) -> Answer:
        word = " ".join(text.strip().lower().split())
        if word not in mapping:
            raise ValueError(error)
        value = mapping[word]
        return value if isinstance(value, dict) else {key: value}

    return parse


def scale(key: str, low: int, high: int) -> Callable[[str, AnswerContext], Answer]:
    """A parser for a whole number on a scale."""
    return lambda text, _ctx: {key: parse_number(text, low, high, integer=True)}


YES = ("yes", "y", "yeah", "yep", "agree", "i agree", "ok", "sure")
NO = ("no", "n", "nope", "no thanks", "decline")


def yes_no(key: str, question: str) -> Callable[[str, AnswerContext], Answer]:
    """A yes/no parser."""
    words = {w: True for w in YES} | {w: False for w in NO}
    return choice(key, words, f"Please tap Yes or No ({question}).")


def duration(text: str, _ctx: AnswerContext) -> Answer:
    """Session length in minutes, 5 to 600."""
    minutes = parse_minutes(text)
    if not 5 <= minutes <= 600:
        raise ValueError("Please send the session length in minutes, between 5 and 600.")
    return {"duration_min": minutes}


MAX_SLEEP_HOURS = 16


SLEEP_HINT = (
    f"Please send the hours you slept, from 0 to {MAX_SLEEP_HOURS} (e.g. 7.5 or 7h30), or tap Skip."
)


def sleep(text: str, _ctx: AnswerContext) -> Answer:
    """Hours slept, 0 to 16 (or 'skip')."""
    cleaned = text.strip().lower()
    if cleaned in {"skip", "-", "don't know", "dont know"}:
        return {"sleep_hours": None}
    try:
        if "h" in cleaned and any(c.isdigit() for c in cleaned.split("h", 1)[1]):
            hours = round(parse_minutes(cleaned) / 60, 2)
        else:
            hours = parse_number(cleaned.rstrip("h "), 0, MAX_SLEEP_HOURS, integer=False)
    except ValueError:
        raise ValueError(SLEEP_HINT) from None
    if not 0 <= hours <= MAX_SLEEP_HOURS:
        raise ValueError(SLEEP_HINT)
    return {"sleep_hours": hours}


def show_sleep(values: Answer, _ctx: AnswerContext) -> str:
    """Hours slept in words."""
    hours = values["sleep_hours"]
    return "skipped" if hours is None else f"{hours:g} h"


def show_finish(values: Answer, ctx: AnswerContext) -> str:
    """A finish time as the athlete's clock time, "yesterday" when it was."""
    local = datetime.fromisoformat(values["finished_at"]).astimezone(ctx.tz)
    day = "" if local.date() == ctx.now.astimezone(ctx.tz).date() else "yesterday "
    return f"{day}{local:%H:%M}"


def show_off(key: str) -> Callable[[Answer, AnswerContext], str]:
    """A setting that may be off: its value, or "off"."""

    def show(values: Answer, _ctx: AnswerContext) -> str:
        value = values[key]
        return "off" if value is None else "–".join(value) if isinstance(value, list) else value

    return show


def bedtime(text: str, _ctx: AnswerContext) -> Answer:
    """Usual bedtime as HH:MM; a bare hour from 6 to 12 means the evening ("10" is 22:00, "12"
    midnight), one from 1 to 5 the small hours."""
    cleaned = text.strip()
    if cleaned.isdigit() and 6 <= int(cleaned) <= 12:
        return {"bedtime": f"{(int(cleaned) + 12) % 24:02d}:00"}
    return {"bedtime": parse_clock(text).strftime("%H:%M")}


SESSION_WORDS: dict[str, Any] = {str(t): str(t) for t in SessionType} | {
    "sprints": "intervals",
    "interval": "intervals",
    "hiit": "intervals",
    "track": "intervals",
    "weights": "strength",
    "gym": "strength",
    "lifting": "strength",
    "long run": "endurance",
    "long ride": "endurance",
    "run": "endurance",
    "ride": "endurance",
    "football": "team",
    "soccer": "team",
    "basketball": "team",
    "rugby": "team",
    "hockey": "team",
    "recovery": "easy",
    "easy run": "easy",
}

PAIN_WORDS: dict[str, Any] = {
    "none": {"joint_pain": False, "muscle_twitching": False},
    "no": {"joint_pain": False, "muscle_twitching": False},
    "neither": {"joint_pain": False, "muscle_twitching": False},
    "joint": {"joint_pain": True, "muscle_twitching": False},
    "joint pain": {"joint_pain": True, "muscle_twitching": False},
    "twitch": {"joint_pain": False, "muscle_twitching": True},
    "twitching": {"joint_pain": False, "muscle_twitching": True},
    "both": {"joint_pain": True, "muscle_twitching": True},
}


def optional_clock(key: str) -> Callable[[str, AnswerContext], Answer]:
    """A time of day as HH:MM, or 'off' for None."""

    def parse(text: str, _ctx: AnswerContext) -> Answer:
        if text.strip().lower() in {"off", "none", "no", "never"}:
            return {key: None}
        return {key: parse_clock(text).strftime("%H:%M")}

    return parse


def quiet_hours(text: str, _ctx: AnswerContext) -> Answer:
    """'22:00-07:00' (or 'off') -> the quiet period as [start, end] local times."""
    cleaned = text.strip().lower()
    if cleaned in {"off", "none", "no"}:
        return {"quiet_hours": None}
    parts = [p for p in re.split(r"\s*(?:-|–|to)\s*", cleaned) if p]
    if len(parts) != 2:
        raise ValueError("Please send two times like 22:00-07:00, or tap Off.")
    start, end = (parse_clock(p).strftime("%H:%M") for p in parts)
    if start == end:
        raise ValueError("Start and end are the same; please send e.g. 22:00-07:00.")
    return {"quiet_hours": [start, end]}
