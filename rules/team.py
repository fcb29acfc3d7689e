"""Team summaries for a group chat: counts and distributions only, never one athlete's answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.model import CheckIn, Kind

# Below this many check-ins a distribution (or a red-flag count) could single someone out.
MIN_FOR_DETAILS = 3
BANDS: tuple[tuple[int, int, str], ...] = ((0, 3, "0–3"), (4, 6, "4–6"), (7, 10, "7–10"))


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """Aggregates of one session: who checked in, banded heaviness and RPE, red flags."""

    members: int
    checked_in: int
    heaviness: tuple[int, ...]
    rpe: tuple[int, ...]
    red_flags: int

    def render(self, title: str, when: str) -> str:
        """The group message; details only once enough athletes have checked in."""
        lines = [
            f"📊 {title}: session of {when}",
            f"Checked in: {self.checked_in} of {self.members}",
        ]
        if self.checked_in < MIN_FOR_DETAILS:
            lines.append(
                f"Details appear once at least {MIN_FOR_DETAILS} athletes have checked in, "
                "so nobody's answers can be singled out."
            )
        else:
            lines += [
                f"Leg heaviness (0–10): {_bands(self.heaviness)}",
                f"Session effort, RPE (0–10): {_bands(self.rpe)}",
                f"🚩 48 h red flags: {self.red_flags}"
                + (" (coaches were alerted privately)" if self.red_flags else ""),
            ]
        lines.append("Individual answers stay private; tap the join link to check in.")
        return "\n".join(lines)


def _bands(counts: tuple[int, ...]) -> str:
    """'0–3: 4 · 4–6: 2 · 7–10: 1'."""
    return " · ".join(f"{label}: {n}" for (_, _, label), n in zip(BANDS, counts, strict=True))


def _banded(values: Sequence[int | None]) -> tuple[int, ...]:
    """How many answered values fall in each band."""
    return tuple(
        sum(1 for v in values if v is not None and low <= v <= high) for low, high, _ in BANDS
    )


def summarise(members: int, checkins: Sequence[CheckIn], red_flags: int) -> TeamSummary:
    """Aggregate one check-in per athlete (the caller picks each athlete's latest)."""
    return TeamSummary(
        members=members,
        checked_in=len(checkins),
        heaviness=_banded([c.leg_heaviness for c in checkins]),
        rpe=_banded([c.rpe for c in checkins]),
        red_flags=red_flags,
    )


def session_checkin(history: Sequence[CheckIn], start: datetime) -> CheckIn | None:
    """The athlete's latest check-in for a session that began at `start` (finished after it)."""
    found = [c for c in history if c.kind is Kind.CHECKIN and c.observed_at >= start]
    return max(found, key=lambda c: c.created_at, default=None)


def red_flag_raised(history: Sequence[CheckIn], since: datetime) -> bool:
    """Whether a check-in or follow-up stored since `since` raised the 48 h red flag."""
    return any(c.extra.get("red_flag") and c.created_at >= since for c in history)
