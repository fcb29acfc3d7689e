"""Random fault injection for the fake Bot API: Telegram's failure modes at a configurable rate."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from bot.fakeapi.errors import ApiError
from bot.fakeapi.methods import NOT_MODIFIED, TOO_OLD

# Each fault and the methods it can hit ("*" = any method).
FAULTS: dict[str, str] = {
    "429": "*",  # Too Many Requests with retry_after, nothing done
    "500": "*",  # Internal Server Error, nothing done
    "502": "*",  # Bad Gateway, nothing done
    "slow": "*",  # answered correctly after `slow_seconds`
    "timeout": "*",  # held for `hang_seconds`, then the connection drops, nothing done
    "drop": "*",  # the connection drops at once, nothing done
    "not_modified": "edit",  # 400 message is not modified (edit* methods)
    "too_old": "answercallbackquery",  # 400 query is too old
    "blocked": "send",  # 403: the athlete blocks the bot from now on (send* to a private chat)
}


@dataclass
class RandomFaults:
    """Decides, per API call, whether and how it fails; counts what it injected."""

    rate: float
    kinds: tuple[str, ...] = tuple(FAULTS)
    seed: int | None = None
    slow_seconds: float = 0.2
    hang_seconds: float = 1.0
    methods: frozenset[str] | None = None  # lower-case method names; None means every method
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        """Seed the generator and check the fault names."""
        unknown = set(self.kinds) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; use {sorted(FAULTS)}")
        self._rng = random.Random(self.seed)

    def pick(self, method: str, chat_id: object) -> str | None:
        """The fault for this call of `method` (to `chat_id`), or None to serve it normally."""
        name = method.lower()
        if self.methods is not None and name not in self.methods:
            return None
        if self._rng.random() >= self.rate:
            return None
        private = isinstance(chat_id, int) and chat_id > 0
        fits = [
            kind
            for kind in self.kinds
            if FAULTS[kind] == "*"
            or (name.startswith(FAULTS[kind]) and (kind != "blocked" or private))
        ]
        if not fits:
            return None
        kind = self._rng.choice(fits)
        self.injected[kind] += 1
        return kind

    def error(self, kind: str) -> ApiError | None:
        """The Telegram error answer of an error-type fault (None for slow/timeout/drop)."""
        return {
            "429": ApiError.build(429, None, 1),
            "500": ApiError.build(500, None, None),
            "502": ApiError.build(502, None, None),
            "not_modified": ApiError.bad_request(NOT_MODIFIED),
            "too_old": ApiError.bad_request(TOO_OLD),
            "blocked": ApiError(403, "Forbidden: bot was blocked by the user"),
        }.get(kind)
