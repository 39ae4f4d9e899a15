"""Resource events: what happened to which object, for webhook topics.

Stores announce `product.updated`, `order.created`... through an `EventSink`
once their transaction has committed. The webhook dispatcher is the real
sink; the home URL of the request that caused the event travels in a context
variable so the delivered payload can carry the same links.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

from storebridge.sandbox.db import Database

current_base_url: ContextVar[str | None] = ContextVar("sandbox_base_url", default=None)


class EventSink(Protocol):
    """Receives resource events."""

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """One event, e.g. ("order", "updated", 742)."""
        ...


class Announcer:
    """Queues events on the current transaction so rolled-back work stays silent."""

    def __init__(self, db: Database, sink: EventSink) -> None:
        self._db = db
        self._sink = sink

    def __call__(self, resource: str, event: str, resource_id: int) -> None:
        """Announce an event once the surrounding transaction commits."""
        self._db.after_commit(lambda: self._sink.emit(resource, event, resource_id))
