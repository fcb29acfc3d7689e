"""Every answer scale defined once: its values, the words of each band, and the rules' cut-offs.

The questions render their legends from these bands and the rules read the same bands, so the
label an athlete taps and the way the advice reads that value can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Band:
    """A contiguous run of scale values sharing one label."""

    low: int
    high: int
    label: str

    def legend(self) -> str:
        """'5–7 heavy' (or '3 okay' for a one-value band)."""
        span = str(self.low) if self.low == self.high else f"{self.low}–{self.high}"
        return f"{span} {self.label}"


@dataclass(frozen=True, slots=True)
class Scale:
    """A whole-number scale from `low` to `high`, split into labelled bands (lowest first)."""

    key: str
    low: int
    high: int
    bands: tuple[Band, ...]

    def __post_init__(self) -> None:
        """The bands must cover every value exactly once, in order."""
        expected = self.low
        for band in self.bands:
            if band.low != expected or band.high < band.low:
                raise ValueError(f"{self.key}: bands must tie up from {self.low} to {self.high}")
            expected = band.high + 1
        if expected != self.high + 1:
            raise ValueError(f"{self.key}: bands must end at {self.high}")

    @property
    def values(self) -> range:
        """Every value of the scale."""
        return range(self.low, self.high + 1)

    def band(self, value: int) -> Band:
        """The band holding `value` (ValueError outside the scale)."""
        for band in self.bands:
            if band.low <= value <= band.high:
                return band
        raise ValueError(f"{value} is outside {self.key} {self.low}–{self.high}")

    def lowest(self, label: str) -> int:
        """The first value of the band called `label`: the rules' cut-off for it."""
        return next(band.low for band in self.bands if band.label == label)

    def legend(self) -> str:
        """'0–2 fresh · 3–4 a little heavy · 5–7 heavy · 8–10 very heavy'."""
        return " · ".join(band.legend() for band in self.bands)

    def within(self, value: int | None, label: str) -> bool:
        """Whether an answer lies in the band called `label`; False when unanswered or off-scale."""
        return (
            value is not None and self.low <= value <= self.high and self.band(value).label == label
        )

    def at_least(self, value: int | None, label: str) -> bool:
        """Whether an answer reaches the band called `label`; False when unanswered."""
        return value is not None and value >= self.lowest(label)


LEG_HEAVINESS = Scale(
    "leg_heaviness",
    0,
    10,
    (
        Band(0, 2, "fresh"),
        Band(3, 4, "a little heavy"),
        Band(5, 7, "heavy"),
        Band(8, 10, "very heavy"),
    ),
)
# Session RPE on Borg's CR-10 as Foster et al. (2001) use it: 3 "moderate", 5 "hard",
# 7 "very hard", 10 "maximal".
EFFORT = Scale(
    "rpe",
    0,
    10,
    (
        Band(0, 2, "easy"),
        Band(3, 4, "moderate"),
        Band(5, 6, "hard"),
        Band(7, 9, "very hard"),
        Band(10, 10, "maximal"),
    ),
)
MOTIVATION = Scale("motivation", 1, 5, (Band(1, 2, "low"), Band(3, 3, "okay"), Band(4, 5, "high")))

SCALES: dict[str, Scale] = {scale.key: scale for scale in (LEG_HEAVINESS, EFFORT, MOTIVATION)}

HEAVY = "heavy"  # leg heaviness the rules count as heavy (persistence, follow-up)
HARD = "hard"  # session effort the rules count as hard
VERY_HARD = "very hard"
MODERATE = "moderate"
LOW = "low"  # motivation
