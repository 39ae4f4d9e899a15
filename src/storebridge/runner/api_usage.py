"""Which WooCommerce requests a job made, and how many failed, for the run log.

Engines open their own `WooClient`s through the store's `woo_factory`;
`instrument(services)` wraps that factory once so that every client built
while a job runs is remembered by the job's `ApiUsage` (a context variable,
so concurrent jobs of one store never mix their counts).  After the job,
`ApiUsage` totals the clients' request counters, failures included, which the
engines' own reports do not carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from storebridge.bootstrap import Services, WooFactory
from storebridge.sync.report import requests_by_kind
from storebridge.woocommerce import WooClient, WooConnection

__all__ = ["API_ERRORS", "API_REQUESTS", "ApiUsage", "collecting", "instrument"]

#: Keys the runner adds to a run's counts.
API_REQUESTS = "api_requests"
API_ERRORS = "api_errors"

_current: ContextVar[ApiUsage | None] = ContextVar("storebridge_api_usage", default=None)


@dataclass
class ApiUsage:
    """The clients one job execution built, and their combined counters."""

    clients: list[WooClient] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Every attempt sent, retries included."""
        return sum(client.stats.snapshot().total for client in self.clients)

    @property
    def errors(self) -> int:
        """Attempts that failed (HTTP 4xx/5xx or no response)."""
        return sum(
            sum(client.stats.snapshot().errors_by_status.values()) for client in self.clients
        )

    def by_endpoint(self) -> dict[str, int]:
        """Attempts keyed ``"METHOD /template"``, summed over the clients."""
        totals: dict[str, int] = {}
        for client in self.clients:
            for key, count in requests_by_kind(client.stats.snapshot()).items():
                totals[key] = totals.get(key, 0) + count
        return dict(sorted(totals.items()))

    def counts(self) -> dict[str, int]:
        """The two figures stored in the run's counts."""
        return {API_REQUESTS: self.requests, API_ERRORS: self.errors}


@contextmanager
def collecting() -> Iterator[ApiUsage]:
    """Remember every client built (through an instrumented factory) inside the block."""
    usage = ApiUsage()
    token = _current.set(usage)
    try:
        yield usage
    finally:
        _current.reset(token)


class _RecordingFactory:
    """A `WooFactory` that tells the current `ApiUsage` about each client it builds."""

    def __init__(self, inner: WooFactory) -> None:
        self.inner = inner

    def __call__(self, store: str, connection: WooConnection) -> WooClient:
        client = self.inner(store, connection)
        usage = _current.get()
        if usage is not None:
            usage.clients.append(client)
        return client


def instrument(services: Services) -> None:
    """Wrap every store's client factory so jobs can count their requests (idempotent)."""
    for store in services.stores.values():
        if not isinstance(store.woo_factory, _RecordingFactory):
            store.woo_factory = _RecordingFactory(store.woo_factory)
