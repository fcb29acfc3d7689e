"""Build the telegram.ext Application: handlers, rate limiter, reminders restored at start-up."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from telegram import Bot
from telegram.ext import Application, ContextTypes, Defaults

import handlers
from bot.athletes.chart import Charts
from bot.athletes.reminders import Reminders
from bot.shell import flood
from bot.shell.clock import Clock, make_clock
from bot.shell.config import Settings
from bot.shell.context import KEY, BotContext, Services, services_of
from bot.shell.http import AiohttpRequest
from bot.shell.intake import DurablePolling, DurableWebhook, UpdatesRequest
from bot.shell.pacing import StrictRateLimiter
from bot.shell.updates import PerUserUpdateProcessor
from bot.storage import Store, TinyStore
from bot.teams.scheduler import TeamScheduler
from bot.teams.service import TeamService

log = logging.getLogger(__name__)


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    """The fully wired Application; reads every data file first (OSError, CorruptDataError)."""
    store = make_store(settings)
    clock = clock or make_clock(settings.clock_offset_file)
    reminders = Reminders(store, clock, timedelta(seconds=settings.claim_lease_seconds))
    teams = TeamService(store, clock, settings.default_tz)
    updates = UpdatesRequest(connect_timeout=settings.request_timeout)
    builder = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .defaults(Defaults(tzinfo=UTC))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerUserUpdateProcessor(guard=store.serialised))
        .request(
            AiohttpRequest(
                connect_timeout=settings.request_timeout,
                read_timeout=settings.request_timeout,
                write_timeout=settings.request_timeout,
            )
        )
        .get_updates_request(updates)
    )
    if settings.send_rate:  # whole calls per second, at least one
        builder = builder.rate_limiter(StrictRateLimiter(max(1, int(settings.send_rate))))
    urls = _api_urls(settings)
    if urls:
        builder = builder.base_url(urls["base_url"]).base_file_url(urls["base_file_url"])
    app = builder.build()
    app.bot_data[KEY] = Services(
        settings, store, clock, reminders, teams, TeamScheduler(teams), updates, Charts()
    )
    flood.install(app, settings.flood_max_updates, settings.flood_window_seconds)
    handlers.register(app)
    return app


def make_store(settings: Settings) -> Store:
    """PostgreSQL when BOT_DATABASE_URL is set (connected in on_startup), else TinyDB files."""
    if settings.database_url is not None:
        from bot.storage.postgres import PostgresStore

        return PostgresStore(
            settings.database_url.get_secret_value(),
            worker=settings.worker_id,
            pool_size=settings.db_pool_size,
            lease=timedelta(seconds=settings.claim_lease_seconds),
        )
    store = TinyStore(settings.data_dir)
    store.load()
    return store


async def check_store(settings: Settings) -> None:
    """Connect to (and migrate) the database once before starting: StoreUnavailable if not."""
    if settings.database_url is not None:
        store = make_store(settings)
        await store.open()
        await store.close()


async def check_token(settings: Settings) -> None:
    """Ask getMe once before starting: InvalidToken if the token is rejected, raised here rather
    than inside PTB's start-up loop, which would log it with a traceback."""
    async with Bot(settings.token.get_secret_value(), **_api_urls(settings)):
        pass


def _api_urls(settings: Settings) -> dict[str, str]:
    """The Bot API base URLs when BOT_API_URL is set (a local Bot API server, the fake API)."""
    if not settings.api_url:
        return {}
    return {
        "base_url": settings.api_url,
        "base_file_url": settings.api_url.replace("/bot", "/file/bot", 1),
    }


async def on_startup(app: Application) -> None:
    """Connect the store, register the command menu and start the reminder and team ticks."""
    svc = services_of(app)
    await svc.store.open()
    for scope, menu in handlers.basics.COMMAND_MENUS:
        await app.bot.set_my_commands(menu, scope=scope)
    svc.reminders.start(app, svc.settings.tick_seconds)
    svc.team_scheduler.start(app, svc.settings.tick_seconds)
    svc.charts.warm_up()
    log.info("bot @%s ready (worker %s)", app.bot.username, svc.settings.worker_id)


async def on_shutdown(app: Application) -> None:
    """Close the store's connections."""
    await services_of(app).store.close()


@asynccontextmanager
async def running(app: Application, poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Run the bot with durable long polling inside a running event loop (tests, sandbox)."""
    await app.initialize()
    await on_startup(app)
    await app.start()
    polling = DurablePolling(app, poll_timeout, services_of(app).updates_request)
    await polling.start()
    try:
        yield app
    finally:
        await polling.stop()
        await app.stop()
        await app.shutdown()
        await on_shutdown(app)


async def serve(app: Application, settings: Settings) -> None:
    """Run until SIGTERM or Ctrl+C: a webhook server with BOT_WEBHOOK_URL, else long polling;
    either confirms an update to Telegram only once it has been handled."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    await on_startup(app)
    await app.start()
    if settings.webhook_url and settings.webhook_secret:  # Settings demand both or neither
        intake: DurablePolling | DurableWebhook = DurableWebhook(
            app,
            settings.webhook_listen,
            settings.webhook_port,
            urlsplit(settings.webhook_url).path,
            settings.webhook_secret.get_secret_value(),
        )
        await intake.start(settings.webhook_url)
    else:
        intake = DurablePolling(app, request=services_of(app).updates_request)
        await intake.start()
    log.info("receiving updates (%s)", type(intake).__name__)
    try:
        await stop.wait()
    finally:
        await intake.stop()
        await app.stop()
        await app.shutdown()
        await on_shutdown(app)
