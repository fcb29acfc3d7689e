"""Versioned PostgreSQL schema migrations, applied in order at start-up (idempotent, locked)."""

from __future__ import annotations

import logging

import asyncpg

from bot.storage.base import StoreUnavailable

log = logging.getLogger(__name__)

# One entry per schema version; never edit a released step, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE athletes (
        uid bigint PRIMARY KEY,
        profile jsonb NOT NULL
    );
    CREATE TABLE conversation_state (
        uid bigint NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        seq bigserial,
        PRIMARY KEY (uid, key)
    );
    CREATE TABLE checkins (
        uid bigint NOT NULL,
        id text NOT NULL,
        seq bigserial,
        created_at text NOT NULL,
        update_id bigint,
        doc jsonb NOT NULL,
        PRIMARY KEY (uid, id)
    );
    CREATE UNIQUE INDEX checkins_update ON checkins (uid, update_id) WHERE update_id IS NOT NULL;
    CREATE TABLE reminders (
        uid bigint NOT NULL,
        id text NOT NULL,
        seq bigserial,
        status text NOT NULL,
        due_at timestamptz NOT NULL,
        lease_until timestamptz,
        claimed_by text,
        claims integer NOT NULL DEFAULT 0,
        doc jsonb NOT NULL,
        PRIMARY KEY (uid, id)
    );
    CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'pending';
    CREATE TABLE teams (
        id bigint PRIMARY KEY,
        doc jsonb NOT NULL,
        next_look_at timestamptz,
        lease_until timestamptz,
        version bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX teams_due ON teams (next_look_at) WHERE next_look_at IS NOT NULL;
    """,
)

# Any constant works: every worker takes this lock while it migrates, so they queue up.
MIGRATION_LOCK = 7_246_153_001


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the schema to the newest version; return how many steps were applied."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
        if current > len(MIGRATIONS):
            raise StoreUnavailable(
                f"the database schema is version {current}, newer than this bot "
                f"({len(MIGRATIONS)}): upgrade the bot"
            )
        for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
            await conn.execute(step)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            log.info("database schema migrated to version %d", version)
        return len(MIGRATIONS) - current
