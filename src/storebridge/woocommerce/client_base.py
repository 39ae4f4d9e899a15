"""The session-owning core of `WooClient`: lifecycle, raw requests, paging, batches.

`ClientBase` holds one `WooSession` (auth, retries, counters, concurrency)
and exposes the generic operations every typed endpoint method in
`client.py` is built from.  It exists so that each module keeps one job and
a readable size; use `WooClient`, not this class.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

import httpx

from storebridge.woocommerce import pagination
from storebridge.woocommerce.batch import DEFAULT_BATCH_LIMIT, BatchOutcome, run_batch
from storebridge.woocommerce.concurrency import ConcurrencyLevel
from storebridge.woocommerce.connection import WooConnection
from storebridge.woocommerce.order_payloads import Order
from storebridge.woocommerce.params import Params
from storebridge.woocommerce.payloads import Customer, Product, Variation, Webhook
from storebridge.woocommerce.session import RequestOptions, SessionOptions, WooSession
from storebridge.woocommerce.stats import RequestStats

__all__ = ["ClientBase", "Payload"]

Payload = Mapping[str, Any]
M = TypeVar("M", Product, Variation, Order, Customer, Webhook)


class ClientBase:
    """Session lifecycle and the generic request, paging and batch operations."""

    def __init__(
        self,
        connection: WooConnection,
        *,
        batch_limit: int = DEFAULT_BATCH_LIMIT,
        **options: Unpack[SessionOptions],
    ) -> None:
        """Build the client (no I/O happens until the first request).

        Args:
            connection: URL, keys and limits of the store.
            batch_limit: objects per batch request (the server accepts at most 100).
            options: the session's transport, auth, retry policy, sleep, rng,
                on_request hook and concurrency_policy (`WooSession.__init__` says what each does).
        """
        self._session = WooSession(connection, **options)
        self.batch_limit = batch_limit

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._session.aclose()

    @property
    def stats(self) -> RequestStats:
        """Request counters (snapshot() / reset())."""
        return self._session.stats

    @property
    def concurrency(self) -> ConcurrencyLevel:
        """The batch concurrency the client chose, and the highest it reached."""
        return self._session.concurrency.level()

    def resume_concurrency(self, level: int) -> None:
        """Start the batch concurrency at `level` (where the store's last run ended).

        Call it before the first batch; see `ConcurrencyController.resume`.
        """
        self._session.concurrency.resume(level)

    @property
    def connection(self) -> WooConnection:
        """The connection settings this client uses."""
        return self._session.connection

    # -- generic -----------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, retry: bool = True, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        """Send one request with retries (`retry=False`: one attempt); see `WooSession.request`."""
        return await self._session.request(method, path, retry=retry, **options)

    async def request_json(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """Send one request with retries and return its decoded JSON body."""
        return await self._session.request_json(method, path, **options)

    def iter_pages(
        self, path: str, params: Params | None = None, *, fields: Sequence[str] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list endpoint (100 per page, following X-WP-TotalPages)."""
        return pagination.iter_pages(self._session, path, params, fields=fields)

    def iter_items(
        self, path: str, params: Params | None = None, *, fields: Sequence[str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every object of a list endpoint, across pages."""
        return pagination.iter_items(self._session, path, params, fields=fields)

    async def batch(
        self,
        path: str,
        *,
        create: Sequence[Payload] = (),
        update: Sequence[Payload] = (),
        delete: Sequence[int] = (),
        limit: int | None = None,
    ) -> BatchOutcome:
        """Run a batch through `path` in chunks of at most `limit` objects in total."""
        return await run_batch(
            self._session,
            path,
            create=create,
            update=update,
            delete=delete,
            limit=limit or self.batch_limit,
        )

    async def _models(
        self, model: type[M], path: str, params: Params, fields: Sequence[str] | None
    ) -> AsyncIterator[M]:
        async for item in self.iter_items(path, params, fields=fields):
            yield model.model_validate(item)
