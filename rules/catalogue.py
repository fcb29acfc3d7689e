"""The guidance rules as data: each a role, a condition, a plain-words message and its sources.

Roles: a CAUTION point (persistence, pain, breathing that has not settled) is never dropped and
switches off every EXPLAIN point, whose reassurance ("that's normal") must not sit beside it.
ACTION points say what to do; ADVICE points are beyond-the-article training hints. Mechanisms
(glycogen, the neural brake, dopamine, growth hormone) stay in the cited sentences behind Why?.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from rules.baseline import BaselineFlag, Level
from rules.facts import PERSISTENT, Facts, local_hhmm
from rules.scales import EFFORT, HEAVY

LATE_NIGHT_WINDOW = timedelta(hours=10)  # after bedtime, "tonight" becomes "soon" ...
NIGHT_ENDS = time(5, 0)  # ... until early morning
EVENING_FROM = 17  # local hour from which "today" becomes "tomorrow" for training advice
BREATHING_SOFT_UNTIL = timedelta(hours=3)
SLEEP_WHY = "deep sleep is when your body repairs your legs"


class Role(StrEnum):
    """What a point does in the reply."""

    CAUTION = "caution"
    ACTION = "action"
    ADVICE = "advice"
    EXPLAIN = "explain"


@dataclass(frozen=True)
class Note:
    """A beyond-the-article addition to a point (e.g. a referral), with its citation."""

    condition: Callable[[Facts], bool]
    message: Callable[[Facts], str]
    source: str


@dataclass(frozen=True)
class Rule:
    """One point; higher `priority` comes first; `sources` key into rules/article.py.

    A rule whose `beyond_article` is set rests on an external source (its `sources`), not on
    the article, and says so in the reply.
    """

    id: str
    priority: int
    role: Role
    condition: Callable[[Facts], bool]
    message: Callable[[Facts], str]
    sources: tuple[str, ...]
    beyond_article: bool = False
    pinned: bool = False
    notes: tuple[Note, ...] = ()
    cite: Callable[[Facts], tuple[str, ...]] | None = None

    def cited(self, f: Facts) -> tuple[str, ...]:
        """The sources behind the message as rendered for `f` (all of them by default)."""
        return self.cite(f) if self.cite else self.sources


def days(duration: timedelta) -> str:
    """How long something has lasted, in whole days: '2+ days', '35+ days'."""
    return f"{duration // timedelta(days=1)}+ days"


def clock(moment: time) -> str:
    """A clock time as athletes say it ('midnight' rather than 00:00)."""
    return "midnight" if moment == time(0) else f"{moment:%H:%M}"


def _day(f: Facts) -> str:
    """'today', or 'tomorrow' once it is evening where the athlete is."""
    return "tomorrow" if f.now.astimezone(f.tz).hour >= EVENING_FROM else "today"


def _red_flag(f: Facts) -> str:
    """Observed heaviness beyond 48 h after one session, with joint pain or twitching."""
    return (
        f"Skip hard training {_day(f)}: your legs have stayed heavy for "
        f"{days(f.episode_for)}, with {f.checkin.signs}. "
        "Recovery may be compromised, not just delayed."
    )


def _persistent(f: Facts) -> str:
    """Heavy at every check-in for 48 h or more (without the red flag)."""
    how = "stayed heavy" if f.episode_for >= PERSISTENT else "felt heavy at every check-in"
    watch = "" if f.red_signs else " Check in if joint pain or sharp twitching starts or returns."
    return f"Keep training easy {_day(f)}: your legs have {how} for {days(f.heavy_for)}.{watch}"


def _see_someone_now(f: Facts) -> str:
    """The referral once heaviness has lasted longer than recovery from overreaching."""
    what = f"Heavy legs for {days(f.heavy_for)}" if f.red_flag else "That"
    return f"{what} is more than normal recovery: see a sports doctor or physio."


def _see_someone(f: Facts) -> str:
    """The referral for pain or twitching: now if it has lasted, else if it does not ease."""
    if f.signs_for >= PERSISTENT:
        return f"It has lasted {days(f.signs_for)}: see a physio or sports doctor."
    return "See a physio or sports doctor if it's severe or lasts a few days."


def _pain_watch(f: Facts) -> str:
    """Red signs without the red flag; promises only the follow-up really planned."""
    if f.followup_at is not None:
        when = f.followup_at.astimezone(f.tz)
        it = "they are" if f.checkin.joint_pain and f.checkin.muscle_twitching else "it is"
        later = f" I'll ask how {it} on {when:%a} at {when:%H:%M}."
    else:
        later = ""
    return f"Go easy on hard training while you have {f.checkin.signs}.{later} {_see_someone(f)}"


def _breathing_check(f: Facts) -> str:
    """Breathing still up after the hour when it usually settles (or at rest)."""
    since = f.since_finish
    if since is None:
        return (
            "Still breathless at rest? If it stays up, or comes with chest pain or dizziness, "
            "see a doctor today."
        )
    ago = (
        f"{since // timedelta(minutes=1)} min"
        if since < timedelta(minutes=90)
        else f"about {round(since / timedelta(hours=1))} h"
    )
    if since <= BREATHING_SOFT_UNTIL:
        return (
            f"Breathing still up {ago} after training: rest; if it doesn't settle, or comes with "
            "chest pain or dizziness, see a doctor."
        )
    return (
        f"Still breathless {ago} after training? If you're resting and it stays up, or comes "
        "with chest pain or dizziness, see a doctor today."
    )


def _refuel(f: Facts) -> str:
    """The 3:1 snack while the 60-minute window is open, with the clock time to eat by."""
    deadline = local_hhmm(f.refuel_deadline, f.tz) if f.refuel_deadline else ""
    if f.refuel_minutes_left == 0:
        return f"Eat a 3:1 carb-to-protein snack now: your 60-minute window closes at {deadline}."
    return (
        f"Eat a 3:1 carb-to-protein snack by {deadline} ({f.refuel_minutes_left} min left): "
        "it speeds up refilling your legs' fuel."
    )


def _refuel_late(_: Facts) -> str:
    """The window has passed: a meal still helps (research, beyond the article)."""
    return "Have a meal with carbs and protein soon: it still helps after the 60-minute window."


def _sleep(f: Facts) -> str:
    """Tonight's bedtime, when known, and why deep sleep matters."""
    if f.bedtime is None:
        return f"Make sleep a priority tonight: {SLEEP_WHY}."
    if _past_bedtime(f):
        return f"Past your usual {clock(f.bedtime)} bedtime: head to bed soon, {SLEEP_WHY}."
    return f"Be in bed by {clock(f.bedtime)} tonight: {SLEEP_WHY}."


