"""The /history text: plain sentences and recent check-ins first; the numbers (training load,
baseline z-scores) with their definitions behind a button."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from rules.baseline import BaselineFlag, Level, assess_all, readiness_total
from rules.load import CHRONIC_DAYS, LoadSummary, sessions, summarize_load
from rules.model import SESSION_LABELS, CheckIn, Kind
from rules.scales import HEAVY, LEG_HEAVINESS
from rules.trends import (
    direction,
    heaviness_weeks,
    hit_rate,
    refuel_streak,
    refuelled_in_time,
    week_streak,
)

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
REFUEL_MARK = {True: "refuelled ✅", False: "refuel missed", None: ""}  # None: not known (yet)


def line(checkin: CheckIn, tz: tzinfo, now: datetime) -> str:
    """One compact line for a check-in, follow-up or readiness answer."""
    when = checkin.observed_at.astimezone(tz).strftime("%a %d %b %H:%M")
    if checkin.kind is Kind.READINESS:
        return f"• {when} · morning readiness {readiness_total(checkin)}/25"
    parts = [when]
    if checkin.kind is Kind.FOLLOWUP:
        parts.append("48 h follow-up")
    if checkin.session_type is not None:
        parts.append(f"{SESSION_LABELS[checkin.session_type]} {checkin.duration_min or '?'} min")
    if checkin.rpe is not None:
        parts.append(f"effort {checkin.rpe}/10")
    if checkin.leg_heaviness is not None:
        band = LEG_HEAVINESS.band(checkin.leg_heaviness).label
        parts.append(f"legs {checkin.leg_heaviness}/10 ({band})")
    if checkin.red_signs:
        parts.append(f"⚠️ {checkin.signs}")
    if checkin.kind is Kind.CHECKIN and (mark := REFUEL_MARK[refuelled_in_time(checkin, now)]):
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


def _count(items: Sequence[object], noun: str) -> str:
    """'1 session', '3 sessions'."""
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _summary(checkins: Sequence[CheckIn], tz: tzinfo, today: date, now: datetime) -> list[str]:
    """The plain-language sentences: legs, trend, refuel, streak, and what stands out."""
    done = sessions(checkins)
    first = min(c.observed_at for c in checkins).astimezone(tz)
    heavy = [c for c in done if LEG_HEAVINESS.at_least(c.leg_heaviness, HEAVY)]
    lines = [f"📖 Your recovery so far: {_count(checkins, 'check-in')} since {first:%a %d %b}."]
    if done and not heavy:
        lines.append(f"• Your legs haven't felt heavy after any of your {_count(done, 'session')}.")
    elif done:
        lines.append(f"• Legs felt heavy after {len(heavy)} of your {_count(done, 'session')}.")
    recent, before = heaviness_weeks(checkins, now)
    if recent is not None and before is not None:
        way = {1: "heavier than", -1: "lighter than", 0: "about the same as"}
        lines.append(
            f"• This week your legs feel {way[direction(recent, before)]} the week before "
            f"({recent:.1f} vs {before:.1f} out of 10)."
        )
    rate = hit_rate(checkins, now)
    if rate.counted:
        lines.append(f"• Refuel: {rate.render()} ({refuel_streak(checkins, now)} in a row).")
    weeks = week_streak(checkins, tz, today)
    if weeks > 1:
        lines.append(f"• {weeks} weeks in a row with a check-in: keep it up.")
    for flag in assess_all(checkins, tz, today):
        if flag.persistent > Level.NORMAL:
            way = "above" if flag.metric.higher_is_worse else "below"
            lines.append(
                f"• Your {flag.metric.label} was {way} your usual on 2 of the last 3 days: "
                "take it easier."
            )
    return lines


def render_history(checkins: Sequence[CheckIn], tz: tzinfo, today: date, now: datetime) -> str:
    """The /history message: plain sentences first, then the latest check-ins in time order."""
    ordered = sorted(checkins, key=lambda c: c.observed_at)
    recent = [line(c, tz, now) for c in ordered[-LIST_LAST:]]
    return "\n".join(_summary(ordered, tz, today, now)) + "\n\nLatest:\n" + "\n".join(recent)


def render_numbers(checkins: Sequence[CheckIn], tz: tzinfo, today: date) -> str:
    """The numbers behind /history, with their definitions and sources (beyond the article)."""
    blocks = [
        "\n".join(_load(summarize_load(checkins, tz, today))),
        "\n".join(_baseline(assess_all(checkins, tz, today))),
        LOAD_NOTE,
    ]
    return "\n\n".join(blocks)
