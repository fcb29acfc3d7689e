"""The /history text: recent check-ins, training load, refuel hit rate, streaks, baseline flags."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from rules.baseline import BaselineFlag, Level, assess_all, readiness_total
from rules.load import CHRONIC_DAYS, LoadSummary, session_load, summarize_load
from rules.model import SESSION_LABELS, CheckIn, Kind
from rules.trends import hit_rate, refuel_streak, refuelled_in_time, week_streak

LIST_LAST = 8
LOAD_NOTE = (
    "Load = session effort (RPE) × minutes (Foster's session-RPE). These numbers go beyond the "
    "article: they are rough guides, the acute:chronic ratio in particular is debated and "
    "can't predict injury on its own.\n"
    "Sources: Foster et al. 2001, J Strength Cond Res (session RPE); Foster 1998, Med Sci "
    "Sports Exerc (monotony, strain); Gabbett 2016, Br J Sports Med, and Impellizzeri et al. "
    "2020, Int J Sports Physiol Perform (acute:chronic ratio); Thornton et al. 2019, Int J "
    "Sports Physiol Perform (z-scores against your own baseline)."
)
REFUEL_MARK = {True: "refuelled ✅", False: "refuel missed", None: ""}


def line(checkin: CheckIn, tz: tzinfo) -> str:
    """One compact line for a check-in, follow-up or readiness answer."""
    when = checkin.observed_at.astimezone(tz).strftime("%a %d %b %H:%M")
    if checkin.kind is Kind.READINESS:
        return f"• {when} · morning readiness {readiness_total(checkin)}/25"
    parts = [when]
    if checkin.kind is Kind.FOLLOWUP:
        parts.append("48 h follow-up")
    if checkin.session_type is not None:
        parts.append(f"{SESSION_LABELS[checkin.session_type]} {checkin.duration_min or '?'} min")
    load = session_load(checkin.rpe, checkin.duration_min)
    if load is not None:
        parts.append(f"RPE {checkin.rpe} → load {load:.0f}")
    if checkin.leg_heaviness is not None:
        parts.append(f"legs {checkin.leg_heaviness}/10")
    if checkin.red_signs:
        parts.append(f"⚠️ {checkin.signs}")
    if checkin.kind is Kind.CHECKIN and (mark := REFUEL_MARK[refuelled_in_time(checkin)]):
        parts.append(mark)
    return "• " + " · ".join(parts)


def _load(summary: LoadSummary) -> list[str]:
    """The training-load lines."""
    ratio = (
        f"{summary.acwr:.2f}"
        if summary.acwr is not None
        else f"not enough data yet (needs {CHRONIC_DAYS} days of records)"
    )
    mono = (
        f"{summary.monotony:.2f} · strain {summary.strain:.0f}"
        if summary.monotony is not None and summary.strain is not None
        else "n/a (needs days with different loads this week)"
    )
    return [
        "Training load (beyond the article):",
        f"• last 7 days: {summary.weekly:.0f} AU",
        f"• acute:chronic ratio (7 / 28 days): {ratio}",
        f"• monotony: {mono}",
    ]


def _baseline(flags: Sequence[BaselineFlag]) -> list[str]:
    """One line per metric against the athlete's own last 28 days."""
    lines = [
        "Against your own last 28 days, beyond the article (|z| ≥ 1 watch, ≥ 2 flag; acted on "
        "at 2 of 3 days):"
    ]
    for flag in flags:
        if flag.z is None:
            state = "not enough data yet (needs 7 days of answers)"
        else:
            state = f"z = {flag.z:+.1f} today"
            if flag.persistent > Level.NORMAL:
                state += f", {flag.persistent.name.lower()} on 2 of the last 3 days"
        lines.append(f"• {flag.metric.label}: {state}")
    return lines


def render_history(checkins: Sequence[CheckIn], tz: tzinfo, today: date) -> str:
    """The whole /history message."""
    recent = [line(c, tz) for c in checkins[-LIST_LAST:]]
    rate = hit_rate(checkins)
    refuel = (
        f"Refuel: {rate.render()} ({refuel_streak(checkins)} in a row)."
        if rate.counted
        else "Refuel: no sessions checked in while the refuel window was still open yet."
    )
    weeks = week_streak(checkins, tz, today)
    blocks = [
        "Your last check-ins:\n" + "\n".join(recent),
        "\n".join(_load(summarize_load(checkins, tz, today))),
        f"{refuel}\nStreak: {weeks} week{'s' if weeks != 1 else ''} in a row with a check-in.",
        "\n".join(_baseline(assess_all(checkins, tz, today))),
        LOAD_NOTE,
    ]
    return "\n\n".join(blocks)