def _past_bedtime(f: Facts) -> bool:
    """True from the athlete's usual bedtime until early morning (local time)."""
    local = f.now.astimezone(f.tz)
    bed = local.replace(hour=f.bedtime.hour, minute=f.bedtime.minute, second=0, microsecond=0)
    since = (local - bed) % timedelta(days=1)
    night = datetime.combine(local.date(), NIGHT_ENDS) - datetime.combine(local.date(), f.bedtime)
    return since < min(night % timedelta(days=1), LATE_NIGHT_WINDOW)


def hours(value: float) -> str:
    """Hours slept as athletes say them: '7.5 h', '6 h 20 min'."""
    minutes = round(value * 60)
    if minutes % 30 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes // 60} h {minutes % 60} min"


def _short_sleep(f: Facts) -> str:
    """Last night's sleep was under the adult consensus minimum."""
    return (
        f"You slept {hours(f.checkin.sleep_hours)} last night; adults need 7 h or more, so an "
        "earlier night would help."
    )


def _physical(f: Facts) -> str:
    """Heavy legs after a sustained and/or intense session: expected, and why in plain words."""
    effort = EFFORT.band(f.checkin.rpe).label if f.checkin.rpe is not None else "hard"
    return physical_reason(effort, sustained=f.sustained, intense=f.intense)


def physical_reason(effort: str, *, sustained: bool, intense: bool) -> str:
    """Why legs are heavy after long and/or intense work (glycogen; the protective brake)."""
    if sustained and intense:
        return (
            f"Heavy legs after a long, {effort} session are normal: your muscles' fuel is low "
            "and your nerves hold back to protect them."
        )
    if sustained:
        return (
            "Heavy legs after a long session are normal: your muscles have used much of their fuel."
        )
    return (
        f"Heavy legs after {effort} efforts are normal: your nerves hold back to protect "
        "your muscles."
    )


def _physical_sources(f: Facts) -> tuple[str, ...]:
    """The article sentences behind the physical explanation actually given."""
    return (("glycogen",) if f.sustained else ()) + (
        ("lactate", "lactate_brake", "safety") if f.intense else ()
    )


def _perceived(f: Facts) -> str:
    """Heavy legs after an easy or moderate, short session: not a failure of the muscles."""
    return perceived_reason(EFFORT.band(f.checkin.rpe).label)


def perceived_reason(effort: str) -> str:
    """Heavy legs after light work are the brain's read of tiredness, not muscle failure."""
    article = "an" if effort[0] in "aeiou" else "a"
    return (
        f"Heavy legs after {article} {effort} session aren't a sign of failure: they can be "
        "your brain's read of overall tiredness."
    )


def _central(_: Facts) -> str:
    """Low motivation after a long effort: common, and not a verdict."""
    return (
        "Low motivation after a long effort is common: long exertion can dampen drive for a while."
    )


