"""The services every handler reaches through the Application: settings, store, clock, jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

if TYPE_CHECKING:
    from bot.athletes.reminders import Reminders
    from bot.shell.clock import Clock
    from bot.shell.config import Settings
    from bot.storage import Store
    from bot.teams.scheduler import TeamScheduler

KEY = "services"


@dataclass(slots=True)
class Services:
    """The shared collaborators of one running bot."""

    settings: Settings
    store: Store
    clock: Clock
    reminders: Reminders
    teams: TeamScheduler


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services attached to this application."""
    return context.application.bot_data[KEY]
