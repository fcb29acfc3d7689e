"""The guidance rules as data: each one a condition, a message and the sentence it rests on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from rules.baseline import BaselineFlag, Level
from rules.facts import Facts, local_hhmm, needs_followup

LATE_NIGHT_WINDOW = timedelta(hours=5)  # after bedtime, "tonight" becomes "soon"


@dataclass(frozen=True)
class Rule:
    """One piece of guidance; higher `priority` is shown first; `source` keys into article.py."""

    id: str
    priority: int
    condition: Callable[[Facts], bool]
    message: Callable[[Facts], str]
    source: str
    beyond_article: bool = False
    also_cites: tuple[str, ...] = ()


def _signs(f: Facts) -> str:
    """The reported red signs in words."""
    found = []
    if f.checkin.joint_pain:
        found.append("joint pain")
    if f.checkin.muscle_twitching:
        found.append("sharp muscle twitching")
    return " and ".join(found)


def _red_flag(f: Facts) -> str:
    """Heaviness for 48 h or more together with joint pain or twitching."""
    return (
        f"Your legs have felt heavy for about {f.heaviness_hours:.0f} hours, together with "
        f"{_signs(f)}: that can mean recovery is compromised, not just delayed. Reduce or skip "
        "hard training, and if it doesn't ease, consider seeing a qualified professional "
        "such as a physio or sports doctor."
    )


def _persistent(f: Facts) -> str:
    """Heaviness for 48 h or more without red signs."""
    return (
        f"Your legs have felt heavy for about {f.heaviness_hours:.0f} hours, which calls for "
        "some caution. Keep training easy for now and tell me if joint pain or sharp muscle "
        "twitching shows up."
    )


def _pain_watch(f: Facts) -> str:
    """Red signs reported before the 48 h mark."""
    later = (
        "I'll check in with you again in 48 hours"
        if needs_followup(f.checkin)
        else "if it doesn't settle, a physio or sports doctor can take a look"
    )
    return f"You mentioned {_signs(f)}: ease off hard training and keep an eye on it; {later}."


def _refuel(f: Facts) -> str:
    """The 3:1 refuel habit, phrased for an open or a passed window."""
    if f.refuel_deadline is None or not f.refuel_open:
        return (
            "Your 60-minute refuel window has passed, but a balanced meal with a 3:1 "
            "carb-to-protein ratio still helps you recover."
        )
    if f.refuel_minutes_left == 0:
        return (
            "Your 60-minute refuel window closes now: a snack with a 3:1 carb-to-protein ratio "
            "right away still speeds glycogen refill."
        )
    return (
        "Refuel habit: a snack with a 3:1 carb-to-protein ratio within 60 minutes of finishing "
        f"speeds glycogen refill; you have {f.refuel_minutes_left} min left, so eat by "
        f"{local_hhmm(f.refuel_deadline, f.tz)}."
    )


def _refuel_research(_: Facts) -> str:
    """The research nuance on nutrient timing."""
    return (
        "Research suggests the refuel window is wider than 60 minutes; timing matters most "
        "after fasted training or when your next session is close."
    )


def _glycogen(_: Facts) -> str:
    """Hard effort: glycogen, lactate and the protective neural brake."""
    return (
        "A hard effort can drop muscle glycogen by 60–80 %, especially in fast-twitch fibres, "
        "and lactate-driven pH shifts make your nerves apply a protective brake. That heaviness "
        "is a safety mechanism, not laziness."
    )


def _central(f: Facts) -> str:
    """Heavy legs without a hard effort, or with low motivation: central fatigue."""
    reasons = []
    if f.moderate_effort:
        reasons.append("the effort felt moderate")
    if f.low_motivation:
        reasons.append("your motivation is low")
    return (
        f"Your legs feel heavy while {' and '.join(reasons)}: that points to central fatigue, "
        "where your brain's perception of effort and dopamine signalling open a gap between "
        "intention and execution. It's a neural negotiation, not a failure."
    )


def _cascade(_: Facts) -> str:
    """Breathing still elevated: the whole system is rebalancing."""
    return (
        "Your breathing is still up because your whole system (heart, blood flow, breathing) "
        "is rebalancing, so recovery can feel nonlinear. Keep movement easy and rest."
    )


def _sleep(f: Facts) -> str:
    """Deep sleep drives tissue repair; mention the athlete's bedtime when known."""
    if f.bedtime is None:
        plan = "Make sleep a priority tonight"
    elif _past_bedtime(f):
        plan = f"It's past your usual {f.bedtime:%H:%M} bedtime, so head to bed soon"
    else:
        plan = f"Aim to be in bed by {f.bedtime:%H:%M} tonight"
    return f"{plan}: deep sleep is when growth hormone peaks, driving tissue repair in your legs."


