"""Durable storage behind a small interface: TinyDB files by default, PostgreSQL when configured."""

from bot.storage.athlete_file import PendingReminder
from bot.storage.atomic import CorruptDataError, StorageWriteError
from bot.storage.base import Store, StoreUnavailable, TeamDoc, TeamStore
from bot.storage.tiny import TinyStore

__all__ = [
    "CorruptDataError",
    "PendingReminder",
    "StorageWriteError",
    "Store",
    "StoreUnavailable",
    "TeamDoc",
    "TeamStore",
    "TinyStore",
]
