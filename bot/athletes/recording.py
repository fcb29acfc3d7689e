"""Recording a finished check-in: guidance, reminders and the reply stored in one write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.athletes.profiles import Profile, athlete_bedtime, athlete_zone, load_profile, new_id
from bot.athletes.reminder_records import record_for, reply_record
from bot.storage import Store
from bot.storage.base import pending
from rules.engine import AdviceItem, advise
from rules.facts import ends_episode, needs_followup
from rules.model import CheckIn, Kind
from rules.preferences import apply_preferences
from rules.reminders import (
    NUTRITION_KINDS,
    ReminderKind,
    ReminderPlan,
    ReminderStatus,
    plan_reminders,
)

# A newer check-in's plan replaces an earlier one's of the same kind: one wind-down per night,
# one refuel nudge at a time, one follow-up per episode.
REPLACED_BY_KIND = (ReminderKind.BEDTIME, ReminderKind.FOLLOWUP, *NUTRITION_KINDS)


async def checkin_history(store: Store, uid: int) -> list[CheckIn]:
    """The athlete's stored check-ins and follow-ups as models, oldest first."""
    return [CheckIn.from_record(r) for r in await store.checkins(uid)]


@dataclass(frozen=True, slots=True)
class Recorded:
    """A stored check-in: its guidance reply (an outbox record) and whether it raised a flag."""

    reply: dict[str, Any]
    red_flag: bool


def superseded(
    model: CheckIn, plans: Sequence[ReminderPlan], stored: Sequence[dict[str, Any]]
) -> list[str]:
    """Ids of earlier check-ins' pending reminders that this check-in's plan replaces."""
    if model.kind is not Kind.CHECKIN:
        return []
    kinds = {plan.kind for plan in plans} & set(REPLACED_BY_KIND)
    if needs_followup(model) or ends_episode(model):
        kinds.add(ReminderKind.FOLLOWUP)  # a new episode's follow-up, or none: the old one is moot
    return [
        r["id"]
        for r in stored
        if pending(r) and r.get("checkin_id") != model.id and r["kind"] in kinds
    ]


async def record_checkin(
    store: Store,
    uid: int,
    profile: Profile,
    model: CheckIn,
    default_tz: str,
    *,
    clear_state: str,
) -> Recorded | None:
    """Advise, plan the reminders and store it all with the reply in one write; None if this
    check-in was already stored (a redelivered update)."""
    now = model.created_at
    tz, bedtime = athlete_zone(profile, default_tz), athlete_bedtime(profile)
    plans = plan_reminders(model, now, tz=tz, bedtime=bedtime) if model.kind is Kind.CHECKIN else []
    plans = apply_preferences(plans, profile.preferences, tz)
    plans = [plan for plan in plans if plan.due_at > now]  # what is due now, the reply says
    followup_at = next((p.due_at for p in plans if p.kind == ReminderKind.FOLLOWUP), None)
    history = await checkin_history(store, uid)
    advice = advise(model, history, now, tz=tz, bedtime=bedtime, followup_at=followup_at)
    records = [record_for(plan, uid, model.id, new_id()) for plan in plans]
    record = model.to_record() | model.extra | {"advice": advice.to_doc()}
    if advice.red_flag:
        record["red_flag"] = True
    ate = any(r["kind"] in NUTRITION_KINDS for r in records)
    reply = reply_record(uid, model.id, advice.render(), now, ate_button=ate, reminder_id=new_id())
    replaced = superseded(model, plans, await store.reminders(uid))
    changes = {
        "status": ReminderStatus.CANCELLED,
        "settled_at": now.isoformat(),
        "reason": "replaced",
    }
    if not await store.save_checkin(
        uid,
        record,
        [*records, reply],
        clear_state=clear_state,
        supersede={rid: changes for rid in replaced},
        create=False,  # only a stored (consenting) athlete's check-in is kept
    ):
        return None
    return Recorded(reply, advice.red_flag)


async def advised_points(
    store: Store, uid: int, checkin_id: str, default_tz: str
) -> list[AdviceItem] | None:
    """The points a check-in's reply showed, as stored with it; None if it is gone."""
    stored = await store.checkin(uid, checkin_id)
    if stored is None:
        return None
    if "advice" in stored:
        return [AdviceItem.from_doc(doc) for doc in stored["advice"]]
    # Stored before replies kept their points: rebuild them as they were advised then.
    model = CheckIn.from_record(stored)
    profile = await load_profile(store, uid)
    earlier = [c for c in await checkin_history(store, uid) if c.id != model.id]
    advice = advise(
        model,
        earlier,
        model.created_at,
        tz=athlete_zone(profile, default_tz),
        bedtime=athlete_bedtime(profile),
    )
    return list(advice.items)
