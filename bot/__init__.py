"""The bot: app shell, athlete domain, teams, storage and the fake Bot API (one package each)."""

import os

# Opt in now to PTB's future timedelta durations (e.g. RetryAfter.retry_after); our code takes both.
os.environ.setdefault("PTB_TIMEDELTA", "1")
