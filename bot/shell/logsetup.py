"""Logging that never prints the bot token."""

from __future__ import annotations

import logging


class RedactFilter(logging.Filter):
    """Replace secrets in a record's final message."""

    def __init__(self, secrets: list[str]) -> None:
        """Remember what to hide."""
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, with every secret masked."""
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "<token>")
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "<token>")
            record.exc_info = None
        return True


def configure_logging(level: str, token: str) -> None:
    """Log to stderr at `level`, masking the token; keep HTTP and wire-level logs quiet."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter([token]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # PTB's DEBUG lines carry whole API payloads (athletes' answers): never below INFO.
    for wire in ("telegram", "tornado"):
        logging.getLogger(wire).setLevel(max(logging.INFO, root.level))
