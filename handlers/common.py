"""Small helpers shared by the feature handlers."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

DRAFT = "draft"


def keyboard(
    buttons: list[tuple[str, str]], columns: int = 2, last_row: Sequence[tuple[str, str]] = ()
) -> InlineKeyboardMarkup | None:
    """An inline keyboard of (label, callback_data) in rows of `columns`, then `last_row`."""
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    rows += [list(last_row)] if last_row else []
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button tap; a query that is too old to answer is not an error."""
    with suppress(BadRequest):
        await query.answer(text, show_alert=alert)


async def drop_buttons(query: CallbackQuery, prefix: str | None = None) -> None:
    """Remove a message's buttons (or only those whose data starts with `prefix`)."""
    markup = query.message.reply_markup if query.message else None
    if markup is None:
        return
    rows = [
        [b for b in row if prefix is not None and not str(b.callback_data).startswith(prefix)]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    with suppress(BadRequest):
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
