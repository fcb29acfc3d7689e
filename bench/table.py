"""Benchmark results as rows of one table: measure, baseline, result, ratio, target, verdict."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

COMPARE: dict[str, Callable[[float, float], bool]] = {"≥": operator.ge, "≤": operator.le}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True, slots=True)
class Target:
    """A goal: `on` ("result" or "ratio") compared with `op` ("≥"/"≤") to `value`."""

    op: str
    value: float
    on: str = "result"

    def met(self, row: Row) -> bool:
        """Whether the row meets the goal."""
        actual = row.ratio if self.on == "ratio" else row.result
        return actual is not None and COMPARE[self.op](actual, self.value)

    def __str__(self) -> str:
        """E.g. "≥ 0.6×" or "≤ 3 s"."""
        return f"{self.op} {self.value:g}" + ("×" if self.on == "ratio" else "")


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure against its baseline."""

    measure: str
    unit: str
    result: float
    baseline: float | None = None
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        """result / baseline, when there is a baseline."""
        if self.baseline is None or not self.baseline:
            return None
        return self.result / self.baseline

    @property
    def verdict(self) -> str:
        """ok / MISS against the target, "info" without one."""
        if self.target is None:
            return "info"
        return "ok" if self.target.met(self) else "MISS"


def _num(value: float | None) -> str:
    """A figure with sensible precision."""
    if value is None:
        return "–"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def render(rows: list[Row]) -> str:
    """A Markdown table of the rows."""
    lines = [
        "| measure | baseline | result | ratio | target | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        target = "–" if row.target is None else str(row.target)
        unit = f" {row.unit}" if row.unit else ""
        lines.append(
            f"| {row.measure} | {_num(row.baseline)}{unit if row.baseline is not None else ''} "
            f"| {_num(row.result)}{unit} | {ratio} | {target} | {row.verdict} |"
        )
    return "\n".join(lines)
