"""The generic question engine: asks a flow's questions and keeps the draft in the store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot.athletes.answers import AnswerContext
from bot.athletes.parsing import zone
from bot.athletes.profiles import athlete_zone_name, load_profile, new_id
from bot.athletes.questions import CHECKIN, FLOWS, FOLLOWUP, READINESS, Flow, Question
from bot.shell import callbacks
from bot.shell.context import BotContext
from handlers.common import DRAFT, answer_query, drop_buttons, keyboard

Answers = dict[str, Any]
Tapped = tuple[CallbackQuery | None, str]  # the tapped message (if any), the confirmation
HOOKS = "flow_hooks"

BACK_LABEL = "◀ Back"
TIMELY = frozenset({CHECKIN.name, FOLLOWUP.name, READINESS.name})  # answers about "right now"
DRAFT_TTL = timedelta(hours=6)
EXPIRED = (
    "Your unfinished check-in from {when} has expired: how your legs feel then isn't how they "
    "feel now. /checkin starts a new one."
)
DROPPED = "(This replaces your unfinished check-in; /checkin starts a new one.)"
STALE = "That button belongs to an earlier question. Please use the latest message."


class Next(StrEnum):
    """What set-up continues with when it was started on the way to something else."""

    CHECKIN = "checkin"
    JOIN = "join"
    READINESS = "readiness"


@dataclass(frozen=True, slots=True)
class Then:
    """A continuation kept in the draft as data: what to do next, and what it needs."""

    next: Next
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        """The stored form."""
        return {"next": str(self.next), "data": dict(self.data)}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Then:
        """Read the stored form back."""
        return cls(Next(doc["next"]), dict(doc.get("data") or {}))


@dataclass(slots=True)
class Draft:
    """An unfinished flow: its answers so far, the current question, and what follows it."""

    flow: str
    id: str
    answers: Answers
    prefilled: list[str]
    step: int
    last_update_id: int
    started_at: str
    tz: str  # the athlete's zone, read once when the flow starts
    then: Then | None = None

    def to_doc(self) -> dict[str, Any]:
        """The stored form (plain JSON)."""
        doc = {slot: getattr(self, slot) for slot in self.__slots__ if slot != "then"}
        return doc | {"then": self.then.to_doc() if self.then else None}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Draft:
        """Read the stored form back."""
        then = doc.get("then")
        fields = {slot: doc[slot] for slot in cls.__slots__ if slot != "then"}
        return cls(**fields, then=Then.from_doc(then) if then else None)


Completion = Callable[[Update, BotContext, Draft], Awaitable[None]]
Continuation = Callable[[Update, BotContext, Mapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FlowHooks:
    """What happens when each flow completes, and each continuation after set-up."""

    completions: Mapping[str, Completion]
    continuations: Mapping[Next, Continuation]

    def check(self) -> None:
        """Refuse to start when a flow has no completion or a continuation is missing."""
        missing = sorted(set(FLOWS) - set(self.completions)) + sorted(
            str(n) for n in set(Next) - set(self.continuations)
        )
        unknown = sorted(set(self.completions) - set(FLOWS))
        if missing or unknown:
            raise ValueError(f"flow hooks missing: {missing}, unknown: {unknown}")


def install(app: Application, hooks: FlowHooks) -> None:
    """Bind the flows' hooks to the application (checked first)."""
    hooks.check()
    app.bot_data[HOOKS] = hooks


def hooks(context: BotContext) -> FlowHooks:
    """The hooks bound at registration."""
    return context.application.bot_data[HOOKS]


async def continue_with(update: Update, context: BotContext, then: Then) -> None:
    """Run the continuation a set-up was started for."""
    await hooks(context).continuations[then.next](update, context, then.data)


async def start_flow(
    update: Update,
    context: BotContext,
    flow: Flow,
    prefill: Answers | None = None,
    then: Then | None = None,
) -> None:
    """Begin `flow` for the user (replacing any unfinished one, and saying so when that was a
    check-in) and ask its first question."""
    svc = context.services
    profile = await load_profile(svc.store, update.effective_user.id)
    earlier = await current_draft(update, context)
    dropped = earlier is not None and earlier.flow in TIMELY
    answers = dict(prefill or {})
    draft = Draft(
        flow=flow.name,
        id=new_id(),
        answers=answers,
        prefilled=[q.key for q in flow.questions if q.produces(answers)],
        step=0,
        last_update_id=update.update_id,
        started_at=svc.clock.now().isoformat(),
        tz=athlete_zone_name(profile, svc.settings.default_tz),
        then=then,
    )
    note = DROPPED if dropped else ""
    await _advance(update, context, draft, flow.next_step(draft.answers), (None, note))


async def current_draft(update: Update, context: BotContext) -> Draft | None:
    """The user's unfinished flow, if any (as stored)."""
    doc = await context.services.store.state(update.effective_user.id, DRAFT)
    return Draft.from_doc(doc) if doc else None


async def live_draft(update: Update, context: BotContext) -> tuple[Draft | None, bool]:
    """The unfinished flow still worth answering, and whether a stale one was just dropped: a
    check-in left too long expires (its "right now" answers would be stale), with a word."""
    svc = context.services
    draft = await current_draft(update, context)
    if draft is None or draft.flow not in TIMELY:
        return draft, False
    started = datetime.fromisoformat(draft.started_at)
    if svc.clock.now() - started <= DRAFT_TTL:
        return draft, False
    await svc.store.set_state(update.effective_user.id, DRAFT, None)
    local = started.astimezone(zone(draft.tz))
    await update.effective_chat.send_message(EXPIRED.format(when=f"{local:%a %H:%M}"))
    return None, True


