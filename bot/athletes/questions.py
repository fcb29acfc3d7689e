"""The question flows (onboarding, check-in, 48 h follow-up) as data: prompts, buttons, parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass

from bot.athletes import answers
from bot.athletes.answers import PAIN_WORDS, SESSION_WORDS, Answer, AnswerContext
from bot.athletes.parsing import (
    parse_finish,
    parse_timezone,
)
from rules.model import SESSION_LABELS
from rules.scales import EFFORT, LEG_HEAVINESS, Scale
from rules.scales import MOTIVATION as MOTIVATION_SCALE


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its prompt, one-tap options (label, raw value) and the parser for both."""

    key: str
    title: str
    prompt: str
    options: tuple[tuple[str, str], ...]
    parse: Callable[[str, AnswerContext], Answer]
    columns: int = 3
    show: Callable[[Answer, AnswerContext], str] | None = None  # a typed answer in words
    fields: tuple[str, ...] = ()  # every answer field it sets, when more than its key

    def produces(self, answers: Answer) -> bool:
        """True when `answers` already hold this question's field (e.g. prefilled)."""
        return self.key in answers

    def clear(self, answers: Answer) -> None:
        """Forget this question's answer (going back to it)."""
        for name in self.fields or (self.key,):
            answers.pop(name, None)

    def echo(self, values: Answer, ctx: AnswerContext) -> str:
        """A parsed answer in words: the label of the button that means the same, if any."""
        for label, raw in self.options:
            with suppress(ValueError):
                if self.parse(raw, ctx) == values:
                    return label
        return self.show(values, ctx) if self.show else str(values[self.key])


@dataclass(frozen=True, slots=True)
class Flow:
    """An ordered list of questions with a name used in stored state."""

    name: str
    questions: tuple[Question, ...]
    stop_when: Callable[[Answer], bool] = lambda _answers: False

    def previous_step(self, step: int, prefilled: Iterable[str]) -> int | None:
        """The question before `step` that was asked (not prefilled), or None at the first."""
        skip = set(prefilled)
        asked = [i for i in range(step) if self.questions[i].key not in skip]
        return asked[-1] if asked else None

    def next_step(self, answers: Answer, start: int = 0) -> int | None:
        """Index of the first unanswered question at or after `start`, or None when done."""
        if self.stop_when(answers):
            return None
        for index in range(start, len(self.questions)):
            if not self.questions[index].produces(answers):
                return index
        return None


def _scale_options(low: int, high: int) -> tuple[tuple[str, str], ...]:
    """One button per scale point."""
    return tuple((str(n), str(n)) for n in range(low, high + 1))


CONSENT = Question(
    key="consent",
    title="Consent",
    prompt=(
        "To tailor advice I store your answers: session, effort, how your legs feel, sleep. "
        "That is health data. It stays private to you, is never shared unless you say so, "
        "and /forget erases it.\n\nOK to store your answers?"
    ),
    options=(("✅ I agree", "yes"), ("No thanks", "no")),
    parse=answers.yes_no("consent", "may I store your answers?"),
    columns=2,
)

TIMEZONE = Question(
    key="tz",
    title="Time zone",
    prompt=(
        "Which time zone are you in? Tap one, or type a city (e.g. Madrid) or an offset (UTC+2)."
    ),
    options=(
        ("London", "Europe/London"),
        ("Berlin / Paris", "Europe/Berlin"),
        ("Moscow", "Europe/Moscow"),
        ("New York", "America/New_York"),
        ("Chicago", "America/Chicago"),
        ("Los Angeles", "America/Los_Angeles"),
        ("India", "Asia/Kolkata"),
        ("Tokyo", "Asia/Tokyo"),
        ("Sydney", "Australia/Sydney"),
        ("UTC", "UTC"),
    ),
    parse=lambda text, _ctx: {"tz": parse_timezone(text)},
    columns=3,
)

BEDTIME = Question(
    key="bedtime",
    title="Bedtime",
    prompt="When do you usually go to bed? Tap one or type a time like 22:45.",
    options=tuple((t, t) for t in ("21:30", "22:00", "22:30", "23:00", "23:30", "00:00")),
    parse=answers.bedtime,
    columns=3,
)

FINISHED = Question(
    key="finished_at",
    title="Finished",
    prompt="When did your session finish? Tap, or type minutes ago (e.g. 20) or a time (18:40).",
    options=(
        ("Just now", "0"),
        ("15 min ago", "15"),
        ("30 min ago", "30"),
        ("1 h ago", "60"),
        ("2 h ago", "120"),
    ),
    parse=lambda text, ctx: {"finished_at": parse_finish(text, ctx.now, ctx.tz).isoformat()},
    columns=3,
    show=answers.show_finish,
)

SESSION = Question(
    key="session_type",
    title="Session",
    prompt="What kind of session was it?",
    options=tuple((label, str(kind)) for kind, label in SESSION_LABELS.items()),
    parse=answers.choice(
        "session_type",
        SESSION_WORDS | {label.lower(): str(k) for k, label in SESSION_LABELS.items()},
        "Please tap one of the session types.",
    ),
    columns=2,
)

DURATION = Question(
    key="duration_min",
    title="Duration",
    prompt="How long was it? Tap, or type minutes (e.g. 75).",
    options=tuple((f"{m} min", str(m)) for m in (30, 45, 60, 75, 90, 120)),
    parse=answers.duration,
    columns=3,
    show=lambda values, _ctx: f"{values['duration_min']} min",
)