def _past_bedtime(f: Facts) -> bool:
    """True in the few hours after the athlete's usual bedtime (local time)."""
    local = f.now.astimezone(f.tz)
    bed = local.replace(hour=f.bedtime.hour, minute=f.bedtime.minute, second=0, microsecond=0)
    since = (local - bed) % timedelta(days=1)
    return since < LATE_NIGHT_WINDOW


def _short_sleep(f: Facts) -> str:
    """Last night's sleep was under the adult consensus minimum."""
    return (
        f"You slept {f.checkin.sleep_hours:g} h; adults do best with at least 7 hours a night, "
        "so an earlier night would help."
    )


def _load_spike(f: Facts) -> str:
    """This week's load is well above the four-week average while the legs are heavy."""
    ratio = f.load.acwr if f.load and f.load.acwr else 0.0
    return (
        f"Your training load this week is {ratio:.1f}× your 4-week average and your legs are "
        "heavy: make your next day an easy one or a rest day. The ratio is a rough guide, not "
        "an injury forecast."
    )


def _monotony(f: Facts) -> str:
    """A very uniform week (high monotony) with heavy legs: vary the load."""
    mono = f.load.monotony if f.load and f.load.monotony else 0.0
    return (
        f"Your week has been very uniform (monotony {mono:.1f}): days of similar load with "
        "little real rest add up. Build in a genuinely easy day."
    )


def _baseline(f: Facts) -> str:
    """A deviation from the athlete's own usual values that persisted over 2 of 3 days."""
    parts = [
        f"your {flag.metric.label} has been {_direction(flag)} your usual"
        for flag in f.baseline_flags
    ]
    return (
        f"Compared with your own last 4 weeks, {' and '.join(parts)} on 2 of the last 3 days: "
        "take it easier today and look after sleep and food."
    )


def _direction(flag: BaselineFlag) -> str:
    """'well above' / 'above' (or below) for a persisting flag."""
    strength = "well " if flag.persistent >= Level.FLAG else ""
    return strength + ("above" if flag.metric.higher_is_worse else "below")


def _signal(_: Facts) -> str:
    """Closing line: heavy legs are a signal, not a sentence."""
    return (
        "Heavy legs are a signal, not a sentence: they ask you to look after your whole system, "
        "not just your muscles."
    )


RULES: tuple[Rule, ...] = (
    Rule("red_flag_48h", 100, lambda f: f.red_flag, _red_flag, "persistent"),
    Rule(
        "persistent_48h",
        90,
        lambda f: f.persistent and not f.red_flag,
        _persistent,
        "persistent",
    ),
    Rule("pain_watch", 80, lambda f: f.red_signs and not f.red_flag, _pain_watch, "persistent"),
    Rule("refuel_window", 70, lambda f: f.refuel_pending, _refuel, "nutrition"),
    Rule(
        "glycogen_brake",
        60,
        lambda f: f.hard_session and f.legs_heavyish,
        _glycogen,
        "glycogen",
        also_cites=("lactate_brake", "safety"),
    ),
    Rule(
        "central_fatigue",
        50,
        lambda f: f.legs_heavy and (f.moderate_effort or f.low_motivation),
        _central,
        "central",
        also_cites=("perception", "disconnect", "negotiation"),
    ),
    Rule(
        "systemic_cascade",
        40,
        lambda f: f.checkin.breathing_elevated is True,
        _cascade,
        "cascade",
        also_cites=("breathing", "nonlinear"),
    ),
    Rule(
        "load_spike",
        65,
        lambda f: f.load is not None and f.load.spike and f.legs_heavyish,
        _load_spike,
        "acwr",
        beyond_article=True,
    ),
    Rule(
        "baseline_deviation",
        55,
        lambda f: bool(f.baseline_flags),
        _baseline,
        "zscore",
        beyond_article=True,
    ),
    Rule(
        "high_monotony",
        35,
        lambda f: f.load is not None and f.load.monotonous and f.legs_heavyish,
        _monotony,
        "monotony",
        beyond_article=True,
    ),
    Rule("deep_sleep", 30, lambda f: True, _sleep, "sleep"),
    Rule(
        "short_sleep",
        25,
        lambda f: f.short_sleep,
        _short_sleep,
        "sleep_duration",
        beyond_article=True,
    ),
    Rule(
        "refuel_research",
        20,
        lambda f: f.refuel_pending,
        _refuel_research,
        "nutrient_timing",
        beyond_article=True,
    ),
    Rule(
        "signal",
        10,
        lambda f: f.legs_heavyish and not (f.persistent or f.red_signs),
        _signal,
        "signal",
        also_cites=("whole_system",),
    ),
)
