"""Pure, Telegram-free recovery guidance: rules from the heavy-legs article and reminder plans."""

from rules.engine import Advice, AdviceItem, advise
from rules.reminders import ReminderPlan, plan_reminders, reminder_still_useful

__all__ = [
    "Advice",
    "AdviceItem",
    "ReminderPlan",
    "advise",
    "plan_reminders",
    "reminder_still_useful",
]
