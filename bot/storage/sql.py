"""The PostgreSQL store's statements, and a reminder filter rendered as a condition.

The claims spell `status = 'pending'` out: that is the predicate of the partial index they use.
"""

from __future__ import annotations

from typing import Any

from bot.storage.base import Where

ATHLETE_TABLES = ("athletes", "conversation_state", "checkins", "reminders")

LOCK = "SELECT pg_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
XACT_LOCK = "SELECT pg_advisory_xact_lock($1)"

PROFILE = "SELECT profile FROM athletes WHERE uid = $1"
STORED = "SELECT 1 FROM athletes WHERE uid = $1"
UPSERT_PROFILE = (
    "INSERT INTO athletes (uid, profile) VALUES ($1, $2) "
    "ON CONFLICT (uid) DO UPDATE SET profile = EXCLUDED.profile"
)
STATE = "SELECT value FROM conversation_state WHERE uid = $1 AND key = $2"
STATES = "SELECT key, value FROM conversation_state WHERE uid = $1 ORDER BY seq"
UPSERT_STATE = (
    "INSERT INTO conversation_state (uid, key, value) VALUES ($1, $2, $3) "
    "ON CONFLICT (uid, key) DO UPDATE SET value = EXCLUDED.value"
)
DROP_STATE = "DELETE FROM conversation_state WHERE uid = $1 AND key = $2"

CHECKINS = "SELECT doc FROM checkins WHERE uid = $1 ORDER BY created_at, seq"
CHECKIN = "SELECT doc FROM checkins WHERE uid = $1 AND id = $2"
CHECKIN_KNOWN = "SELECT 1 FROM checkins WHERE uid = $1 AND (id = $2 OR update_id = $3)"
INSERT_CHECKIN = (
    "INSERT INTO checkins (uid, id, created_at, update_id, doc) VALUES ($1, $2, $3, $4, $5)"
)
REFUELLED = (
    "UPDATE checkins SET doc = doc || jsonb_build_object('refuelled_at', $3::text) "
    "WHERE uid = $1 AND id = $2 AND doc -> 'refuelled_at' = 'null'::jsonb"
)

REMINDER = "SELECT doc FROM reminders WHERE uid = $1 AND id = $2"
REMINDERS = "SELECT doc FROM reminders WHERE uid = $1 ORDER BY seq"
INSERT_REMINDER = (
    "INSERT INTO reminders (uid, id, status, due_at, doc) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (uid, id) DO NOTHING RETURNING id"
)
# $2: changes for every selected reminder, $3: changes per id; the columns follow the document.
UPDATE_REMINDERS = """
    WITH hit AS (
        SELECT id, seq, doc || $2::jsonb || coalesce($3::jsonb -> id, '{{}}'::jsonb) AS doc
        FROM reminders WHERE uid = $1 AND ({where}) FOR UPDATE)
    UPDATE reminders r SET doc = hit.doc,
        status = coalesce(hit.doc ->> 'status', r.status),
        due_at = coalesce((hit.doc ->> 'due_at')::timestamptz, r.due_at)
    FROM hit WHERE r.uid = $1 AND r.id = hit.id
    RETURNING hit.seq, hit.doc
"""
CLAIM_DUE = """
    WITH due AS (
        SELECT uid, id FROM reminders
        WHERE status = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
    UPDATE reminders r SET lease_until = $2, claimed_by = $4, claims = r.claims + 1
    FROM due WHERE r.uid = due.uid AND r.id = due.id
    RETURNING r.uid, r.id
"""
CLAIM_ONE = """
    UPDATE reminders SET lease_until = $4, claimed_by = $5, claims = claims + 1
    WHERE uid = $1 AND id = $2 AND status = 'pending'
      AND (lease_until IS NULL OR lease_until <= $3)
    RETURNING id
"""
RETRY = "UPDATE reminders SET lease_until = $3 WHERE uid = $1 AND id = $2"