async def ask(
    update: Update,
    context: BotContext,
    draft: Draft,
    note: str = "",
    in_place: CallbackQuery | None = None,
) -> None:
    """Ask the draft's current question with its buttons, after an optional note.

    After a tap the tapped message becomes the next question (one call, a tidy chat);
    otherwise the question is a new message.
    """
    flow = FLOWS[draft.flow]
    question = flow.questions[draft.step]
    total = sum(1 for q in flow.questions if not _prefilled(q, draft))
    position = draft.step + 1 - sum(1 for q in flow.questions[: draft.step] if _prefilled(q, draft))
    progress = f"({position}/{total}) " if total > 1 else ""
    buttons = [
        (label, callbacks.answer(draft.id, draft.step, index))
        for index, (label, _raw) in enumerate(question.options)
    ]
    has_back = flow.previous_step(draft.step, draft.prefilled) is not None
    back = [(BACK_LABEL, callbacks.back(draft.id, draft.step))] if has_back else []
    text = (f"{note}\n\n" if note else "") + f"{progress}{question.prompt}"
    markup = keyboard(buttons, question.columns, last_row=back)
    if in_place is not None:
        with suppress(BadRequest):
            await in_place.edit_message_text(text, reply_markup=markup)
            return
    await update.effective_chat.send_message(text, reply_markup=markup)


def _prefilled(question: Question, draft: Draft) -> bool:
    """True for questions answered before the flow started (e.g. by a coach's session)."""
    return question.key in draft.prefilled


async def on_button(update: Update, context: BotContext) -> None:
    """A tap on an answer button: check it belongs to the live question, then apply it."""
    query = update.callback_query
    parsed = callbacks.parse_answer(query.data or "")
    draft, dropped = await live_draft(update, context)
    if dropped:  # said why: the old question has no use any more
        await answer_query(query)
        await drop_buttons(query)
        return
    if (
        parsed is None
        or draft is None
        or (draft.id, draft.step) != parsed[:2]
        or parsed[2] >= len(FLOWS[draft.flow].questions[draft.step].options)
        or (parsed[2] == callbacks.BACK and not _can_go_back(draft))
    ):
        await answer_query(query, STALE)
        with suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        return
    if update.update_id <= draft.last_update_id:
        await answer_query(query)
        return
    await answer_query(query)
    if parsed[2] == callbacks.BACK:
        await _go_back(update, context, draft, query)
        return
    question = FLOWS[draft.flow].questions[draft.step]
    label, raw = question.options[parsed[2]]
    await _apply(
        update, context, draft, question, raw, tapped=(query, f"✓ {question.title}: {label}")
    )


async def on_text(update: Update, context: BotContext) -> bool:
    """Typed text: answer the live question if there is one. False when no flow is running."""
    draft, dropped = await live_draft(update, context)
    if draft is None:
        return dropped  # an expired check-in was just explained: nothing more to say
    if update.update_id > draft.last_update_id:
        question = FLOWS[draft.flow].questions[draft.step]
        await _apply(update, context, draft, question, update.effective_message.text or "")
    return True


async def _apply(
    update: Update,
    context: BotContext,
    draft: Draft,
    question: Question,
    raw: str,
    tapped: Tapped | None = None,
) -> None:
    """Parse one answer; re-ask on bad input, else store it and move on."""
    svc = context.services
    tz = zone(draft.answers.get("tz") or draft.tz)  # onboarding may just have set it
    ctx = AnswerContext(now=svc.clock.now(), tz=tz)
    try:
        values = question.parse(raw, ctx)
    except ValueError as exc:
        await ask(update, context, draft, note=f"🤔 {exc}")
        return
    if tapped is None:  # a typed answer is confirmed in words, like a tap
        tapped = (None, f"✓ {question.title}: {question.echo(values, ctx)}")
    draft.answers.update(values)
    draft.last_update_id = update.update_id
    flow = FLOWS[draft.flow]
    step = flow.next_step(draft.answers, draft.step + 1)
    await _advance(update, context, draft, step, tapped)


def _can_go_back(draft: Draft) -> bool:
    """Whether the live question has an earlier one to go back to."""
    return FLOWS[draft.flow].previous_step(draft.step, draft.prefilled) is not None


async def _go_back(update: Update, context: BotContext, draft: Draft, query: CallbackQuery) -> None:
    """Re-ask the previous question, forgetting its answer and every later one."""
    flow = FLOWS[draft.flow]
    step = flow.previous_step(draft.step, draft.prefilled)
    for question in flow.questions[step:]:
        if question.key not in draft.prefilled:
            question.clear(draft.answers)
    draft.last_update_id = update.update_id
    await _advance(update, context, draft, step, (query, ""))


async def _advance(
    update: Update,
    context: BotContext,
    draft: Draft,
    step: int | None,
    tapped: Tapped | None = None,
) -> None:
    """Save the draft at `step` and ask it, or hand a finished draft to its completion."""
    query, confirmation = tapped or (None, "")
    if step is None:
        if query is not None:
            with suppress(BadRequest):
                await query.edit_message_text(confirmation)
        elif confirmation:  # a typed last answer is confirmed like a tapped one
            await update.effective_chat.send_message(confirmation)
        await hooks(context).completions[draft.flow](update, context, draft)
        return
    draft.step = step
    await context.services.store.set_state(update.effective_user.id, DRAFT, draft.to_doc())
    await ask(update, context, draft, note=confirmation, in_place=query)