def _scale_question(key: str, title: str, prompt: str, low: int, high: int) -> Question:
    """A question answered by one button per point of a numeric scale (or the typed number)."""
    return Question(
        key=key,
        title=title,
        prompt=prompt,
        options=_scale_options(low, high),
        parse=answers.scale(key, low, high),
        columns=min(6, high - low + 1),
    )


def _rated(scale: Scale, title: str, question: str) -> Question:
    """A question on one of the rules' scales, its legend rendered from the scale's bands."""
    return _scale_question(
        scale.key,
        title,
        f"{question}, {scale.low}–{scale.high}? ({scale.legend()})",
        scale.low,
        scale.high,
    )


RPE = _rated(EFFORT, "Effort (RPE)", "How hard was the whole session")
HEAVINESS = _rated(LEG_HEAVINESS, "Leg heaviness", "How heavy do your legs feel right now")
MOTIVATION = _rated(MOTIVATION_SCALE, "Motivation", "How motivated do you feel right now")

BREATHING = Question(
    key="breathing_elevated",
    title="Breathing elevated",
    prompt="Is your breathing still elevated?",
    options=(("Yes", "yes"), ("No", "no")),
    parse=answers.yes_no("breathing_elevated", "is your breathing still elevated?"),
    columns=2,
)

PAIN = Question(
    key="joint_pain",
    title="Joint pain / twitching",
    prompt="Any joint pain or sharp muscle twitching?",
    options=(
        ("Neither", "none"),
        ("Joint pain", "joint"),
        ("Twitching", "twitch"),
        ("Both", "both"),
    ),
    parse=answers.choice(
        "joint_pain", PAIN_WORDS, "Please tap Neither, Joint pain, Twitching or Both."
    ),
    columns=2,
    fields=("joint_pain", "muscle_twitching"),
)

SLEEP = Question(
    key="sleep_hours",
    title="Sleep",
    prompt="How many hours did you sleep last night? Tap, or type e.g. 7.5.",
    options=(*((f"{h} h", h) for h in ("5", "6", "7", "8", "9")), ("Skip", "skip")),
    parse=answers.sleep,
    columns=3,
    show=answers.show_sleep,
)


def _wellness(key: str, title: str, worst: str, best: str) -> Question:
    """One of McLean's five 1–5 wellness items (5 is the best state)."""
    return Question(
        key=key,
        title=title,
        prompt=f"{title}, 1–5? (1 {worst} · 5 {best})",
        options=_scale_options(1, 5),
        parse=answers.scale(key, 1, 5),
        columns=5,
    )


READINESS_QUESTIONS = (
    _wellness("fatigue", "Fatigue", "always tired", "very fresh"),
    _wellness("sleep_quality", "Sleep quality", "insomnia", "very restful"),
    _wellness("soreness", "Muscle soreness", "very sore", "feeling great"),
    _wellness("stress", "Stress", "highly stressed", "very relaxed"),
    _wellness("mood", "Mood", "very down / irritable", "very positive"),
)


QUIET_HOURS = Question(
    key="quiet_hours",
    title="Quiet hours",
    prompt=(
        "Quiet hours: reminders that fall inside them wait until they end (skipped if too late "
        "by then; the bedtime wind-down comes just before instead, and the morning check-in "
        "at the time you picked). Tap one or type e.g. 22:30-06:30."
    ),
    options=(
        ("Off", "off"),
        ("22:00–07:00", "22:00-07:00"),
        ("23:00–07:00", "23:00-07:00"),
        ("21:00–06:00", "21:00-06:00"),
        ("00:00–08:00", "00:00-08:00"),
    ),
    parse=answers.quiet_hours,
    columns=3,
    show=answers.show_off("quiet_hours"),
)

READINESS_TIME = Question(
    key="readiness_at",
    title="Morning check-in",
    prompt=(
        "Optional morning check-in: five one-tap questions (fatigue, sleep, soreness, stress, "
        "mood) at a time you pick, in your time zone. When should I ask? Tap Off to stop."
    ),
    options=(*((t, t) for t in ("06:30", "07:00", "07:30", "08:00", "09:00")), ("Off", "off")),
    parse=answers.optional_clock("readiness_at"),
    columns=3,
    show=answers.show_off("readiness_at"),
)

ONBOARDING = Flow(
    "onboard", (CONSENT, TIMEZONE, BEDTIME), stop_when=lambda a: a.get("consent") is False
)
CHECKIN = Flow(
    "checkin", (FINISHED, SESSION, DURATION, RPE, HEAVINESS, MOTIVATION, BREATHING, PAIN, SLEEP)
)
FOLLOWUP = Flow("followup", (HEAVINESS, PAIN))
READINESS = Flow("readiness", READINESS_QUESTIONS)
SETTING_FLOWS: dict[str, Flow] = {
    "tz": Flow("set_tz", (TIMEZONE,)),
    "bed": Flow("set_bed", (BEDTIME,)),
    "quiet": Flow("set_quiet", (QUIET_HOURS,)),
    "ready": Flow("set_ready", (READINESS_TIME,)),
}
FLOWS: dict[str, Flow] = {
    flow.name: flow for flow in (ONBOARDING, CHECKIN, FOLLOWUP, READINESS, *SETTING_FLOWS.values())
}
