"""The one send policy for scheduled messages: send once and classify Telegram's answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

log = logging.getLogger(__name__)

RETRY_NETWORK = timedelta(seconds=10)


class Outcome(StrEnum):
    """What became of one send."""

    SENT = "sent"
    RETRY = "retry"  # 429 or a network/server fault: try again at `retry_at`
    BLOCKED = "blocked"  # 403: the user blocked the bot, or it was removed
    REJECTED = "rejected"  # 400: this message will never be accepted
    MIGRATED = "migrated"  # the group became the supergroup `migrate_to`


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one send, with when to retry or where the group moved."""

    outcome: Outcome
    retry_at: datetime | None = None
    migrate_to: int | None = None


async def send_once(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, now: datetime
) -> Delivery:
    """Send one message, classifying Telegram's answer (429 retry_after, 5xx/timeouts, 403)."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except RetryAfter as exc:
        return Delivery(Outcome.RETRY, now + _seconds(exc.retry_after))
    except ChatMigrated as exc:
        return Delivery(Outcome.MIGRATED, migrate_to=exc.new_chat_id)
    except Forbidden:
        return Delivery(Outcome.BLOCKED)
    except BadRequest as exc:
        log.warning("message to chat %s rejected by Telegram: %s", chat_id, exc.message)
        return Delivery(Outcome.REJECTED)
    except (NetworkError, TelegramError) as exc:
        log.warning("sending to chat %s failed (%s), will retry", chat_id, exc)
        return Delivery(Outcome.RETRY, now + RETRY_NETWORK)
    return Delivery(Outcome.SENT)


def _seconds(value: float | timedelta) -> timedelta:
    """A retry_after value (int seconds or timedelta, depending on PTB settings) as a timedelta."""
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))
