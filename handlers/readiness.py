"""The optional morning readiness check-in (McLean's five wellness items)."""

from __future__ import annotations

from telegram import Update

from bot.athletes.profiles import athlete_zone
from bot.athletes.questions import READINESS
from bot.athletes.recording import checkin_history
from bot.shell.context import BotContext
from handlers.common import DRAFT, answer_query, drop_buttons
from handlers.flow import Draft, Next, Then, start_flow
from handlers.onboarding import consented_profile, require_profile
from rules.baseline import METRICS, READINESS_ITEMS, Level, assess, readiness_total
from rules.model import CheckIn, Kind

SOURCE_NOTE = (
    "This wellness score and its advice go beyond the article. Source: McLean et al. 2010, "
    "Int J Sports Physiol Perform 5(3):367–383."
)
READINESS_METRIC = next(m for m in METRICS if m.key == "readiness")


async def on_start(update: Update, context: BotContext) -> None:
    """The reminder's "Answer" button: ask the five questions."""
    query = update.callback_query
    await answer_query(query)
    await drop_buttons(query)
    if await require_profile(update, context, Then(Next.READINESS)):
        await start_readiness(update, context)


async def start_readiness(update: Update, context: BotContext, _data: object = None) -> None:
    """Ask the five questions (also the continuation after set-up)."""
    await start_flow(update, context, READINESS)


async def finish(update: Update, context: BotContext, draft: Draft) -> None:
    """Store the answers (with consent only) and compare the total with the athlete's usual."""
    svc = context.services
    uid = update.effective_user.id
    profile = await consented_profile(update, context)
    if profile is None:
        return
    now = svc.clock.now()
    items = {key: draft.answers[key] for key in READINESS_ITEMS}
    model = CheckIn(
        created_at=now,
        leg_heaviness=None,
        kind=Kind.READINESS,
        id=draft.id,
        update_id=update.update_id,
        extra=items,
    )
    if not await svc.store.save_checkin(uid, model.to_record() | items, [], clear_state=DRAFT):
        return
    tz = athlete_zone(profile, svc.settings.default_tz)
    history = await checkin_history(svc.store, uid)
    flag = assess(READINESS_METRIC, history, tz, now.astimezone(tz).date())
    await update.effective_chat.send_message(
        f"Thanks! Readiness today: {readiness_total(model)}/25. {_compare(flag.persistent)}\n\n"
        f"{SOURCE_NOTE}"
    )


def _compare(persistent: Level) -> str:
    """One line on how the recent days compare with the athlete's own last 4 weeks."""
    if persistent is Level.FLAG:
        return (
            "That's well below your usual on 2 of the last 3 days: keep today easy and look "
            "after sleep and food."
        )
    if persistent is Level.WATCH:
        return "A bit below your usual on 2 of the last 3 days: worth keeping an eye on."
    return "See /history for how it compares with your usual."
