"""/export: send the athlete everything stored about them (JSON with a field guide, and CSV)."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.athletes.export import build_csv, build_json
from bot.athletes.service import export_all
from bot.shell.context import BotContext


async def export(update: Update, context: BotContext) -> None:
    """Send the JSON export and the CSV of check-ins as documents."""
    svc = context.services
    uid = update.effective_user.id
    tables = await export_all(svc.store, uid)
    if not any(tables.values()):
        await update.effective_chat.send_message("I don't store anything about you.")
        return
    now = svc.clock.now()
    document = await asyncio.to_thread(build_json, uid, tables, now)
    sheet = await asyncio.to_thread(build_csv, tables.get("checkins", []))
    chat = update.effective_chat
    await chat.send_document(
        InputFile(document, filename="heavy-legs-export.json"),
        caption="Everything I store about you. The 'fields' section explains each field.",
    )
    await chat.send_document(
        InputFile(sheet, filename="heavy-legs-checkins.csv"),
        caption="Your check-ins as a spreadsheet (one row per answer set).",
    )
