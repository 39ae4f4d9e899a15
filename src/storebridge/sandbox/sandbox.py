"""The Sandbox: one emulated store, its stores wired together, and its knobs.

This is the composition root of the emulator. It owns the SQLite database,
the resource stores, the renderers, the webhook dispatcher, the fault
injector and the request counters. `create_sandbox_app` wraps it in FastAPI;
tests and tools may also drive it directly (`reset`, `seed_products`,
`flush_webhooks`, `place_order`...).
"""

from __future__ import annotations

from typing import Any

import httpx

from storebridge.sandbox.auth import Authenticator
from storebridge.sandbox.clock import Clock, system_clock
from storebridge.sandbox.config import SandboxConfig
from storebridge.sandbox.counters import RequestCounters
from storebridge.sandbox.coupons import CouponStore
from storebridge.sandbox.customers import CustomerStore
from storebridge.sandbox.db import Database
from storebridge.sandbox.delivery import WebhookDispatcher
from storebridge.sandbox.events import Announcer
from storebridge.sandbox.faults import FaultInjector
from storebridge.sandbox.journal import WriteJournal
from storebridge.sandbox.notes import NoteStore
from storebridge.sandbox.order_lines import LineBuilder
from storebridge.sandbox.order_render import OrderRenderer
from storebridge.sandbox.order_status import OrderLifecycle
from storebridge.sandbox.order_taxes import TaxOffice
from storebridge.sandbox.orders import OrderStore
from storebridge.sandbox.product_render import ProductRenderer
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.refunds import RefundStore
from storebridge.sandbox.seed import SeedResult, seed_products
from storebridge.sandbox.taxes import SettingStore, TaxRateStore
from storebridge.sandbox.terms import TermStore
from storebridge.sandbox.ties import TieOrder
from storebridge.sandbox.variations import VariationStore
from storebridge.sandbox.webhooks import WebhookStore


class Sandbox:
    """One emulated WooCommerce store."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock: Clock = clock or system_clock
        self.db = Database(self.config.db_path)
        self.webhooks = WebhookStore(self.db, self.clock)
        self.dispatcher = WebhookDispatcher(
            self.webhooks,
            self._payload,
            self.config,
            transport=webhook_transport,
            faults=lambda: self.faults.config,
            on_fault=lambda kind: self.counters.record_fault(kind),
        )
        self.announce = Announcer(self.db, self.dispatcher)
        self.terms = TermStore(self.db)
        self.products = ProductStore(self.db, self.terms, self.clock, self.announce)
        self.variations = VariationStore(self.products, self.announce)
        self.renderer = ProductRenderer(self.products)
        self.coupons = CouponStore(self.db, self.clock)
        self.customers = CustomerStore(self.db, self.clock, self.announce)
        self.notes = NoteStore(self.db, self.clock)
        self.settings = SettingStore(self.db)
        self.tax_rates = TaxRateStore(self.db)
        self.tax_office = TaxOffice(
            self.settings, self.tax_rates, lambda: self.db.next_id("order_item")
        )
        self.lines = LineBuilder(self.products, net_price=self.tax_office.net_price)
        self.lifecycle = OrderLifecycle(self.products, self.lines, self.notes, self.clock)
        self.refunds = RefundStore(self.db, self.products, self.lines, self.notes, self.clock)
        self.orders = OrderStore(
            self.db,
            lines=self.lines,
            lifecycle=self.lifecycle,
            coupons=self.coupons,
            customers=self.customers,
            refunds=self.refunds,
            notes=self.notes,
            clock=self.clock,
            announce=self.announce,
            tax_office=self.tax_office,
        )
        self.order_renderer = OrderRenderer(self.products)
        self.auth = Authenticator(self.config.keys, self.db)
        self.faults = FaultInjector(self.config.faults)
        self.counters = RequestCounters()
        self.journal = WriteJournal()
        self.ties = TieOrder(self.config.tie_seed)

    def reset(self) -> None:
        """Back to an empty store: data, counters, queued faults and pending webhooks."""
        self.dispatcher.clear()
        self.db.reset()
        self.counters.reset()
        self.journal.clear()
        self.faults.reset()
        self.ties.reset()

    def seed_products(self, count: int, **options: Any) -> SeedResult:
        """Bulk-create simple products (see `seed.seed_products`)."""
        return seed_products(self.products, count, **options)

    def flush_webhooks(self) -> list[dict[str, Any]]:
        """Deliver every pending webhook now; returns the delivery records."""
        return self.dispatcher.flush()

    def place_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A shopper checking out: an order created via "checkout" (fires webhooks)."""
        return self.orders.create({"created_via": "checkout", **payload})

    def set_latency(self, seconds: float) -> None:
        """Change the per-request latency."""
        self.config = self.config.model_copy(update={"latency_seconds": max(seconds, 0.0)})

    def close(self) -> None:
        """Stop the webhook worker and close the database."""
        self.dispatcher.close()
        self.db.close()

    def _payload(self, resource: str, resource_id: int, base_url: str) -> dict[str, Any] | None:
        """A webhook payload: the REST GET shape (view context) of the resource now."""
        if resource == "product":
            product = self.products.find(resource_id)
            return self.renderer.product(product, base_url) if product else None
        if resource == "order":
            order = self.orders.find(resource_id)
            return self.order_renderer.order(order, base_url) if order else None
        if resource == "customer":
            customer = self.customers.find(resource_id)
            return CustomerStore.render(customer, base_url) if customer else None
        if resource == "coupon":
            coupon = self.coupons.get(resource_id)
            return self.coupons.render(coupon, base_url)
        return None
