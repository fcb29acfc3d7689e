"""The guidance rules as data: each a role, a condition, a plain-words message and its sources.

Roles: a CAUTION point (persistence, pain, breathing that has not settled) is never dropped and
switches off every EXPLAIN point, whose reassurance ("that's normal") must not sit beside it.
ACTION points say what to do; ADVICE points are beyond-the-article training hints. Mechanisms
(glycogen, the neural brake, dopamine, growth hormone) stay in the cited sentences behind Why?.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from rules.baseline import BaselineFlag, Level
from rules.facts import Facts, local_hhmm
from rules.scales import EFFORT

LATE_NIGHT_WINDOW = timedelta(hours=5)  # after bedtime, "tonight" becomes "soon"
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
    note: Note | None = None
    cite: Callable[[Facts], tuple[str, ...]] | None = None

    def cited(self, f: Facts) -> tuple[str, ...]:
        """The sources behind the message as rendered for `f` (all of them by default)."""
        return self.cite(f) if self.cite else self.sources


def signs(f: Facts) -> str:
    """The reported red signs in words."""
    found = []
    if f.checkin.joint_pain:
        found.append("joint pain")
    if f.checkin.muscle_twitching:
        found.append("sharp muscle twitching")
    return " and ".join(found)


def span(duration: timedelta) -> str:
    """How long heaviness has lasted, in days ('for 2+ days', 'for about 35 days')."""
    days = duration / timedelta(days=1)
    return "for 2+ days" if days < 3 else f"for about {round(days)} days"


def _red_flag(f: Facts) -> str:
    """Observed heaviness beyond 48 h together with joint pain or twitching."""
    return (
        f"Skip hard training today: your legs have stayed heavy {span(f.heavy_for)}, with "
        f"{signs(f)}. Recovery may be compromised, not just delayed."
    )


def _persistent(f: Facts) -> str:
    """Observed heaviness beyond 48 h without red signs."""
    return (
        f"Keep training easy today: your legs have stayed heavy {span(f.heavy_for)}. "
        "Check in again if joint pain or sharp twitching starts."
    )


def _see_someone(f: Facts) -> str:
    """The referral that goes with persistence: sooner when it has lasted weeks."""
    if f.long_persistent:
        return "Heaviness this long is more than normal recovery: see a sports doctor or physio."
    return "See a physio or sports doctor if it's severe or doesn't ease in a few days."


def _pain_watch(f: Facts) -> str:
    """Red signs before any observed persistence; promises only the follow-up really planned."""
    if f.followup_at is not None:
        when = f.followup_at.astimezone(f.tz)
        later = f"I'll ask how it is on {when:%a} at {when:%H:%M}."
    else:
        later = "Check in again if it lasts."
    return f"Go easy on hard training while you have {signs(f)}. {later}"


def _breathing_check(f: Facts) -> str:
    """Breathing still up long after the session (or at rest): a doctor's check if it stays."""
    since = f.since_finish
    if since is None:
        when = ""
    elif since < timedelta(hours=2):
        when = f" {since // timedelta(minutes=1)} min after training"
    else:
        when = f" {since // timedelta(hours=1)} h after training"
    return (
        f"Breathing still up{when}: rest now. If it stays up at rest, or comes with chest pain "
        "or dizziness, see a doctor."
    )


def _refuel(f: Facts) -> str:
    """The 3:1 snack while the 60-minute window is open, with the clock time to eat by."""
    deadline = local_hhmm(f.refuel_deadline, f.tz) if f.refuel_deadline else ""
    if f.refuel_minutes_left == 0:
        return f"Eat a 3:1 carb-to-protein snack now: your 60-minute window closes at {deadline}."
    return (
        f"Eat a 3:1 carb-to-protein snack by {deadline} ({f.refuel_minutes_left} min left): "
        "it refills your legs' fuel fastest."
    )


def _refuel_late(_: Facts) -> str:
    """The window has passed: a normal meal still helps (research, beyond the article)."""
    return "Your refuel window has passed; a regular meal with carbs and protein still helps."


def _sleep(f: Facts) -> str:
    """Tonight's bedtime, when known, and why deep sleep matters."""
    if f.bedtime is None:
        return f"Make sleep a priority tonight: {SLEEP_WHY}."
    if _past_bedtime(f):
        return f"It's past your usual {f.bedtime:%H:%M} bedtime, so head to bed soon: {SLEEP_WHY}."
    return f"Be in bed by {f.bedtime:%H:%M} tonight: {SLEEP_WHY}."


def _past_bedtime(f: Facts) -> bool:
    """True in the few hours after the athlete's usual bedtime (local time)."""
    local = f.now.astimezone(f.tz)
    bed = local.replace(hour=f.bedtime.hour, minute=f.bedtime.minute, second=0, microsecond=0)
    since = (local - bed) % timedelta(days=1)
    return since < LATE_NIGHT_WINDOW


def _short_sleep(f: Facts) -> str:
    """Last night's sleep was under the adult consensus minimum."""
    return (
        f"You slept {f.checkin.sleep_hours:g} h last night; adults need 7 or more, so an "
        "earlier night would help."
    )


def _physical(f: Facts) -> str:
    """Heavy legs after a sustained and/or intense session: expected, and why in plain words."""
    effort = EFFORT.band(f.checkin.rpe).label if f.checkin.rpe is not None else "hard"
    if f.sustained and f.intense:
        return (
            f"Heavy legs after a long, {effort} session are normal: your muscles' fuel is low "
            "and your nerves hold back to protect them."
        )
    if f.sustained:
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
    effort = EFFORT.band(f.checkin.rpe).label
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
LONG_REFERRAL = Note(lambda f: f.long_persistent, _see_someone, "overtraining")

RULES: tuple[Rule, ...] = (
    Rule(
        "red_flag_48h",
        100,
        Role.CAUTION,
        lambda f: f.red_flag,
        _red_flag,
        ("persistent",),
        pinned=True,
        note=REFERRAL,
    ),
    Rule(
        "persistent_48h",
        90,
        Role.CAUTION,
        lambda f: f.persistent and not f.red_signs,
        _persistent,
        ("persistent", "signal", "whole_system"),
        note=LONG_REFERRAL,
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
        ("persistent",),
        note=REFERRAL,
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
        65,
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
        lambda f: f.legs_some and (f.sustained or f.intense),
        _physical,
        ("glycogen", "lactate", "lactate_brake", "safety"),
        cite=_physical_sources,
    ),
    Rule(
        "heavy_after_easy_work",
        48,
        Role.EXPLAIN,
        lambda f: f.legs_heavy and f.effort_known_light and not f.sustained,
        _perceived,
        ("negotiation", "perception"),
    ),
    Rule(
        "central_fatigue",
        45,
        Role.EXPLAIN,
        lambda f: f.low_motivation and f.sustained,
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
