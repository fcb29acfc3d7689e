"""Team summaries for a group chat, designed as a privacy mechanism (docs/privacy.md):

- one fixed summary per session, from the check-ins of members who had joined before the session
  began, answered within the session's window (its end until the summary is published); it is
  published once and /report shows that same text, so repeating or differencing reveals nothing;
- participation is shown exactly only from MIN_FOR_DETAILS check-ins on ("fewer than 3" below);
- a distribution is shown only when every band it shows holds at least MIN_FOR_DETAILS answers
  and no band holds all of them: no one's band can be read off a small or uniform cell, not even
  by puppet accounts who know their own answers;
- red flags never appear in the group (coaches are alerted privately).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.model import CheckIn, Kind
from rules.scales import EFFORT, HARD, HEAVY, LEG_HEAVINESS, Scale

MIN_FOR_DETAILS = 3  # k: the smallest number of answers any shown figure may rest on
WITHHELD = "not shown (too few or too alike to keep answers private)"


@dataclass(frozen=True, slots=True)
class Split:
    """A scale split in two at one of its bands: coarse enough for small teams."""

    scale: Scale
    at: str
    title: str

    def labels(self) -> tuple[str, str]:
        """('0–4', '5–10') for the values below and from the split."""
        cut = self.scale.lowest(self.at)
        return f"{self.scale.low}–{cut - 1}", f"{cut}–{self.scale.high}"

    def counts(self, values: Sequence[int | None]) -> tuple[int, int]:
        """How many answered values fall below and from the split."""
        answered = [v for v in values if v is not None]
        high = sum(1 for v in answered if self.scale.at_least(v, self.at))
        return len(answered) - high, high


HEAVINESS_SPLIT = Split(LEG_HEAVINESS, HEAVY, "Leg heaviness")
EFFORT_SPLIT = Split(EFFORT, HARD, "Session effort (RPE)")


def shareable(counts: Sequence[int]) -> bool:
    """Every non-empty cell holds at least k answers, and not all answers sit in one cell."""
    filled = [n for n in counts if n]
    return len(filled) > 1 and all(n >= MIN_FOR_DETAILS for n in filled)


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """Aggregates of one session: who checked in, and coarse heaviness and effort bands."""

    members: int
    checked_in: int
    heaviness: tuple[int, int]
    effort: tuple[int, int]

    def render(self, title: str, when: str) -> str:
        """The group message: only figures that cannot single anyone out."""
        enough = self.checked_in >= MIN_FOR_DETAILS
        participation = (
            f"{self.checked_in} of {self.members}"
            if enough
            else f"fewer than {MIN_FOR_DETAILS} of {self.members}"
        )
        lines = [f"📊 {title}: session of {when}", f"Checked in: {participation}"]
        for split, counts in ((HEAVINESS_SPLIT, self.heaviness), (EFFORT_SPLIT, self.effort)):
            low, high = split.labels()
            shown = f"{low}: {counts[0]} · {high}: {counts[1]}" if shareable(counts) else WITHHELD
            lines.append(f"{split.title}: {shown}")
        lines.append("Individual answers stay private; coaches are alerted privately to red flags.")
        return "\n".join(lines)


def summarise(members: int, checkins: Sequence[CheckIn]) -> TeamSummary:
    """Aggregate one check-in per athlete (the caller picks each athlete's, within the window)."""
    return TeamSummary(
        members=members,
        checked_in=len(checkins),
        heaviness=HEAVINESS_SPLIT.counts([c.leg_heaviness for c in checkins]),
        effort=EFFORT_SPLIT.counts([c.rpe for c in checkins]),
    )


def session_checkin(
    history: Sequence[CheckIn], start: datetime, until: datetime | None = None
) -> CheckIn | None:
    """The athlete's latest check-in for a session that began at `start` (finished after it),
    answered by `until` when given (the summary's window)."""
    found = [
        c
        for c in history
        if c.kind is Kind.CHECKIN
        and c.observed_at >= start
        and (until is None or c.created_at <= until)
    ]
    return max(found, key=lambda c: c.created_at, default=None)
