"""Team documents read into typed records and written back unchanged."""

from __future__ import annotations

from bot.teams.records import OutboxItem, OutboxKind, Team, is_team
from rules.reminders import ReminderStatus

STORED = {
    "id": -1001,
    "title": "Harriers",
    "tz": "Europe/Madrid",
    "code": "abcdefghijklmnopqrstuv",
    "created_at": "2026-11-01T10:00:00+00:00",
    "processed_until": "2026-11-30T10:00:00+00:00",
    "active": True,
    "members": {"52": {"name": "Ana", "joined_at": "2026-11-02T10:00:00+00:00"}},
    "coaches": {"51": {"name": "Kim", "added_at": "2026-11-01T10:00:00+00:00"}},
    "invited": {"53": {"name": "Ben", "at": "2026-11-03T10:00:00+00:00"}},
    "sessions": {"s1": {"id": "s1", "weekday": 1, "time": "18:00", "minutes": 60}},
    "outbox": {
        "s-k": {
            "id": "s-k",
            "kind": "summary",
            "due_at": "2026-11-30T22:00:00+00:00",
            "status": "sent",
            "session_start": "2026-11-30T18:00:00+00:00",
            "session_end": "2026-11-30T19:00:00+00:00",
            "text": "Harriers: 1 of 1 checked in",
            "at": "2026-11-30T22:00:01+00:00",
        },
        "a-c1-51": {
            "id": "a-c1-51",
            "kind": "alert",
            "due_at": "2026-11-30T10:00:00+00:00",
            "status": "pending",
            "uid": 52,
            "coach": 51,
            "checkin_id": "c1",
        },
    },
    "channel": {"id": -1002, "title": "Harriers news"},
}


def test_a_stored_team_round_trips_unchanged() -> None:
    team = Team.from_doc(STORED)
    assert team.to_doc() == STORED
    assert team.member_ids == [52]
    assert team.members["52"].since == "2026-11-02T10:00:00+00:00"
    summary = team.outbox["s-k"]
    assert (summary.kind, summary.status) == (OutboxKind.SUMMARY, ReminderStatus.SENT)


def test_new_outbox_items_store_only_what_they_carry() -> None:
    item = OutboxItem("c-k", OutboxKind.CHANNEL, "2026-11-30T19:00:00+00:00", chat_id=-1002)
    assert item.to_doc() == {
        "id": "c-k",
        "kind": "channel",
        "due_at": "2026-11-30T19:00:00+00:00",
        "status": "pending",
        "chat_id": -1002,
    }
    assert OutboxItem.from_doc(item.to_doc()) == item


def test_a_supergroup_stub_is_not_a_team() -> None:
    assert is_team(STORED)
    assert not is_team({"id": -1001, "moved_to": -1003})
    assert not is_team({})
    assert not is_team(None)
