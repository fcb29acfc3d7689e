"""callback_data formats (each well under Telegram's 64-byte limit) and their parsing."""

from __future__ import annotations

import re

ANSWER = "q"
WHY = "why"
ATE = "ate"
FOLLOWUP = "fu"
FORGET = "forget"
SNOOZE = "snz"
READY = "rd|go"
SETTINGS = "set"
TEAM_CHECKIN = "tc"
CONSENT_NO = "c|n"

# Telegram's user and chat ids fit in 52 bits; anything longer is forged and never reaches storage.
CHAT_ID = r"-?\d{1,16}"
MAX_CHAT_ID = 2**52
COACH_VIEW_PATTERN = re.compile(rf"^cv\|({CHAT_ID})\|({CHAT_ID})$")
ANSWER_PATTERN = re.compile(r"^q\|([0-9a-f]{1,16})\|(\d{1,2})\|(\d{1,2}|b)$")
BACK = -1  # the option number parse_answer gives the ◀ Back button
ITEM_PATTERN = re.compile(r"^(why|ate|fu|tc)\|([0-9a-f]{1,16})$")
WHY_POINT_PATTERN = re.compile(r"^why\|([0-9a-f]{1,16})\|(\d)$")
CONSENT_PATTERN = re.compile(r"^c\|(?:y\|([a-z]{0,16})|j\|([0-9A-Za-z_-]{1,60}))$")
SNOOZE_PATTERN = re.compile(r"^snz\|([0-9a-f]{1,16})$")
SETTINGS_PATTERN = re.compile(r"^set\|([a-z:]{1,32})$")
HISTORY_NUMBERS = "hist|num"
HISTORY_NUMBERS_PATTERN = re.compile(r"^hist\|num$")
GENERAL = "gen"
GENERAL_PATTERN = re.compile(r"^gen\|([a-z]{1,16})$")


def answer(draft_id: str, step: int, option: int) -> str:
    """The button data for option `option` of question `step` in draft `draft_id`."""
    return f"{ANSWER}|{draft_id}|{step}|{option}"


def item(action: str, checkin_id: str) -> str:
    """The button data for an action on one stored check-in (or team prompt)."""
    return f"{action}|{checkin_id}"


def why_point(checkin_id: str, index: int) -> str:
    """The button data that shows point `index` (0-based) of a check-in's Why?."""
    return f"{WHY}|{checkin_id}|{index}"


def parse_why_point(data: str) -> tuple[str, int] | None:
    """(check-in id, point index) from Why? navigation data, or None if malformed."""
    match = WHY_POINT_PATTERN.match(data)
    return (match.group(1), int(match.group(2))) if match else None


def consent_yes(then: str) -> str:
    """The 'I agree' button of a first consent question, continuing with `then` after set-up."""
    return f"c|y|{then}"


def consent_join(payload: str) -> str:
    """The 'I agree' button for someone who came through a team's join link (≤ 64 bytes)."""
    return f"c|j|{payload}"


def parse_consent(data: str) -> tuple[str, str] | None:
    """(then, join payload) from an 'I agree' button; None for 'No thanks' or malformed data."""
    match = CONSENT_PATTERN.match(data)
    if match is None:
        return None
    return ("join", match.group(2)) if match.group(2) else (match.group(1) or "", "")


def back(draft_id: str, step: int) -> str:
    """The button data that goes back from question `step` of draft `draft_id`."""
    return f"{ANSWER}|{draft_id}|{step}|b"


def parse_answer(data: str) -> tuple[str, int, int] | None:
    """(draft id, step, option or BACK) from answer button data, or None if malformed."""
    match = ANSWER_PATTERN.match(data)
    if match is None:
        return None
    option = BACK if match.group(3) == "b" else int(match.group(3))
    return match.group(1), int(match.group(2)), option


def parse_item(data: str) -> tuple[str, str] | None:
    """(action, check-in id) from item button data, or None if malformed."""
    match = ITEM_PATTERN.match(data)
    return (match.group(1), match.group(2)) if match else None


def snooze(reminder_id: str) -> str:
    """The button data for snoozing one sent reminder."""
    return f"{SNOOZE}|{reminder_id}"


def general(session_type: str) -> str:
    """The button data for the general tips after one kind of session."""
    return f"{GENERAL}|{session_type}"


def setting(action: str) -> str:
    """The button data for one /settings action (e.g. 'tz', 'toggle:bedtime')."""
    return f"{SETTINGS}|{action}"


def chat_id(text: str) -> int | None:
    """A Telegram chat or user id, or None when it is not one (malformed or out of range)."""
    if not re.fullmatch(CHAT_ID, text):
        return None
    value = int(text)
    return value if abs(value) < MAX_CHAT_ID else None


def parse_coach_view(data: str) -> tuple[int, int] | None:
    """(team id, athlete id) from a coach-view button, or None if malformed."""
    match = COACH_VIEW_PATTERN.match(data)
    if match is None:
        return None
    team_id, athlete = chat_id(match.group(1)), chat_id(match.group(2))
    return (team_id, athlete) if team_id is not None and athlete is not None else None


def parse_with(pattern: re.Pattern[str], data: str) -> str | None:
    """The single captured field of `pattern` in `data`, or None if malformed."""
    match = pattern.match(data)
    return match.group(1) if match else None
