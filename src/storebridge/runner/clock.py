"""The runner's notion of time: the current instant and a way to wait.

The scheduler never calls `datetime.now` or `asyncio.sleep` directly, so a
test can drive it with a manual clock and no real waiting.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from storebridge.persistence.types import utcnow

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Where the runner reads the time and waits."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (cancellable)."""


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return utcnow()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
