"""The application shell: everything that is not one feature and not one rule."""

import os

# Opt in now to PTB's future timedelta durations (e.g. RetryAfter.retry_after); our code takes both.
os.environ.setdefault("PTB_TIMEDELTA", "1")
