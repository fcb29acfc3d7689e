"""The generic question engine: asks a flow's questions and keeps the draft in the store."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.athletes.parsing import zone
from bot.athletes.profiles import new_id
from bot.athletes.questions import FLOWS, AnswerContext, Flow, Question
from bot.shell import callbacks
from bot.shell.context import services
from handlers.common import DRAFT, answer_query, keyboard

log = logging.getLogger(__name__)

Draft = dict[str, Any]
Tapped = tuple[CallbackQuery, str]  # the tapped question message and the answer's confirmation
Completion = Callable[[Update, ContextTypes.DEFAULT_TYPE, Draft], Awaitable[None]]
COMPLETIONS: dict[str, Completion] = {}

STALE = "That button belongs to an earlier question. Please use the latest message."


def on_complete(flow_name: str) -> Callable[[Completion], Completion]:
    """Register what happens when a flow's last question is answered."""

    def register(fn: Completion) -> Completion:
        COMPLETIONS[flow_name] = fn
        return fn

    return register


async def start_flow(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow, prefill: Draft | None = None
) -> None:
    """Begin `flow` for the user (replacing any unfinished one) and ask its first question."""
    svc = services(context)
    profile = await svc.store.profile(update.effective_user.id)
    draft: Draft = {
        "flow": flow.name,
        "id": new_id(),
        "answers": dict(prefill or {}),
        "prefilled": [q.key for q in flow.questions if q.produces(prefill or {})],
        "step": 0,
        "last_update_id": update.update_id,
        "started_at": svc.clock.now().isoformat(),
        "tz": (profile or {}).get("tz") or svc.settings.default_tz,  # read once, not per answer
    }
    await _advance(update, context, draft, flow.next_step(draft["answers"]))


async def current_draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Draft | None:
    """The user's unfinished flow, if any."""
    return await services(context).store.state(update.effective_user.id, DRAFT)


async def ask(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    draft: Draft,
    note: str = "",
    in_place: CallbackQuery | None = None,
) -> None:
    """Ask the draft's current question with its buttons, after an optional note.

    After a tap the tapped message becomes the next question (one call, a tidy chat);
    otherwise the question is a new message.
    """
    flow = FLOWS[draft["flow"]]
    question = flow.questions[draft["step"]]
    total = sum(1 for q in flow.questions if not _prefilled(q, draft))
    position = (
        draft["step"] + 1 - sum(1 for q in flow.questions[: draft["step"]] if _prefilled(q, draft))
    )
    progress = f"({position}/{total}) " if total > 1 else ""
    buttons = [
        (label, callbacks.answer(draft["id"], draft["step"], index))
        for index, (label, _raw) in enumerate(question.options)
    ]
    text = (f"{note}\n\n" if note else "") + f"{progress}{question.prompt}"
    markup = keyboard(buttons, question.columns)
    if in_place is not None:
        with suppress(BadRequest):
            await in_place.edit_message_text(text, reply_markup=markup)
            return
    await update.effective_chat.send_message(text, reply_markup=markup)


def _prefilled(question: Question, draft: Draft) -> bool:
    """True for questions answered before the flow started (e.g. by a coach's session)."""
    return question.key in draft.get("prefilled", ())


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an answer button: check it belongs to the live question, then apply it."""
    query = update.callback_query
    parsed = callbacks.parse_answer(query.data or "")
    draft = await current_draft(update, context)
    if (
        parsed is None
        or draft is None
        or (draft["id"], draft["step"]) != parsed[:2]
        or parsed[2] >= len(FLOWS[draft["flow"]].questions[draft["step"]].options)
    ):
        await answer_query(query, STALE)
        with suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        return
    if update.update_id <= draft["last_update_id"]:
        await answer_query(query)
        return
    question = FLOWS[draft["flow"]].questions[draft["step"]]
    label, raw = question.options[parsed[2]]
    await answer_query(query)
    await _apply(
        update, context, draft, question, raw, tapped=(query, f"✓ {question.title}: {label}")
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Typed text: answer the live question if there is one. False when no flow is running."""
    draft = await current_draft(update, context)
    if draft is None:
        return False
    if update.update_id > draft["last_update_id"]:
        question = FLOWS[draft["flow"]].questions[draft["step"]]
        await _apply(update, context, draft, question, update.effective_message.text or "")
    return True


async def _apply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    draft: Draft,
    question: Question,
    raw: str,
    tapped: Tapped | None = None,
) -> None:
    """Parse one answer; re-ask on bad input, else store it and move on."""
    svc = services(context)
    tz = zone(draft["answers"].get("tz") or draft["tz"])  # onboarding may just have set it
    try:
        values = question.parse(raw, AnswerContext(now=svc.clock.now(), tz=tz))
    except ValueError as exc:
        await ask(update, context, draft, note=f"🤔 {exc}")
        return
    draft["answers"].update(values)
    draft["last_update_id"] = update.update_id
    flow = FLOWS[draft["flow"]]
    step = flow.next_step(draft["answers"], draft["step"] + 1)
    await _advance(update, context, draft, step, tapped)


async def _advance(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
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
        await COMPLETIONS[draft["flow"]](update, context, draft)
        return
    draft["step"] = step
    await services(context).store.set_state(update.effective_user.id, DRAFT, draft)
    await ask(update, context, draft, note=confirmation, in_place=query)