def _breathing_soon(_: Facts) -> str:
    """Breathing still up within the hour after training: expected."""
    return "Breathing still up soon after training is normal: your body is rebalancing."


def _load_spike(f: Facts) -> str:
    """This week's load is well above the four-week average while the legs are heavy."""
    ratio = f.load.acwr if f.load and f.load.acwr else 0.0
    return (
        f"This week's training load is {ratio:.1f}× your 4-week average: make tomorrow easy "
        "or a rest day."
    )


def _monotony(_: Facts) -> str:
    """A very uniform week (high monotony) with heavy legs: vary the load."""
    return "Your training days this week have all been alike: build in a genuinely easy day."


def _baseline(f: Facts) -> str:
    """A deviation from the athlete's own usual values that persisted over 2 of 3 days."""
    parts = [f"{flag.metric.label} was {_direction(flag)} usual" for flag in f.baseline_flags]
    return f"Your {' and your '.join(parts)} on 2 of the last 3 days: take it easier today."


def _direction(flag: BaselineFlag) -> str:
    """'well above' / 'above' (or below) for a persisting flag."""
    strength = "well " if flag.persistent >= Level.FLAG else ""
    return strength + ("above" if flag.metric.higher_is_worse else "below")


REFERRAL = Note(lambda f: True, _see_someone, "injury_care")
LONG_REFERRAL = Note(lambda f: f.long_persistent, _see_someone_now, "overtraining")

RULES: tuple[Rule, ...] = (
    Rule(
        "red_flag_48h",
        100,
        Role.CAUTION,
        lambda f: f.red_flag,
        _red_flag,
        ("persistent",),
        pinned=True,
        notes=(LONG_REFERRAL, REFERRAL),
    ),
    Rule(
        "persistent_48h",
        90,
        Role.CAUTION,
        lambda f: f.persistent and not f.red_flag,
        _persistent,
        ("persistent", "signal", "whole_system"),
        notes=(LONG_REFERRAL,),
    ),
    Rule(
        "breathing_check",
        85,
        Role.CAUTION,
        lambda f: f.breathing_up and not f.breathing_soon,
        _breathing_check,
        ("warning_signs",),
        beyond_article=True,
    ),
    Rule(
        "pain_watch",
        80,
        Role.CAUTION,
        lambda f: f.red_signs and not f.red_flag,
        _pain_watch,
        ("injury_care",),
        beyond_article=True,
    ),
    Rule(
        "refuel_window",
        70,
        Role.ACTION,
        lambda f: f.refuel_pending and f.refuel_open,
        _refuel,
        ("nutrition",),
        pinned=True,
    ),
    Rule(
        "refuel_late",
        68,
        Role.ACTION,
        lambda f: f.refuel_pending and not f.refuel_open,
        _refuel_late,
        ("nutrient_timing",),
        beyond_article=True,
    ),
    Rule(
        "load_spike",
        58,
        Role.ADVICE,
        lambda f: f.load is not None and f.load.spike and f.legs_some,
        _load_spike,
        ("acwr",),
        beyond_article=True,
    ),
    Rule("deep_sleep", 60, Role.ACTION, lambda f: True, _sleep, ("sleep",), pinned=True),
    Rule(
        "baseline_deviation",
        55,
        Role.ADVICE,
        lambda f: bool(f.baseline_flags),
        _baseline,
        ("zscore",),
        beyond_article=True,
    ),
    Rule(
        "heavy_after_hard_work",
        50,
        Role.EXPLAIN,
        lambda f: f.legs_some and f.fresh and (f.sustained or f.intense),
        _physical,
        ("glycogen", "lactate", "lactate_brake", "safety"),
        cite=_physical_sources,
    ),
    Rule(
        "heavy_after_easy_work",
        48,
        Role.EXPLAIN,
        lambda f: f.legs_in(HEAVY) and f.fresh and f.effort_known_light and not f.sustained,
        _perceived,
        ("negotiation", "perception"),
    ),
    Rule(
        "central_fatigue",
        45,
        Role.EXPLAIN,
        lambda f: f.low_motivation and f.fresh and f.sustained,
        _central,
        ("central", "disconnect"),
    ),
    Rule(
        "short_sleep",
        40,
        Role.ADVICE,
        lambda f: f.short_sleep,
        _short_sleep,
        ("sleep_duration",),
        beyond_article=True,
    ),
    Rule(
        "high_monotony",
        35,
        Role.ADVICE,
        lambda f: f.load is not None and f.load.monotonous and f.legs_some,
        _monotony,
        ("monotony",),
        beyond_article=True,
    ),
    Rule(
        "breathing_settling",
        30,
        Role.EXPLAIN,
        lambda f: f.breathing_soon,
        _breathing_soon,
        ("breathing", "cascade", "nonlinear"),
    ),
)
