"""Durable storage behind a small interface (TinyDB today)."""

from bot.storage.atomic import CorruptDataError, StorageWriteError
from bot.storage.store import PendingReminder, Store

__all__ = ["CorruptDataError", "PendingReminder", "StorageWriteError", "Store"]
