"""Crash-test child: write check-ins through the real Store forever, printing each acked id.

The store is loaded as at start-up and snapshots its due index after a first round (as a clean
stop would), so the writes the kill interrupts come after a snapshot they make stale."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.storage import Store, TinyStore
from bot.storage.base import ReminderFilter

ATHLETES = (11, 22, 33, -44)
FIRST_ROUND = 2  # check-ins per athlete before the snapshot


async def athlete_loop(store: Store, uid: int, rounds: int | None = None, start: int = 0) -> int:
    """Save check-ins (with reminders and state) for `uid`; print each id once it is durable."""
    n = start
    while rounds is None or n < start + rounds:
        n += 1
        cid = f"{uid}:{n}"
        await store.set_state(uid, "checkin", {"draft": cid, "answers": {"q1": n % 5}})
        record = {
            "id": cid,
            "update_id": uid * 1_000_000 + n,
            "created_at": f"{n:09d}",
            "answers": {"q1": n % 5, "note": "x" * (n % 200)},
        }
        reminders = [
            {
                "id": f"{cid}:r{k}",
                "status": "pending",
                "due": n + k,
                "due_at": "2030-01-01T00:00:00+00:00",
                "expires_at": "2030-01-01T01:00:00+00:00",
            }
            for k in range(2)
        ]
        if await store.save_checkin(uid, record, reminders, clear_state="checkin"):
            sys.stdout.write(cid + "\n")
            sys.stdout.flush()
        if n % 7 == 0:
            old = frozenset(r["id"] for r in await store.reminders(uid) if r["due"] < n - 10)
            await store.update_reminders(uid, (ReminderFilter(ids=old),), {"status": "sent"})
    return n


async def main(data_dir: Path) -> None:
    """Run one writer per athlete concurrently until killed."""
    store = TinyStore(data_dir)
    store.load()
    done = await asyncio.gather(*(athlete_loop(store, uid, FIRST_ROUND) for uid in ATHLETES))
    await store.close()  # the due index's snapshot, as at a clean stop; then keep writing
    await asyncio.gather(
        *(athlete_loop(store, uid, start=n) for uid, n in zip(ATHLETES, done, strict=True))
    )


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
