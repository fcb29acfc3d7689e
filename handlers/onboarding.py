"""/start: welcome and set-up (consent, time zone, bedtime); a known athlete gets a short menu."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.athletes.parsing import zone
from bot.athletes.profiles import Profile, consented, load_profile
from bot.athletes.questions import CONSENT, ONBOARDING
from bot.athletes.replanning import reschedule
from bot.athletes.service import forget
from bot.shell import callbacks
from bot.shell.context import BotContext, Services
from handlers.common import DRAFT, answer_query, drop_buttons, keyboard
from handlers.flow import Draft, Next, Then, continue_with, start_flow
from rules.general import general_tips
from rules.model import SESSION_LABELS, SessionType

WELCOME = (
    "Hi {name}! 👋 I'm your recovery assistant.\n\n"
    "Right after training, answer a few one-tap questions and I'll tell you how to recover: "
    "when and what to refuel, sleep, and when heavy legs call for caution. I'll also remind you "
    "of your refuel window and bedtime.\n\n"
    "My tips come from a sports-science article on heavy legs. They are general guidance, "
    "not medical advice."
)
WELCOME_BACK = (
    "Welcome back, {name}! 👋 You're set up (time zone {tz}, bedtime {bedtime}).\n\n"
    "/checkin right after training\n/history your recent check-ins and trends\n"
    "/settings time zone, bedtime, reminders, consent\n/help everything else"
)
DECLINED = (
    "No problem: I haven't stored anything about you. Without storing answers I can't give "
    "personal advice or reminders, but here are general tips. What kind of session was it? "
    "(Nothing you tap is stored.) Send /start if you change your mind."
)
ALREADY_SET_UP = (
    "That's an old question: you're set up already. /settings changes your time zone, bedtime "
    "and consent; /forget erases everything."
)
STILL_WITHDRAWN = (
    "Understood: consent stays withdrawn, so I store nothing new. What you saved earlier stays "
    "until you send /forget."
)


async def start(update: Update, context: BotContext) -> None:
    """Welcome a newcomer and run set-up; a known athlete gets a short menu instead."""
    name = update.effective_user.first_name or "there"
    profile = await load_profile(context.services.store, update.effective_user.id)
    if consented(profile):
        await update.effective_chat.send_message(
            WELCOME_BACK.format(name=name, tz=profile.tz, bedtime=profile.bedtime)
        )
        return
    if profile is None:
        await update.effective_chat.send_message(WELCOME.format(name=name))
    await begin_setup(update, context)


async def begin_setup(update: Update, context: BotContext, then: Then | None = None) -> None:
    """Run set-up. Someone never stored is asked for consent first with nothing written: the
    buttons carry what to continue with, so an unanswered or declined question leaves no trace."""
    profile = await load_profile(context.services.store, update.effective_user.id)
    if profile is not None:  # stored answers are not asked again: only consent is
        await start_flow(update, context, ONBOARDING, prefill=_known(profile), then=then)
        return
    agree = callbacks.consent_yes(str(then.next) if then else "")
    if then and then.next is Next.JOIN:
        agree = callbacks.consent_join(then.data["code"])
    await update.effective_chat.send_message(
        CONSENT.prompt,
        reply_markup=keyboard([("✅ I agree", agree), ("No thanks", callbacks.CONSENT_NO)]),
    )


async def on_consent(update: Update, context: BotContext) -> None:
    """The first consent buttons: agreeing starts the stored set-up; declining stores nothing."""
    query = update.callback_query
    parsed = callbacks.parse_consent(query.data or "")
    await answer_query(query)
    profile = await load_profile(context.services.store, update.effective_user.id)
    if consented(profile) or (profile is not None and parsed is None):
        await drop_buttons(query)  # an old question: /settings changes consent
        await update.effective_chat.send_message(
            ALREADY_SET_UP if consented(profile) else STILL_WITHDRAWN
        )
        return
    if parsed is None:
        with suppress(BadRequest):
            await query.edit_message_text(f"{CONSENT.prompt}\n\n✓ No thanks")
        await declined(update)
        return
    with suppress(BadRequest):
        await query.edit_message_text("✓ Consent: I agree")
    prefill = {"consent": True} | _known(profile)  # agreeing again keeps what was stored
    await start_flow(update, context, ONBOARDING, prefill=prefill, then=_then(*parsed))


def _known(profile: Profile | None) -> dict[str, str]:
    """The stored answers set-up does not ask again (time zone, bedtime)."""
    known = {"tz": profile.tz, "bedtime": profile.bedtime} if profile else {}
    return {key: value for key, value in known.items() if value}


def _then(step: str, code: str) -> Then | None:
    """The continuation a first consent button carries (a join link's code, or a step name)."""
    if code:
        return Then(Next.JOIN, {"code": code})
    return Then(Next(step)) if step in set(Next) else None


async def declined(update: Update) -> None:
    """Say nothing is stored, and offer the general tips for a kind of session."""
    buttons = [(label, callbacks.general(str(kind))) for kind, label in SESSION_LABELS.items()]
    await update.effective_chat.send_message(DECLINED, reply_markup=keyboard(buttons))


async def on_general(update: Update, _context: BotContext) -> None:
    """General tips for the tapped kind of session, in place; nothing is read or stored."""
    query = update.callback_query
    kind = callbacks.parse_with(callbacks.GENERAL_PATTERN, query.data or "")
    await answer_query(query)
    if kind not in set(SessionType):
        await drop_buttons(query)
        return
    with suppress(BadRequest):
        await query.edit_message_text(general_tips(SessionType(kind)))


async def require_profile(update: Update, context: BotContext, then: Then) -> bool:
    """True when the athlete has consented; otherwise start set-up (then continue with `then`)."""
    profile = await load_profile(context.services.store, update.effective_user.id)
    if consented(profile):
        return True
    await update.effective_chat.send_message(
        "First a 20-second set-up, so I can time your reminders and keep your answers."
    )
    await begin_setup(update, context, then)
    return False


async def consented_profile(update: Update, context: BotContext) -> dict[str, Any] | None:
    """The profile if the athlete consents to storing answers; else drop the draft and say so."""
    svc = context.services
    uid = update.effective_user.id
    profile = await load_profile(svc.store, uid)
    if consented(profile):
        return profile
    await svc.store.set_state(uid, DRAFT, None)
    await update.effective_chat.send_message(
        "You've withdrawn consent, so I didn't store these answers. /start to change that."
    )
    return None


async def finish(update: Update, context: BotContext, draft: Draft) -> None:
    """Save the profile (or respect a refusal) and say what happens next."""
    svc = context.services
    uid = update.effective_user.id
    answers = draft.answers
    profile = await load_profile(svc.store, uid)
    chat = update.effective_chat
    if not answers.get("consent"):
        if consented(profile):
            await withdraw_consent(svc, uid)
            await chat.send_message(
                "Understood: from now on I won't store new answers. What you saved earlier "
                "stays until you send /forget. Change your mind any time with /start."
            )
        elif profile is None:
            await forget(svc.store, uid)  # a half-done set-up leaves nothing behind
            await declined(update)
        else:  # consent was withdrawn before: what was saved stays until /forget
            await svc.store.set_state(uid, DRAFT, None)
            await chat.send_message(STILL_WITHDRAWN)
        return
    now = svc.clock.now()
    changes = {
        "consent": True,
        "consent_at": now.isoformat(),
        "tz": answers["tz"],
        "bedtime": answers["bedtime"],
        "active": True,
    }
    if not profile:
        changes["created_at"] = now.isoformat()
    await svc.store.update_profile(uid, changes, clear_state=DRAFT)
    await reschedule(svc, uid)
    local = now.astimezone(zone(answers["tz"])).strftime("%H:%M")
    await chat.send_message(
        f"All set ✅\nTime zone: {answers['tz']} (it's {local} there)\n"
        f"Bedtime: {answers['bedtime']}\n\n"
        "After training, send /checkin: about 30 seconds of taps. /help lists everything."
    )
    if draft.then is not None:
        await continue_with(update, context, draft.then)


async def withdraw_consent(svc: Services, uid: int) -> None:
    """Stop storing new answers (dropping half-answered questions) and stop the reminders."""
    await svc.store.update_profile(uid, {"consent": False}, clear_state=DRAFT)
    await reschedule(svc, uid)
