"""Start/stop services that are also async context managers (fake API, proxy, test workers)."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Service:
    """`async with` runs start() and, on leaving (or if starting fails half-way), stop()."""

    async def start(self) -> None:
        """Start the service."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop the service (safe after a partial start)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        """Start; stop what did start if that fails."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()