TEAMS = "SELECT doc FROM teams ORDER BY id"
TEAM = "SELECT doc FROM teams WHERE id = $1"
TEAM_KNOWN = "SELECT 1 FROM teams WHERE id = $1"
COACHED_BY = "SELECT id FROM teams WHERE doc -> 'coaches' ? $1 ORDER BY id"
UPSERT_TEAM = (
    "INSERT INTO teams (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc"
)
INSERT_TEAM = "INSERT INTO teams (id, doc) VALUES ($1, $2)"
MOVE_TEAM = (  # unclaimed under its new id: the caller wakes it
    "UPDATE teams SET id = $2, doc = $3, next_look_at = NULL, lease_until = NULL WHERE id = $1"
)
WAKE_TEAM = (
    "UPDATE teams SET next_look_at = LEAST(coalesce(next_look_at, $2), $2), "
    "version = version + 1 WHERE id = $1"
)
CLAIM_TEAMS = """
    WITH due AS (
        SELECT id FROM teams
        WHERE next_look_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY next_look_at LIMIT 100 FOR UPDATE SKIP LOCKED)
    UPDATE teams t SET lease_until = $2 FROM due WHERE t.id = due.id
    RETURNING t.id, t.version
"""
TEAM_DONE = (
    "UPDATE teams SET lease_until = NULL, next_look_at = "
    "CASE WHEN version = $2 THEN $3 ELSE next_look_at END WHERE id = $1"
)

# unnest(...) WITH ORDINALITY ... ORDER BY n: rows get their seq in the order the files held them.
IMPORT_PROFILE = """
    INSERT INTO athletes (uid, profile)
    SELECT $1, profile FROM unnest($2::jsonb[]) AS t(profile) ON CONFLICT DO NOTHING
"""
IMPORT_STATE = """
    INSERT INTO conversation_state (uid, key, value)
    SELECT $1, key, value FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS t(key, value, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
IMPORT_CHECKINS = """
    INSERT INTO checkins (uid, id, created_at, update_id, doc)
    SELECT $1, id, created_at, update_id, doc
    FROM unnest($2::text[], $3::text[], $4::bigint[], $5::jsonb[]) WITH ORDINALITY
        AS t(id, created_at, update_id, doc, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
IMPORT_REMINDERS = """
    INSERT INTO reminders (uid, id, status, due_at, doc)
    SELECT $1, id, status, due_at, doc
    FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) WITH ORDINALITY
        AS t(id, status, due_at, doc, n)
    ORDER BY n ON CONFLICT DO NOTHING
"""
IMPORT_TEAM = "INSERT INTO teams (id, doc, next_look_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
TEAMS_HELD = "SELECT count(*) FROM teams WHERE id = ANY($1::bigint[])"


def docs(table: str) -> str:
    """Every document of one athlete in `table`, in the order stored."""
    return f"SELECT doc FROM {table} WHERE uid = $1 ORDER BY seq"


def erase(table: str) -> str:
    """Delete one athlete's rows from `table`."""
    return f"DELETE FROM {table} WHERE uid = $1"


def held(table: str) -> str:
    """How many rows `table` holds for the athletes in $1."""
    return f"SELECT count(*) FROM {table} WHERE uid = ANY($1::bigint[])"


def update_reminders(where: Where, args: list[Any]) -> str:
    """UPDATE_REMINDERS for the reminders any filter of `where` selects, the filters' values
    appended to `args` (which holds the statement's first three)."""

    def value(item: Any, cast: str) -> str:
        args.append(item)
        return f"${len(args)}::{cast}"

    alternatives = []
    for f in where:
        terms = [f"status = ANY({value(sorted(map(str, f.statuses)), 'text[]')})"]
        if f.ids is not None:
            terms.append(f"id = ANY({value(sorted(f.ids), 'text[]')})")
        if f.kinds is not None:
            terms.append(f"doc ->> 'kind' = ANY({value(sorted(map(str, f.kinds)), 'text[]')})")
        if f.checkin is not None:
            terms.append(f"doc ->> 'checkin_id' = {value(f.checkin, 'text')}")
        if f.team is not None:
            terms.append(f"doc -> 'team_id' = to_jsonb({value(f.team, 'bigint')})")
        if f.reason is not None:
            terms.append(f"doc ->> 'reason' = {value(f.reason, 'text')}")
        alternatives.append(" AND ".join(terms))
    where_sql = " OR ".join(f"({terms})" for terms in alternatives) or "false"
    return UPDATE_REMINDERS.format(where=where_sql)
