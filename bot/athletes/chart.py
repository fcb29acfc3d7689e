"""The /history chart: leg heaviness and session load per day, drawn with matplotlib (Agg) and
sent by Telegram's file_id once the same picture has been uploaded."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from datetime import date
from functools import cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, DayLocator
from matplotlib.figure import Figure
from telegram import Chat, InputFile
from telegram.error import BadRequest

from rules.trends import Day

SIZE_INCHES = (8.0, 4.5)
DPI = 100
MAX_DATE_LABELS = 8  # whole days only, about a week apart at six weeks
# room for the rotated dates and the legend below, the two axis labels at the sides
MARGINS = {"left": 0.09, "right": 0.91, "top": 0.92, "bottom": 0.22}
SENT_CHARTS = 4096  # file_ids of pictures already uploaded (a few hundred KB)


class Charts:
    """Sends /history charts; remembers the file_id of each picture uploaded by this bot."""

    def __init__(self, size: int = SENT_CHARTS) -> None:
        """Nothing sent yet."""
        self._size = size
        self._sent: OrderedDict[tuple[Day, ...], str] = OrderedDict()  # event loop only
        self._warming: asyncio.Future[None] | None = None

    def warm_up(self) -> None:
        """Start drawing a sample chart in a worker thread (once per process), so that the first
        /history does not pay matplotlib's one-off set-up (fonts and caches: ~0.6 s)."""
        self._warming = asyncio.ensure_future(asyncio.to_thread(_warmed_up))

    async def send(self, chat: Chat, days: tuple[Day, ...], caption: str) -> None:
        """Send the chart of `days`: by file_id when the same picture was uploaded before (no
        drawing, no upload), else drawn in a worker thread (~0.15 s of CPU) and uploaded."""
        file_id = self._sent.get(days)
        if file_id is not None:
            self._sent.move_to_end(days)
            with suppress(BadRequest):  # a file_id Telegram no longer knows: upload it again
                await chat.send_photo(file_id, caption=caption)
                return
        png = await asyncio.to_thread(render_chart, days)
        sent = await chat.send_photo(InputFile(png, filename="history.png"), caption=caption)
        if sent.photo:
            self._sent[days] = sent.photo[-1].file_id
            if len(self._sent) > self._size:
                self._sent.popitem(last=False)


@cache
def _warmed_up() -> None:
    """Render one small chart (the first render of a process is the slow one)."""
    today = date(2026, 1, 1)
    render_chart([Day(today, 3, 300.0, red_flag=True, missed_refuel=True)])


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
    loads_ax.xaxis.set_major_locator(DayLocator(interval=max(1, len(days) // MAX_DATE_LABELS)))
    loads_ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    handles = [*loads_ax.get_legend_handles_labels()[0], *legs_ax.get_legend_handles_labels()[0]]
    figure.legend(handles=handles, loc="lower center", fontsize=8, ncols=len(handles))
    figure.subplots_adjust(**MARGINS)  # fixed: tight_layout drew the figure twice (~40% of it)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _markers(
    axes: Axes, days: list[date], height: float, marker: str, color: str, label: str
) -> None:
    """Scatter markers at a fixed height above the heaviness line (nothing when no days)."""
    if days:
        axes.scatter(days, [height] * len(days), marker=marker, color=color, s=60, label=label)
