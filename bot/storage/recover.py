"""Hand-edited or damaged data files: shape checks at start-up and restoring the last good copy."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.storage.atomic import CorruptDataError, atomic_write, backup_path, read_json
from rules.reminders import ReminderStatus

TIMES = ("due_at", "expires_at")


def check_shape(path: Path, data: dict[str, Any]) -> None:
    """Raise CorruptDataError unless every table is an object of records and pending reminders
    carry an id and tz-aware due/expiry times (what start-up relies on)."""
    for name, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(r, dict) for r in table.values()):
            raise CorruptDataError(path, f"table {name!r} is not an object of records")
    for record in data.get("reminders", {}).values():
        if record.get("status") != ReminderStatus.PENDING:
            continue
        for key in TIMES:
            try:
                aware = datetime.fromisoformat(str(record.get(key))).tzinfo is not None
            except ValueError:
                aware = False
            if not aware or "id" not in record:
                raise CorruptDataError(path, f"reminder {record.get('id')!r} has a bad {key}")


def read_checked(path: Path) -> dict[str, Any]:
    """A data file parsed and shape-checked ({} if it does not exist; CorruptDataError names
    a broken one)."""
    data = read_json(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CorruptDataError(path, "top level is not an object")
    check_shape(path, data)
    return data


def recovery_hint(path: Path) -> str:
    """What the operator can do about a corrupt `path`, as the tail of one error line."""
    if backup_path(path).exists():
        return (
            f"; its previous version is in {backup_path(path).name}: "
            f"`python -m bot restore {path}` puts it back and keeps the broken file aside"
        )
    return "; no previous version exists: fix it by hand or move it aside (that athlete restarts)"


def restore(path: Path, now: datetime) -> Path:
    """Replace `path` with its `.bak` copy (which must parse); return where the old file went."""
    backup = backup_path(path)
    data = read_json(backup)
    if data is None:
        raise FileNotFoundError(2, "no previous version to restore", str(backup))
    if not isinstance(data, dict):
        raise CorruptDataError(backup, "top level is not an object")
    check_shape(backup, data)
    aside = path.with_name(f"{path.name}.corrupt-{now:%Y%m%dT%H%M%S}")
    if path.exists():
        os.replace(path, aside)
    atomic_write(path, backup.read_bytes())
    return aside
