"""Fast seeding of a data folder in the Store's on-disk layout (one TinyDB file per athlete),
or of any store through its API."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.athletes.reminder_records import record_for
from bot.storage import Store
from bot.storage.athlete_file import CHECKINS, PROFILE, PROFILE_ID, REMINDERS
from bot.storage.base import Record
from rules.model import CheckIn, SessionType
from rules.reminders import ReminderKind, ReminderPlan, ReminderStatus

FAR = timedelta(days=30)
# A placeholder id no other field of a seeded file contains (update ids are uid * 1000 + n).
TEMPLATE_UID = 987_654_321
SEED_THREADS = 8


def profile(now: datetime) -> dict[str, Any]:
    """The profile an onboarded athlete has."""
    stamp = now.isoformat()
    return {
        "consent": True,
        "consent_at": stamp,
        "tz": "Europe/Berlin",
        "bedtime": "22:30",
        "active": True,
        "created_at": stamp,
    }


def checkin(uid: int, n: int, now: datetime) -> dict[str, Any]:
    """A realistic stored check-in record."""
    finished = now - timedelta(days=n % 3650, hours=1)
    return CheckIn(
        created_at=finished + timedelta(minutes=20),
        leg_heaviness=random.randint(0, 10),
        finished_at=finished,
        session_type=random.choice(list(SessionType)),
        duration_min=random.choice([30, 45, 60, 90]),
        rpe=random.randint(1, 10),
        motivation=random.randint(1, 5),
        breathing_elevated=random.random() < 0.3,
        joint_pain=False,
        muscle_twitching=False,
        sleep_hours=7.0,
        id=f"c{uid}x{n}",
        update_id=uid * 1000 + n,
    ).to_record()


def reminder(uid: int, n: int, due: datetime, checkin_n: int = 0) -> dict[str, Any]:
    """A pending reminder record due at `due` (useful for a day after) for a check-in."""
    plan = ReminderPlan(
        ReminderKind.BEDTIME, due, due + timedelta(days=1), "Wind down: bed in 30 minutes."
    )
    return record_for(plan, uid, f"c{uid}x{checkin_n}", f"r{uid}x{n}")


def sent_reminders(uid: int, checkins: int, per_checkin: int, now: datetime) -> list[Record]:
    """The sent reminders a history of `checkins` check-ins leaves behind, `per_checkin` each."""
    return [
        {
            **reminder(uid, n, now - timedelta(days=n % 3650), n // per_checkin),
            "status": ReminderStatus.SENT,
        }
        for n in range(checkins * per_checkin)
    ]


def athlete_doc(
    uid: int,
    checkins: int,
    reminders: Iterable[datetime],
    now: datetime,
    sent_per_checkin: int = 0,
) -> dict[str, Any]:
    """One athlete's whole file content: profile, check-ins, sent and pending reminders."""
    sent = sent_reminders(uid, checkins, sent_per_checkin, now)
    pending = [reminder(uid, len(sent) + i, due) for i, due in enumerate(reminders)]
    return {
        PROFILE: {str(PROFILE_ID): profile(now)},
        CHECKINS: {str(i + 1): checkin(uid, i, now) for i in range(checkins)},
        REMINDERS: {str(i + 1): record for i, record in enumerate([*sent, *pending])},
    }


def seed_athletes(
    data_dir: Path,
    uids: Iterable[int],
    *,
    checkins: int = 1,
    reminders: int = 0,
    due_soon: dict[int, datetime] | None = None,
    now: datetime | None = None,
    sent_per_checkin: int = 0,
) -> int:
    """Write athlete files (no fsync: this is set-up, not the measured path); returns the count.

    Each athlete gets `reminders` pending reminders due in a month, except that athletes in
    `due_soon` have their first one due at the given time instead, and `sent_per_checkin`
    sent reminders for each check-in. Linear in the history (one write per athlete).
    """
    now = now or datetime.now(UTC)
    folder = data_dir / "athletes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    due_soon = due_soon or {}
    count = 0
    for uid in uids:
        dues = [now + FAR + timedelta(minutes=i) for i in range(reminders)]
        if uid in due_soon and dues:
            dues[0] = due_soon[uid]
        doc = athlete_doc(uid, checkins, dues, now, sent_per_checkin)
        (folder / f"{uid}.json").write_text(json.dumps(doc, separators=(",", ":")))
        count += 1
    return count


def seed_alike(data_dir: Path, uids: Iterable[int], *, checkins: int, reminders: int) -> int:
    """Athletes with the same history, fast: one JSON template with each uid swapped in."""
    folder = data_dir / "athletes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    dues = [now + FAR + timedelta(minutes=i) for i in range(reminders)]
    template = json.dumps(athlete_doc(TEMPLATE_UID, checkins, dues, now), separators=(",", ":"))

    def write(uid: int) -> None:
        """One athlete's file."""
        (folder / f"{uid}.json").write_text(template.replace(str(TEMPLATE_UID), str(uid)))

    with ThreadPoolExecutor(SEED_THREADS) as pool:  # file creation waits on the disk, not the GIL
        return len(list(pool.map(write, uids, chunksize=256)))


async def seed_store(
    store: Store, uids: Iterable[int], due: Mapping[int, datetime] | None = None
) -> None:
    """Onboarded athletes written through the Store API, concurrently (any backend); each
    athlete in `due` also gets one pending reminder due at the given time."""
    now = datetime.now(UTC)
    due = due or {}

    async def one(uid: int) -> None:
        """One athlete's profile and reminder."""
        await store.update_profile(uid, profile(now))
        if uid in due:
            await store.add_reminders(uid, [reminder(uid, 0, due[uid])])

    await asyncio.gather(*(one(uid) for uid in uids))
