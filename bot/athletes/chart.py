"""The /history chart: leg heaviness and session load per day, as PNG bytes (matplotlib, Agg)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from rules.trends import Day

SIZE_INCHES = (8.0, 4.5)
DPI = 100


CACHED_CHARTS = 128  # a few MB of PNGs: repeated /history calls cost a dictionary look-up


@lru_cache(maxsize=CACHED_CHARTS)
def cached_chart(days: tuple[Day, ...]) -> bytes:
    """The chart for `days`, drawn once per distinct content (about 0.3 s of CPU otherwise)."""
    return render_chart(days)


def render_chart(days: Sequence[Day]) -> bytes:
    """Bars for daily session load, a line for leg heaviness, markers for flags; PNG bytes.

    Uses a bare Figure with the Agg canvas (no pyplot global state), so it is safe to call from
    a worker thread.
    """
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    loads_ax = figure.add_subplot()
    legs_ax = loads_ax.twinx()
    dates = [d.day for d in days]
    loads_ax.bar(dates, [d.load for d in days], color="#9ecae1", label="session load (RPE×min)")
    loads_ax.set_ylabel("session load (AU)")
    loads_ax.set_ylim(bottom=0, top=max([d.load for d in days] + [100]) * 1.15)
    heavy = [(d.day, d.heaviness) for d in days if d.heaviness is not None]
    legs_ax.plot(
        [x for x, _ in heavy], [y for _, y in heavy], "o-", color="#d94801", label="leg heaviness"
    )
    _markers(legs_ax, [d.day for d in days if d.red_flag], 10.4, "X", "#a50f15", "red flag")
    _markers(
        legs_ax, [d.day for d in days if d.missed_refuel], 9.6, "v", "#6a51a3", "refuel missed"
    )
    legs_ax.set_ylim(0, 11)
    legs_ax.set_ylabel("leg heaviness (0–10)")
    loads_ax.set_title(f"Last {len(days)} days")
    loads_ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    loads_ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    handles = [*loads_ax.get_legend_handles_labels()[0], *legs_ax.get_legend_handles_labels()[0]]
    figure.legend(handles=handles, loc="lower center", fontsize=8, ncols=len(handles))
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _markers(
    axes: Axes, days: list[date], height: float, marker: str, color: str, label: str
) -> None:
    """Scatter markers at a fixed height above the heaviness line (nothing when no days)."""
    if days:
        axes.scatter(days, [height] * len(days), marker=marker, color=color, s=60, label=label)
