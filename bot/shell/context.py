"""The typed handler context: every handler reaches the bot's services as `context.services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from bot.athletes.chart import Charts
    from bot.athletes.reminders import Reminders
    from bot.shell.clock import Clock
    from bot.shell.config import Settings
    from bot.shell.intake import UpdatesRequest
    from bot.storage import Store
    from bot.teams.scheduler import TeamScheduler
    from bot.teams.service import TeamService

KEY = "services"


@dataclass(slots=True)
class Services:
    """The shared collaborators of one running bot."""

    settings: Settings
    store: Store
    clock: Clock
    reminders: Reminders
    teams: TeamService
    team_scheduler: TeamScheduler
    updates_request: UpdatesRequest
    charts: Charts


def services_of(app: Application) -> Services:
    """The services attached to a built application."""
    return app.bot_data[KEY]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with the bot's services attached (PTB's `ContextTypes` hook)."""

    @property
    def services(self) -> Services:
        """The services of the application this update or job runs in."""
        return services_of(self.application)
