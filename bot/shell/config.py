"""Settings from the environment (and an optional .env file)."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.athletes.parsing import zone

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
MIN_SECRET = 16  # about 96 bits from Telegram's alphabet: not guessable by trying
SECRET_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{{MIN_SECRET},256}}$")
S = TypeVar("S", bound="StorageSettings")


class ConfigError(Exception):
    """A configuration problem, worded as one line for the operator."""


class StorageSettings(BaseSettings):
    """Where the data lives: all that commands which never talk to Telegram need."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: SecretStr | None = Field(
        None, description="postgresql://user:password@host:port/db; unset: TinyDB in data_dir"
    )

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        """Only PostgreSQL URLs are understood (an empty value means TinyDB)."""
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        if not re.match(r"^postgres(ql)?://", url):
            raise ValueError("must start with postgresql:// (unset it to use TinyDB files)")
        if not _unambiguous(url):
            raise ValueError(
                "cannot be read as user:password@host:port/db: percent-encode @ # / ? in the "
                "password (%40 %23 %2F %3F)"
            )
        return SecretStr(url)


def _unambiguous(url: str) -> bool:
    """A database URL whose password cannot spill into host, port, path, query or fragment."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    spilled = "@" in parts.path + parts.query + parts.fragment or parts.netloc.count("@") > 1
    return not spilled and not parts.fragment


class Settings(StorageSettings):
    """Everything the bot reads from BOT_* environment variables."""

    token: SecretStr = Field(description="Bot token from @BotFather")
    api_url: str | None = Field(
        None, description="Bot API base URL, e.g. http://127.0.0.1:8081/bot"
    )
    default_tz: str = "UTC"
    log_level: str = "INFO"
    tick_seconds: float = Field(0.25, gt=0, le=60, description="How often due reminders are sent")
    send_rate: float = Field(
        28.0, ge=0, le=30, description="Messages/s the bot allows itself overall; 0: no pacing"
    )
    request_timeout: float = Field(10.0, gt=0, description="Seconds before an API call has failed")
    flood_max_updates: int = Field(20, ge=1, description="Updates one user may send per window")
    flood_window_seconds: float = Field(10.0, gt=0, description="The flood limit's sliding window")
    webhook_url: str | None = Field(None, description="Public HTTPS URL; set = webhook mode")
    webhook_secret: SecretStr | None = Field(
        None, description="X-Telegram-Bot-Api-Secret-Token value (16-256 of A-Z a-z 0-9 _ -)"
    )
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    db_pool_size: int = Field(10, ge=2, le=200, description="PostgreSQL connections per worker")
    claim_lease_seconds: float = Field(
        60.0, ge=1, le=3600, description="How long a worker's claim on a due reminder lasts"
    )
    worker_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This process's name in reminder claims (several workers, one database)",
    )
    clock_offset_file: Path | None = Field(
        None, description="Testing only: a file holding seconds added to the clock"
    )

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        """Reject anything that is not shaped like a BotFather token."""
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError(
                "does not look like a bot token (expected digits:secret from @BotFather)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 of A-Z, a-z, 0-9, _ and -; fewer than 16 is guessable."""
        if value is not None and not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError(
                f"must be {MIN_SECRET}-256 characters of A-Z, a-z, 0-9, _ and - (a long random "
                "one, e.g. from `openssl rand -hex 32`)"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        """Webhook mode without a secret would accept forged updates from anyone."""
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("BOT_WEBHOOK_SECRET is required when BOT_WEBHOOK_URL is set")
        return self

    @field_validator("default_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """Accept only time zones we can resolve."""
        zone(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        """Normalise and check the log level name."""
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"BOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {value!r}")
        return level


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one ConfigError line."""
    return _load(Settings, overrides)


def load_storage_settings(**overrides: object) -> StorageSettings:
    """Read only BOT_DATA_DIR and BOT_DATABASE_URL (no token needed), errors as one line."""
    return _load(StorageSettings, overrides)


def _load(kind: type[S], overrides: dict[str, object]) -> S:
    """Build `kind` from the environment, turning validation errors into one ConfigError line."""
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "BOT_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        if not first["loc"]:  # a cross-field check: its message names the variables itself
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from None
        if first["type"] == "missing":
            raise ConfigError(f"{name} is not set (get a token from @BotFather)") from None
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {reason}") from None
