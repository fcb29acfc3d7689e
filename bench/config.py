"""Sizes of the full benchmark and of the few-seconds quick mode."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each measure runs."""

    concurrency: tuple[int, ...]
    checkin_rounds: dict[int, int]
    store_sizes: tuple[int, ...]
    store_athletes: int
    store_samples: int
    baseline_samples: dict[int, int]
    pending_reminders: int
    reminder_athletes: int
    due_together: int
    due_lead_s: float
    broadcast_athletes: int
    memory_athletes: int
    worker_reminders: int
    worker_due_lead_s: float
    worker_athletes: int
    worker_rounds: int
    write_athletes: int
    write_samples: int
    write_concurrency: int
    long_history: int
    chart_history: int
    startup_athletes: int


FULL = Sizes(
    concurrency=(10, 100, 1000),
    checkin_rounds={10: 10, 100: 3, 1000: 1},
    store_sizes=(100, 10_000, 100_000),
    store_athletes=10_000,
    store_samples=300,
    baseline_samples={100: 100, 10_000: 20, 100_000: 5},
    pending_reminders=50_000,
    reminder_athletes=10_000,
    due_together=1000,
    due_lead_s=6.0,
    broadcast_athletes=1000,
    memory_athletes=10_000,
    worker_reminders=2000,
    worker_due_lead_s=5.0,
    worker_athletes=100,
    worker_rounds=3,
    write_athletes=100,
    write_samples=500,
    write_concurrency=16,
    long_history=3000,
    chart_history=500,
    startup_athletes=100_000,
)

QUICK = Sizes(
    concurrency=(5, 20),
    checkin_rounds={5: 1, 20: 1},
    store_sizes=(50, 500),
    store_athletes=100,
    store_samples=20,
    baseline_samples={50: 10, 500: 5},
    pending_reminders=500,
    reminder_athletes=100,
    due_together=20,
    due_lead_s=3.0,
    broadcast_athletes=40,
    memory_athletes=200,
    worker_reminders=200,
    worker_due_lead_s=1.0,
    worker_athletes=10,
    worker_rounds=1,
    write_athletes=20,
    write_samples=40,
    write_concurrency=8,
    long_history=300,
    chart_history=50,
    startup_athletes=1000,
)
