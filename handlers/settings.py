"""/settings: time zone, bedtime, which reminders, quiet hours, morning check-in, consent."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, tzinfo
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from bot.athletes.profiles import Profile, athlete_bedtime, athlete_zone, load_profile
from bot.athletes.questions import SETTING_FLOWS
from bot.athletes.replanning import reschedule
from bot.shell import callbacks
from bot.shell.context import BotContext, Services
from handlers.common import DRAFT, answer_query, drop_buttons, keyboard
from handlers.flow import Draft, start_flow
from handlers.onboarding import withdraw_consent
from rules.preferences import wind_down_blocked
from rules.reminders import ReminderKind

TOGGLES = {
    "nutrition": "Refuel reminders",
    "bedtime": "Bedtime reminder",
    "followup": "48 h follow-up",
}
NO_PROFILE = "There's nothing to set yet: send /start first."
WITHDRAWN = (
    "Consent withdrawn: I won't store any new answers and your reminders are stopped. What you "
    "saved earlier stays until you send /forget (or /export it first). /start to agree again."
)


PLANNED = {
    ReminderKind.NUTRITION_OPEN: "refuel reminder",
    ReminderKind.NUTRITION_LAST_CALL: "refuel last call",
    ReminderKind.BEDTIME: "wind-down before bed",
    ReminderKind.FOLLOWUP: "48 h follow-up",
    ReminderKind.READINESS: "morning check-in",
    ReminderKind.TEAM_PROMPT: "team check-in prompt",
    ReminderKind.TEAM_REPROMPT: "team check-in nudge",
}
QUIET_COVERS_BEDTIME = (
    "⚠️ Your quiet hours start over an hour before your bedtime wind-down, so I can't send it. "
    "Change the quiet hours or your bedtime, or switch the bedtime reminder off."
)


def planned(pending: list[dict[str, Any]], tz: tzinfo) -> str:
    """What is really planned now, in words and local times."""
    items = sorted(
        (datetime.fromisoformat(r["due_at"]), PLANNED[r["kind"]])
        for r in pending
        if r["kind"] in PLANNED
    )
    if not items:
        return "Nothing is planned right now: reminders are planned after each check-in."
    return (
        "Planned now: "
        + ", ".join(f"{what} {due.astimezone(tz):%a %H:%M}" for due, what in items)
        + "."
    )


def render(profile: Profile, now: datetime, default_tz: str) -> str:
    """The current settings in words, with a warning when they conflict."""
    prefs = profile.preferences
    bedtime = athlete_bedtime(profile)
    tz = athlete_zone(profile, default_tz)
    blocked = bedtime is not None and wind_down_blocked(prefs, bedtime, tz, now)
    quiet = "–".join(t.strftime("%H:%M") for t in prefs.quiet) if prefs.quiet else "off"
    ready = prefs.readiness_at.strftime("%H:%M") if prefs.readiness_at else "off"
    switched = ", ".join(
        f"{label.lower()} {'off' if group in prefs.off else 'on'}"
        for group, label in TOGGLES.items()
    )
    consent = "given" if profile.consent else "withdrawn (no new answers are stored)"
    return (
        "⚙️ Your settings\n"
        f"Time zone: {profile.tz or 'not set'}\n"
        f"Bedtime: {profile.bedtime or 'not set'}\n"
        f"Reminders: {switched}\n"
        f"Quiet hours: {quiet}\n"
        f"Morning check-in: {ready}\n"
        f"Consent to store answers: {consent}\n\n"
        + (f"{QUIET_COVERS_BEDTIME}\n\n" if blocked else "")
        + "Tap to change; changes apply to reminders already planned, straight away."
    )


def buttons(profile: Profile) -> list[tuple[str, str]]:
    """The settings keyboard for this profile."""
    off = profile.preferences.off
    toggles = [
        (f"{'❌' if group in off else '✅'} {label}", callbacks.setting(f"toggle:{group}"))
        for group, label in TOGGLES.items()
    ]
    rows = [
        ("🌍 Time zone", callbacks.setting("tz")),
        ("🛏 Bedtime", callbacks.setting("bed")),
        *toggles,
        ("🌙 Quiet hours", callbacks.setting("quiet")),
        ("☀️ Morning check-in", callbacks.setting("ready")),
    ]
    if profile.consent:
        rows.append(("🚫 Withdraw consent", callbacks.setting("consent")))
    return rows


async def show(update: Update, svc: Services, profile: Profile, note: str = "") -> None:
    """Send the settings message with its buttons."""
    settings = render(profile, svc.clock.now(), svc.settings.default_tz)
    text = f"{note}\n\n{settings}" if note else settings
    await update.effective_chat.send_message(text, reply_markup=keyboard(buttons(profile)))


async def settings_command(update: Update, context: BotContext) -> None:
    """Show the settings."""
    profile = await load_profile(context.services.store, update.effective_user.id)
    if not profile:
        await update.effective_chat.send_message(NO_PROFILE)
        return
    await show(update, context.services, profile)


async def on_button(update: Update, context: BotContext) -> None:
    """A tap on a settings button."""
    query = update.callback_query
    action = callbacks.parse_with(callbacks.SETTINGS_PATTERN, query.data or "") or ""
    svc = context.services
    uid = update.effective_user.id
    profile = await load_profile(svc.store, uid)
    if not profile:
        await answer_query(query, NO_PROFILE, alert=True)
        await drop_buttons(query)
        return
    if action in SETTING_FLOWS:
        await answer_query(query)
        await start_flow(update, context, SETTING_FLOWS[action])
    elif action.startswith("toggle:") and action[7:] in TOGGLES:
        await _toggle(update, svc, profile, action[7:])
    elif action == "consent":
        await answer_query(query)
        await update.effective_chat.send_message(
            "Withdraw consent? I'll stop storing new answers and stop your reminders. Your "
            "saved data stays until /forget.",
            reply_markup=keyboard(
                [
                    ("Yes, withdraw", callbacks.setting("consent:yes")),
                    ("Keep", callbacks.setting("consent:no")),
                ]
            ),
        )
    elif action in {"consent:yes", "consent:no"}:
        await answer_query(query)
        await drop_buttons(query)
        if action == "consent:no":
            await update.effective_chat.send_message("Kept: nothing changed.")
            return
        await withdraw_consent(svc, uid)
        await update.effective_chat.send_message(WITHDRAWN)
    else:
        await answer_query(query, "This button no longer works. Send /settings again.")
        await drop_buttons(query)


async def _toggle(update: Update, svc: Services, profile: Profile, group: str) -> None:
    """Switch one reminder group on or off and refresh the settings message in place."""
    query = update.callback_query
    off = set(profile.reminders_off)
    off ^= {group}
    uid = update.effective_user.id
    profile = Profile.from_doc(await svc.store.update_profile(uid, {"reminders_off": sorted(off)}))
    await reschedule(svc, uid)
    state = "off" if group in off else "on"
    await answer_query(query, f"{TOGGLES[group]}: {state}")
    with suppress(BadRequest):
        await query.edit_message_text(
            render(profile, svc.clock.now(), svc.settings.default_tz),
            reply_markup=keyboard(buttons(profile)),
        )


async def setting_answered(update: Update, context: BotContext, draft: Draft) -> None:
    """Save the new value, move already planned reminders, show the settings again."""
    svc = context.services
    uid = update.effective_user.id
    profile = Profile.from_doc(
        await svc.store.update_profile(uid, draft.answers, clear_state=DRAFT)
    )
    pending = await reschedule(svc, uid)
    tz = athlete_zone(profile, svc.settings.default_tz)
    await show(update, svc, profile, note=f"Saved ✅ {planned(pending, tz)}")
