"""Making requests wait by the `ConcurrencyController`: the asyncio side of adaptive concurrency.

`BatchGate.admit()` is the one place a coroutine waits before a request:

- every request waits out a `Retry-After` pause the store imposed (unless it
  has already waited that long itself, before its own retry);
- a batch request also waits for a free place under the controller's limit,
  and gets the `Ticket` it reports its outcome with.

Reads do not take a place: they are cheap for the store and the session's
fixed `max_concurrency` semaphore bounds every request anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from storebridge.woocommerce.concurrency import ConcurrencyController, Ticket

__all__ = ["BatchGate"]


class BatchGate:
    """Admits requests by a controller's limit and pauses."""

    def __init__(
        self, controller: ConcurrencyController, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self.controller = controller
        self._sleep = sleep
        # Set (and replaced) whenever a batch ends: the waiters look at the limit again.
        self._freed = asyncio.Event()

    async def admit(self, *, batch: bool, waited_until: float | None = None) -> Ticket | None:
        """Wait until the request may start; a batch request gets its ticket.

        Args:
            batch: whether the request is a batch write (limited by the controller).
            waited_until: the pause deadline this request has already slept through
                (its own retry delay honoured the same Retry-After), so it does not
                wait twice for it.
        """
        honoured = waited_until
        while True:
            deadline = self.controller.paused_until
            if honoured is None or deadline > honoured:
                remaining = self.controller.pause_remaining()
                if remaining > 0:
                    await self._sleep(remaining)
                    # Re-checked only if the pause was extended meanwhile: an injected
                    # sleep that does not wait must not make this loop spin.
                    honoured = deadline
                    continue
            if not batch:
                return None
            ticket = self.controller.try_start()
            if ticket is not None:
                return ticket
            await self._freed.wait()
            # Woken by a finished request: a pause it reported is waited out first.

    def finished(self) -> None:
        """Wake the requests waiting for a place (call once a batch's outcome is reported).

        Synchronous, so that a cancelled request can still free its place on the way out.
        """
        freed, self._freed = self._freed, asyncio.Event()
        freed.set()
