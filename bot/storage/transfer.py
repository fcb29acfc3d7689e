"""Copy a TinyDB data dir into PostgreSQL (`python -m bot import-tinydb`) and verify the counts.

Every file is parsed and checked first, so a broken one stops the import before anything is
written. Each athlete is then copied in one transaction; rows already in the database are kept,
so running the import again adds nothing and verifies again.
"""

from __future__ import annotations

import errno
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.storage import dirlock, sql
from bot.storage.atomic import CorruptDataError, StorageWriteError
from bot.storage.base import Record, TeamDoc
from bot.storage.database import Database
from bot.storage.postgres import PostgresStore, reminder_row
from bot.storage.tiny import TinyStore

# TinyDB table -> the PostgreSQL table that holds its rows
TABLES = {
    "profile": "athletes",
    "state": "conversation_state",
    "checkins": "checkins",
    "reminders": "reminders",
}
ROWS = (*TABLES.values(), "teams")
PROGRESS_EVERY = 1_000


class ImportMismatch(Exception):
    """After the import PostgreSQL does not hold as many rows as the files."""


@dataclass
class Report:
    """Rows per table: in the files, added by this run, and held by PostgreSQL afterwards."""

    files: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    held: dict[str, int] = field(default_factory=dict)

    def table(self) -> str:
        """The counts as a small text table."""
        lines = [f"{'table':<20}{'tinydb':>10}{'added':>10}{'postgres':>10}"]
        for name in ROWS:
            lines.append(
                f"{name:<20}{self.files[name]:>10}{self.added[name]:>10}{self.held[name]:>10}"
            )
        return "\n".join(lines)

    def check(self) -> None:
        """Raise ImportMismatch naming every table whose counts differ."""
        wrong = [
            f"{name} {self.files[name]} in the files, {self.held[name]} in PostgreSQL"
            for name in ROWS
            if self.files[name] != self.held[name]
        ]
        if wrong:
            raise ImportMismatch("import not verified: " + "; ".join(wrong))


async def import_tinydb(
    data_dir: Path, url: str, now: datetime, progress: TextIO | None = None
) -> Report:
    """Copy every athlete and team of `data_dir` into the database at `url`; count both sides."""
    tiny = TinyStore(data_dir, max_open=1)
    uids, teams = _read_all(tiny)
    report = Report()
    store = PostgresStore(url, worker="import-tinydb", pool_size=2)
    await store.open()
    try:
        for done, uid in enumerate(uids, start=1):
            tables = await tiny.everything(uid)
            report.added.update(await _import_athlete(store.db, tiny.path(uid), uid, tables))
            report.files.update({TABLES[name]: _rows(name, rows) for name, rows in tables.items()})
            if progress is not None and done % PROGRESS_EVERY == 0:
                print(f"imported {done:,} of {len(uids):,} athletes", file=progress, flush=True)
        for team in teams:
            report.files["teams"] += 1
            report.added["teams"] += await import_team(store.db, team, now)
        report.held = await counts(store.db, uids, [int(team["id"]) for team in teams])
    finally:
        await store.close()
    return report


def _read_all(tiny: TinyStore) -> tuple[list[int], list[Record]]:
    """Every athlete id and team of the data dir, after checking that every file is sound."""
    if not (tiny.athletes_dir.is_dir() or tiny.teams.folder.is_dir()):
        raise FileNotFoundError(
            errno.ENOENT, "no athletes/ or teams/ folder, not a TinyDB data dir", str(tiny.data_dir)
        )
    dirlock.hold(tiny.data_dir)  # a bot still running on the folder would keep changing it
    uids: list[int] = []
    if tiny.athletes_dir.is_dir():
        tiny.scan()  # CorruptDataError, worded as at start-up, before anything is written
        uids = sorted(tiny.athlete_ids())
    teams = tiny.teams.scan() if tiny.teams.folder.is_dir() else []
    return uids, teams


def _rows(name: str, rows: list[Record]) -> int:
    """How many database rows a TinyDB table makes (the profile table: one athlete)."""
    return min(len(rows), 1) if name == "profile" else len(rows)


async def _import_athlete(
    db: Database, path: Path, uid: int, tables: dict[str, list[Record]]
) -> dict[str, int]:
    """Import one athlete's tables, naming the file when its data or the database fails."""
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise CorruptDataError(path, f"unknown table {unknown[0]!r} would not be imported")
    try:
        return await import_athlete(db, uid, tables)
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptDataError(path, f"cannot be imported: {exc!r}") from None
    except StorageWriteError as exc:
        raise StorageWriteError(f"could not import {path}: {exc}") from exc


async def import_athlete(db: Database, uid: int, tables: dict[str, list[Record]]) -> dict[str, int]:
    """Add an athlete's tables (`everything`'s shape) in one transaction, in their order,
    keeping rows already stored; return how many rows each table gained."""
    profile = tables.get("profile", [])[:1]
    state = [(s["key"], s["value"]) for s in tables.get("state", [])]
    checkins = [
        (c["id"], c.get("created_at", ""), c.get("update_id"), c)
        for c in tables.get("checkins", [])
    ]
    reminders = [reminder_row(uid, record)[1:] for record in tables.get("reminders", [])]
    columns = (
        ("athletes", sql.IMPORT_PROFILE, [profile] if profile else []),
        ("conversation_state", sql.IMPORT_STATE, _columns(state)),
        ("checkins", sql.IMPORT_CHECKINS, _columns(checkins)),
        ("reminders", sql.IMPORT_REMINDERS, _columns(reminders)),
    )
    async with db.athlete(uid) as conn:
        return {
            table: _inserted(await conn.execute(query, uid, *args)) if args else 0
            for table, query, args in columns
        }


async def import_team(db: Database, team: TeamDoc, now: datetime) -> bool:
    """Add a team unless stored already (an active one due for a look-up at `now`)."""
    async with db.team(team["id"]) as conn:
        due = now if team.get("active") else None
        status = await conn.execute(sql.IMPORT_TEAM, team["id"], team, due)
    return _inserted(status) == 1


async def counts(db: Database, uids: list[int], team_ids: list[int]) -> dict[str, int]:
    """Rows per table held for exactly these athletes and teams (the import's check)."""
    async with db.conn() as conn:
        held = {table: await conn.fetchval(sql.held(table), uids) for table in sql.ATHLETE_TABLES}
        held["teams"] = await conn.fetchval(sql.TEAMS_HELD, team_ids)
    return held


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as column lists for unnest (no columns at all when there are no rows)."""
    return [list(column) for column in zip(*rows, strict=True)]


def _inserted(status: str) -> int:
    """How many rows an INSERT's status tag ("INSERT 0 n") says it added."""
    return int(status.rsplit(" ", 1)[-1])
