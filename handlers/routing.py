"""Everything no feature claims gets a sensible answer: free text, unknown commands, stickers,
edits, group commands meant for a private chat, stale buttons, and errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.shell.context import BotContext
from bot.storage import StorageWriteError
from handlers import flow
from handlers.common import answer_query, drop_buttons

log = logging.getLogger(__name__)


async def text(update: Update, context: BotContext) -> None:
    """Free text: an answer to the live question, or a pointer to what to do."""
    if not await flow.on_text(update, context):
        await update.effective_chat.send_message(
            "After training, send /checkin and I'll take it from there. /help lists everything."
        )


async def unknown_command(update: Update, _context: BotContext) -> None:
    """A command we don't have."""
    word = (update.effective_message.text or "").split()[0].split("@")[0][:32]
    await update.effective_chat.send_message(f"Sorry, I don't know {word}. Try /checkin or /help.")


async def not_text(update: Update, _context: BotContext) -> None:
    """Stickers, photos, voice, locations...: say what we understand."""
    await update.effective_chat.send_message(
        "I can only read text and button taps. Tap a button or type your answer."
    )


async def edited(update: Update, _context: BotContext) -> None:
    """Edits aren't re-read; ask for a fresh message instead."""
    if update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        await update.effective_chat.send_message(
            "I don't pick up edited messages. Please send the corrected answer as a new message."
        )


async def group_command(update: Update, _context: BotContext) -> None:
    """Check-ins are personal: send people to a private chat."""
    username = _context.bot.username
    await update.effective_chat.send_message(
        f"Check-ins are private. Message me directly: https://t.me/{username}"
    )


async def stale_button(update: Update, _context: BotContext) -> None:
    """A button we no longer understand."""
    query = update.callback_query
    await answer_query(query, "This button no longer works. Send /checkin to start a new check-in.")
    await drop_buttons(query)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (no message contents) and tell the athlete, in plain words."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, StorageWriteError):
        log.error("update %s: storage write failed: %s", update_id, error)
        reply = (
            "⚠️ I couldn't save that just now (a storage problem on my side). Your earlier "
            "answers are safe. Please send your last answer again in a minute."
        )
    elif isinstance(error, NetworkError | Forbidden | RetryAfter):  # Telegram-side trouble
        log.warning("update %s: Telegram call failed: %s", update_id, error)
        reply = "Sorry, I lost the connection for a moment. Please send that again."
    else:
        log.error("update %s failed", update_id, exc_info=error)
        reply = "Sorry, something went wrong on my side. Your saved data is safe; please try again."
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query:
            await answer_query(update.callback_query)
        if update.effective_chat.type == ChatType.PRIVATE:
            await update.effective_chat.send_message(reply)
    except TelegramError as exc:  # Telegram is still failing: the athlete will simply retry
        log.warning("update %s: could not tell the user either: %s", update_id, exc)
