"""`WooClient`: the async wc/v3 client every StoreBridge engine talks to a store through.

It is a thin facade: the HTTP layer with retries and counters is
`session.WooSession`, paging is `pagination`, batches are `batch`, and
duplicate-free creation is `safe_create`.  The typed methods below wrap the
endpoints the engines use and return the models of `payloads`.

Example::

    async with WooClient(connection) as woo:
        async for product in woo.iter_products(sku=["A-1", "B-2"]):
            ...
        outcome = await woo.batch_products(update=[{"id": 726, "stock_quantity": 3}])

For in-process tests against the sandbox, pass
`transport=httpx.ASGITransport(app=sandbox_app)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from storebridge.woocommerce.batch import BatchOutcome
from storebridge.woocommerce.client_base import ClientBase, Payload
from storebridge.woocommerce.order_payloads import Order
from storebridge.woocommerce.params import Params, ParamValue
from storebridge.woocommerce.payloads import Customer, Product, Variation, Webhook
from storebridge.woocommerce.safe_create import (
    CreateResult,
    create_products_safely,
    find_products_by_skus,
)

__all__ = ["WooClient"]


def _one_or_many(value: str | Iterable[str] | None) -> ParamValue:
    return value if value is None or isinstance(value, str) else list(value)


class WooClient(ClientBase):
    """Async client for one store's wc/v3 API; use it as an async context manager.

    Construct it with `WooClient(connection, transport=..., sleep=..., ...)`
    (see `ClientBase.__init__`).
    """

    # -- key -------------------------------------------------------------------------

    async def check_key(self) -> None:
        """One cheap authenticated read, not retried: a wrong or revoked key raises `WooAuthError`."""
        params: Params = {"per_page": 1, "_fields": "id"}
        await self._session.request("GET", "/products", params=params, retry=False)

    # -- products ----------------------------------------------------------------------

    def iter_products(
        self,
        *,
        sku: str | Iterable[str] | None = None,
        status: str | None = None,
        modified_after: datetime | None = None,
        include: Iterable[int] | None = None,
        search: str | None = None,
        type: str | None = None,
        fields: Sequence[str] | None = None,
        extra: Params | None = None,
    ) -> AsyncIterator[Product]:
        """Products matching the filters; `sku` lookups also return variations (§3.6)."""
        params: dict[str, ParamValue] = {
            "sku": _one_or_many(sku),
            "status": status,
            "include": list(include) if include is not None else None,
            "search": search,
            "type": type,
            **dict(extra or {}),
        }
        if modified_after is not None:
            params |= {"modified_after": modified_after, "dates_are_gmt": True}
        return self._models(Product, "/products", params, fields)

    async def list_products(self, **filters: Any) -> list[Product]:
        """`iter_products(**filters)` collected into a list."""
        return [product async for product in self.iter_products(**filters)]

    async def get_product(self, product_id: int, *, fields: Sequence[str] | None = None) -> Product:
        """One product (a variation id is rendered as a product too)."""
        params = {"_fields": list(fields)} if fields else None
        body = await self.request_json("GET", f"/products/{product_id}", params=params)
        return Product.model_validate(body)

    async def update_product(self, product_id: int, changes: Payload) -> Product:
        """Apply a partial update; absent fields are left alone."""
        body = await self.request_json("PUT", f"/products/{product_id}", json=dict(changes))
        return Product.model_validate(body)

    async def batch_products(
        self,
        *,
        create: Sequence[Payload] = (),
        update: Sequence[Payload] = (),
        delete: Sequence[int] = (),
    ) -> BatchOutcome:
        """Batch on `/products/batch`; prefer `create_products_safely` for creates."""
        return await self.batch("/products/batch", create=create, update=update, delete=delete)

    async def find_products_by_skus(self, skus: Iterable[str]) -> dict[str, Product]:
        """Products and variations holding these SKUs, keyed by trimmed lower-case SKU."""
        return await find_products_by_skus(self._session, skus)

    async def create_products_safely(self, payloads: Sequence[Payload]) -> list[CreateResult]:
        """Batch-create with SKU look-ups after ambiguous failures: never a duplicate."""
        return await create_products_safely(self._session, payloads, limit=self.batch_limit)

    # -- variations --------------------------------------------------------------------

    def iter_variations(
        self,
        product_id: int,
        *,
        sku: str | Iterable[str] | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[Variation]:
        """The variations of a variable product."""
        params: dict[str, ParamValue] = {"sku": _one_or_many(sku)}
        return self._models(Variation, f"/products/{product_id}/variations", params, fields)

    async def list_variations(self, product_id: int, **filters: Any) -> list[Variation]:
        """`iter_variations(product_id, **filters)` collected into a list."""
        return [v async for v in self.iter_variations(product_id, **filters)]

    async def batch_variations(
        self,
        product_id: int,
        *,
        create: Sequence[Payload] = (),
        update: Sequence[Payload] = (),
        delete: Sequence[int] = (),
    ) -> BatchOutcome:
        """Batch on `/products/<id>/variations/batch`."""
        path = f"/products/{product_id}/variations/batch"
        return await self.batch(path, create=create, update=update, delete=delete)

    # -- orders ------------------------------------------------------------------------

    async def iter_orders(
        self,
        *,
        status: str | Iterable[str] | None = None,
        modified_after: datetime | None = None,
        include: Iterable[int] | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[Order]:
        """Orders, oldest first by id (the walk's total order, see `pagination`).

        Not by modification date: WooCommerce breaks no tie of `orderby=modified`, so
        an offset walk over orders modified in the same second repeats and skips some.
        Incremental reads go through the ledger's keyset sweep instead.
        `modified_after` is strict (`>`) and sent as naive UTC with `dates_are_gmt=true`.
        """
        params: dict[str, ParamValue] = {
            "status": _one_or_many(status),
            "include": list(include) if include is not None else None,
        }
        if modified_after is not None:
            params |= {"modified_after": modified_after, "dates_are_gmt": True}
        async for order in self._models(Order, "/orders", params, fields):
            yield order

    async def list_orders(self, **filters: Any) -> list[Order]:
        """`iter_orders(**filters)` collected into a list."""
        return [order async for order in self.iter_orders(**filters)]

    async def get_order(self, order_id: int) -> Order:
        """One order."""
        return Order.model_validate(await self.request_json("GET", f"/orders/{order_id}"))

    async def update_order(self, order_id: int, changes: Payload) -> Order:
        """Partial update of an order (status, meta_data...)."""
        body = await self.request_json("PUT", f"/orders/{order_id}", json=dict(changes))
        return Order.model_validate(body)

    # -- customers ---------------------------------------------------------------------

    def iter_customers(
        self,
        *,
        email: str | None = None,
        search: str | None = None,
        include: Iterable[int] | None = None,
        role: str | None = None,
    ) -> AsyncIterator[Customer]:
        """Customers; `email` is an exact, case-insensitive match; `role` defaults to customer."""
        params: dict[str, ParamValue] = {
            "email": email.strip() if email else None,
            "search": search,
            "include": list(include) if include is not None else None,
            "role": role,
        }
        return self._models(Customer, "/customers", params, None)

    async def list_customers(self, **filters: Any) -> list[Customer]:
        """`iter_customers(**filters)` collected into a list."""
        return [customer async for customer in self.iter_customers(**filters)]

    async def find_customer_by_email(self, email: str) -> Customer | None:
        """The registered customer with this e-mail (any role), or None."""
        customers = await self.list_customers(email=email, role="all")
        return customers[0] if customers else None

    async def get_customer(self, customer_id: int) -> Customer:
        """One customer."""
        return Customer.model_validate(await self.request_json("GET", f"/customers/{customer_id}"))

    async def create_customer(self, payload: Payload) -> Customer:
        """Create a customer (not retried after an ambiguous failure: look up by e-mail)."""
        body = await self.request_json("POST", "/customers", json=dict(payload))
        return Customer.model_validate(body)

    async def update_customer(self, customer_id: int, changes: Payload) -> Customer:
        """Partial update; a partial `billing` object is merged server-side."""
        body = await self.request_json("PUT", f"/customers/{customer_id}", json=dict(changes))
        return Customer.model_validate(body)

    # -- webhooks ----------------------------------------------------------------------

    async def list_webhooks(self, *, status: str | None = None) -> list[Webhook]:
        """Webhooks (`status`: all, active, paused or disabled)."""
        return [w async for w in self._models(Webhook, "/webhooks", {"status": status}, None)]

    async def get_webhook(self, webhook_id: int) -> Webhook:
        """One webhook."""
        return Webhook.model_validate(await self.request_json("GET", f"/webhooks/{webhook_id}"))

    async def create_webhook(
        self,
        *,
        name: str,
        topic: str,
        delivery_url: str,
        secret: SecretStr,
        status: str = "active",
    ) -> Webhook:
        """Subscribe `delivery_url` to `topic`; the secret is write-only on the server."""
        payload = {
            "name": name,
            "topic": topic,
            "delivery_url": delivery_url,
            "secret": secret.get_secret_value(),
            "status": status,
        }
        return Webhook.model_validate(await self.request_json("POST", "/webhooks", json=payload))

    async def update_webhook(self, webhook_id: int, changes: Payload) -> Webhook:
        """Partial update, e.g. `{"status": "active"}` to re-enable a disabled webhook."""
        body = await self.request_json("PUT", f"/webhooks/{webhook_id}", json=dict(changes))
        return Webhook.model_validate(body)

    async def delete_webhook(self, webhook_id: int) -> Webhook:
        """Delete permanently (webhooks cannot be trashed: `force=true` is required)."""
        body = await self.request_json("DELETE", f"/webhooks/{webhook_id}", params={"force": True})
        return Webhook.model_validate(body)
