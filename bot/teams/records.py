"""A team as typed records: its people, sessions and outbox (stored as one JSON document)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from rules.reminders import ReminderStatus

Doc = dict[str, Any]


@dataclass(slots=True)
class Person:
    """Someone a team remembers: first name and since when (joined, added, or asked)."""

    name: str | None
    since: str


# Each section keeps its "since" under its own stored key.
SINCE_KEYS = {"members": "joined_at", "coaches": "added_at", "invited": "at"}


class OutboxKind(StrEnum):
    """What a team's outbox sends."""

    SUMMARY = "summary"  # the group's totals after a session
    CHANNEL = "channel"  # the post-session note in a linked channel
    ALERT = "alert"  # a private red-flag alert to one coach


@dataclass(slots=True)
class OutboxItem:
    """One message a team sends later, and what became of it."""

    id: str
    kind: OutboxKind
    due_at: str
    status: ReminderStatus = ReminderStatus.PENDING
    session_start: str | None = None
    session_end: str | None = None
    text: str | None = None  # a summary's text, fixed before its first send
    at: str | None = None  # when it was settled
    chat_id: int | None = None  # a channel note's channel
    uid: int | None = None  # an alert's athlete
    coach: int | None = None  # an alert's coach
    checkin_id: str | None = None  # an alert's check-in

    @property
    def due(self) -> datetime:
        """When it is due."""
        return datetime.fromisoformat(self.due_at)

    def to_doc(self) -> Doc:
        """The stored form (unset fields left out)."""
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in doc.items() if v is not None}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> OutboxItem:
        """Read a stored item."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        values["kind"] = OutboxKind(values["kind"])
        values["status"] = ReminderStatus(values.get("status", ReminderStatus.PENDING))
        return cls(**values)


@dataclass(slots=True)
class Team:
    """A group's team: who is in it, its sessions, and what it sends."""

    id: int
    title: str
    tz: str
    code: str
    created_at: str
    processed_until: str
    active: bool = True
    members: dict[str, Person] = field(default_factory=dict)
    coaches: dict[str, Person] = field(default_factory=dict)
    invited: dict[str, Person] = field(default_factory=dict)
    sessions: dict[str, Doc] = field(default_factory=dict)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    channel: Doc | None = None  # {"id", "title"} of a linked channel

    @property
    def member_ids(self) -> list[int]:
        """The athlete ids of its members (all of whom consented to share)."""
        return [int(uid) for uid in self.members]

    def to_doc(self) -> Doc:
        """The stored form."""
        people = {
            section: {
                uid: {"name": p.name, key: p.since} for uid, p in getattr(self, section).items()
            }
            for section, key in SINCE_KEYS.items()
        }
        return {
            "id": self.id,
            "title": self.title,
            "tz": self.tz,
            "code": self.code,
            "created_at": self.created_at,
            "processed_until": self.processed_until,
            "active": self.active,
            **people,
            "sessions": self.sessions,
            "outbox": {key: item.to_doc() for key, item in self.outbox.items()},
            "channel": self.channel,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Team:
        """Read a stored team (not the stub a supergroup move leaves behind)."""
        people = {
            section: {
                uid: Person(entry.get("name"), entry.get(key) or "")
                for uid, entry in (doc.get(section) or {}).items()
            }
            for section, key in SINCE_KEYS.items()
        }
        return cls(
            id=int(doc["id"]),
            title=doc.get("title") or "Team",
            tz=doc["tz"],
            code=doc["code"],
            created_at=doc.get("created_at") or "",
            processed_until=doc["processed_until"],
            active=bool(doc.get("active", True)),
            **people,
            sessions=dict(doc.get("sessions") or {}),
            outbox={k: OutboxItem.from_doc(v) for k, v in (doc.get("outbox") or {}).items()},
            channel=doc.get("channel"),
        )


def is_team(doc: Mapping[str, Any] | None) -> bool:
    """Whether a stored document is a team (not empty, not a supergroup move's stub)."""
    return bool(doc) and "moved_to" not in doc
