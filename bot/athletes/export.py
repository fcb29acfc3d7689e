"""/export: everything stored about an athlete as self-documenting JSON plus a CSV of check-ins."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from rules.baseline import READINESS_ITEMS
from rules.load import session_load
from rules.scales import EFFORT, LEG_HEAVINESS, MOTIVATION

FORMAT = "heavy-legs-export/1"
FIELDS: dict[str, str] = {
    "format": "name and version of this file layout",
    "exported_at": "when this file was made (ISO 8601, UTC)",
    "athlete_id": "your Telegram user id, the key your data is stored under",
    "profile.consent": "true while you allow me to store answers",
    "profile.consent_at": "when you last agreed",
    "profile.tz": "your time zone (IANA name or UTC offset)",
    "profile.bedtime": "your usual bedtime, HH:MM local",
    "profile.active": "false once Telegram told me you blocked the bot",
    "profile.created_at": "when your profile was first stored",
    "profile.reminders_off": "reminder groups you switched off: nutrition, bedtime, followup",
    "profile.quiet_hours": "[start, end] local HH:MM during which reminders wait",
    "profile.readiness_at": "local HH:MM of the optional morning check-in (absent when off)",
    "checkins[].id": "check-in id",
    "checkins[].kind": "checkin (after a session), followup (48 h) or readiness (morning)",
    "checkins[].created_at": "when you answered (UTC)",
    "checkins[].finished_at": "when the session finished (UTC)",
    "checkins[].session_type": "intervals, strength, endurance, team or easy",
    "checkins[].duration_min": "session length in minutes",
    "checkins[].rpe": f"session effort, CR-10 scale: {EFFORT.legend()}",
    "checkins[].leg_heaviness": LEG_HEAVINESS.legend(),
    "checkins[].motivation": MOTIVATION.legend(),
    "checkins[].breathing_elevated": "breathing still up after the session",
    "checkins[].joint_pain": "joint pain reported",
    "checkins[].muscle_twitching": "sharp muscle twitching reported",
    "checkins[].sleep_hours": "hours slept the night before (null when skipped)",
    "checkins[].refuelled_at": "when you tapped 'Already ate' (UTC)",
    "checkins[].update_id": "the Telegram update that completed it (duplicate protection)",
    "checkins[].followup_of": "for a follow-up, the id of the check-in it follows",
    "checkins[].advice": (
        "the points the reply showed, as sent: rule id, text, role, article sentences and "
        "outside sources (what Why? explains)"
    ),
    "checkins[].red_flag": "true when this answer raised the 48 h red flag",
    "checkins[].fatigue|sleep_quality|soreness|stress|mood": (
        "morning readiness items, 1 (worst) – 5 (best), McLean et al. 2010"
    ),
    "teams[]": (
        "each team that mentions you: team_id and title, and what it holds about you: members "
        "(you joined and share), invited (a coach invited you), coaches (you coach it), alerts "
        "(red-flag alerts about you, or to you as a coach)"
    ),
    "reminders[].id": "reminder id",
    "reminders[].user_id": "your Telegram user id (whom to send it to)",
    "reminders[].checkin_id": "the check-in it belongs to (null for the morning check-in)",
    "reminders[].kind": (
        "nutrition_open, nutrition_last_call, bedtime, followup, readiness, or reply (the "
        "guidance sent right after a check-in, kept until Telegram accepted it)"
    ),
    "reminders[].ate_button": "reply only: whether it carried the Already ate button",
    "reminders[].due_at": "when it is (or was) to be sent (UTC)",
    "reminders[].expires_at": "after this it is no longer useful and is never sent",
    "reminders[].text": "the message",
    "reminders[].status": "pending, sent, cancelled or dropped",
    "reminders[].settled_at": "when the status last became final",
    "reminders[].reason": "why it was cancelled or dropped",
    "reminders[].snoozes": "how often you snoozed it",
    "reminders[].repeat": "for the daily morning check-in: local time and zone",
    "reminders[].renewed": "for the morning check-in: the next day's one is already planned",
    "conversation_state[]": "unfinished questions (your answers so far) and similar state",
}
CSV_COLUMNS = (
    "id",
    "kind",
    "created_at",
    "finished_at",
    "session_type",
    "duration_min",
    "rpe",
    "session_load",
    "leg_heaviness",
    "motivation",
    "breathing_elevated",
    "joint_pain",
    "muscle_twitching",
    "sleep_hours",
    "refuelled_at",
    "followup_of",
    *READINESS_ITEMS,
)
KNOWN_TABLES = frozenset({"profile", "checkins", "reminders", "state"})


def build_json(uid: int, tables: dict[str, list[dict[str, Any]]], now: datetime) -> bytes:
    """The JSON export: a field guide first, then every stored table."""
    profile = (tables.get("profile") or [{}])[0]
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "athlete_id": uid,
        "fields": FIELDS,
        "profile": profile,
        "checkins": sorted(tables.get("checkins", []), key=lambda r: r.get("created_at", "")),
        "reminders": sorted(tables.get("reminders", []), key=lambda r: r.get("due_at", "")),
        "conversation_state": tables.get("state", []),
    }
    document |= {name: rows for name, rows in tables.items() if name not in KNOWN_TABLES}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def build_csv(checkins: list[dict[str, Any]]) -> bytes:
    """One row per check-in, follow-up or readiness answer, oldest first (UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in sorted(checkins, key=lambda r: r.get("created_at", "")):
        load = session_load(record.get("rpe"), record.get("duration_min"))
        writer.writerow({**record, "session_load": "" if load is None else f"{load:g}"})
    return buffer.getvalue().encode("utf-8-sig")
