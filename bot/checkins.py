"""Recording a finished check-in: guidance, reminders and the reply stored in one write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.profiles import athlete_bedtime, athlete_zone, new_id
from bot.reminders import NUTRITION_KINDS, record_for, reply_record
from bot.storage import Store
from rules.engine import advise
from rules.model import CheckIn, Kind
from rules.preferences import Preferences, apply_preferences
from rules.reminders import plan_reminders


async def checkin_history(store: Store, uid: int) -> list[CheckIn]:
    """The athlete's stored check-ins and follow-ups as models, oldest first."""
    return [CheckIn.from_record(r) for r in await store.checkins(uid)]


@dataclass(frozen=True, slots=True)
class Recorded:
    """A stored check-in: its guidance reply (an outbox record) and whether it raised a flag."""

    reply: dict[str, Any]
    red_flag: bool


async def record_checkin(
    store: Store,
    uid: int,
    profile: dict[str, Any],
    model: CheckIn,
    default_tz: str,
    *,
    clear_state: str,
) -> Recorded | None:
    """Advise, plan the reminders and store it all with the reply in one write; None if this
    check-in was already stored (a redelivered update)."""
    now = model.created_at
    tz, bedtime = athlete_zone(profile, default_tz), athlete_bedtime(profile)
    advice = advise(model, await checkin_history(store, uid), now, tz=tz, bedtime=bedtime)
    plans = plan_reminders(model, now, tz=tz, bedtime=bedtime) if model.kind is Kind.CHECKIN else []
    plans = apply_preferences(plans, Preferences.from_profile(profile), tz)
    plans = [plan for plan in plans if plan.due_at > now]  # what is due now, the reply says
    records = [record_for(plan, uid, model.id, new_id()) for plan in plans]
    record = model.to_record() | model.extra | ({"red_flag": True} if advice.red_flag else {})
    ate = any(r["kind"] in NUTRITION_KINDS for r in records)
    reply = reply_record(uid, model.id, advice.render(), now, ate_button=ate, reminder_id=new_id())
    if not await store.save_checkin(uid, record, [*records, reply], clear_state=clear_state):
        return None
    return Recorded(reply, advice.red_flag)
