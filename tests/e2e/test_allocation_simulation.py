"""A seeded simulation of a shop's life: StoreBridge keeps web stock right through any interleaving.

Random steps, drawn from a seeded generator, interleave

* shoppers placing web orders in the sandbox (pending, processing, on-hold),
  never more than the shop shows;
* the merchant moving orders on (paid, completed, cancelled, failed) and
  refunding completed ones, partly or wholly;
* the till selling and receiving goods in the demo POS;
* StoreBridge: allocation cycles, webhook deliveries, exports and products
  runs (each of which reads the POS: only what changed since the last run, or
  everything; every seed runs in both read modes).

After every step: ``allocated`` is never negative, never exceeds the units
ever ordered (a line is never counted twice), and whenever the ledger is in
step with the sandbox it equals the independent count of what is still
outstanding.  At quiescence, for every SKU, WooCommerce's stock equals
``max(0, on-hand - outstanding - safety)``, all read from the sandbox and the
POS themselves.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.persistence.tables import Export, InventorySnapshot, OrderLine
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.orders.webhook_ingest import WebhookDelivery, ingest_webhook
from storebridge.woocommerce import parse_webhook_headers

STOCK = {
    "SIM-A": {"store-1": 6, "warehouse": 3},
    "SIM-B": {"store-1": 2, "store-2": 2},
    "SIM-C": {"warehouse": 5},
    "SIM-D": {"store-2": 1},
}
SAFETY = {"sim-c": 2}
ALLOCATING = ("pending", "processing", "on-hold")
STEPS = 60


class Simulation:
    def __init__(self, shop: Shop, rng: random.Random, received: list[httpx.Request]) -> None:
        self.shop = shop
        self.rng = rng
        self.received = received
        self.orders: list[int] = []
        self.in_step = True  # whether the ledger has seen every sandbox change
        self.log: list[str] = []

    # -- the world acts -----------------------------------------------------------------

    def sandbox_order(self, order_id: int) -> dict[str, Any]:
        """The order as the REST API renders it now (lines carry their SKU)."""
        doc = self.shop.sandbox.orders.get(order_id)
        return self.shop.sandbox.order_renderer.order(doc, "https://shop.test")

    def open_orders(self, *statuses: str) -> list[int]:
        return [o for o in self.orders if self.sandbox_order(o)["status"] in statuses]

    async def shopper(self) -> None:
        sku = self.rng.choice(sorted(STOCK))
        shown = self.shop.woo_stock(sku) or 0
        if shown <= 0:
            return
        quantity = self.rng.randint(1, min(shown, 3))
        status = self.rng.choice(ALLOCATING)
        email = self.rng.choice(["a@x.test", "B@x.test", "c@x.test"])
        order = self.shop.place([(sku, quantity)], status=status, email=email)
        self.orders.append(int(order["id"]))
        self.log.append(f"order {order['id']}: {quantity} x {sku} ({status})")
        self.in_step = False

    async def merchant(self) -> None:
        moves = {
            "pending": ["processing", "processing", "processing", "cancelled", "failed"],
            "processing": ["completed", "completed", "completed", "cancelled", "on-hold"],
            "on-hold": ["processing", "processing", "cancelled"],
            "completed": ["refund", "refund", "refunded", "cancelled"],
        }
        candidates = self.open_orders(*moves)
        if not candidates:
            return
        order_id = self.rng.choice(candidates)
        status = self.sandbox_order(order_id)["status"]
        move = self.rng.choice(moves[status])
        if move == "refund":
            line = self.sandbox_order(order_id)["line_items"][0]
            await self.shop.api(
                "POST",
                f"/orders/{order_id}/refunds",
                json={"amount": "1.00", "api_refund": False, "api_restock": True,
                      "line_items": [{"id": line["id"], "quantity": 1, "refund_total": 1}]},
            )  # fmt: skip
        else:
            self.shop.set_status(order_id, move)
        self.log.append(f"merchant: order {order_id} {status} -> {move}")
        self.in_step = False

    async def till(self) -> None:
        sku = self.rng.choice(sorted(STOCK))
        on_hand = self.shop.pos.on_hand(sku)
        location = self.rng.choice(sorted(on_hand) or ["store-1"])
        current = on_hand.get(location, 0)
        delta = self.rng.choice([-2, -1, 1, 3]) if current else self.rng.choice([1, 3])
        self.shop.pos.set_on_hand(sku, location, max(0, current + delta))
        self.log.append(f"till: {sku}@{location} {current} -> {max(0, current + delta)}")

    # -- StoreBridge acts ------------------------------------------------------------------

    async def cycle(self) -> None:
        await self.shop.refresh()
        self.in_step = True
        self.log.append("allocation cycle")

    async def webhooks(self) -> None:
        self.received.clear()
        self.shop.sandbox.flush_webhooks()
        for request in self.received:
            headers = parse_webhook_headers(dict(request.headers))
            if not headers.is_signed_delivery:
                continue
            body = json.loads(request.content)
            delivery = WebhookDelivery(
                headers.topic, body.get("id"), request.content, headers.delivery_id
            )
            await ingest_webhook(self.shop.services, STORE, delivery)
        self.in_step = True
        self.log.append(f"webhooks: {len(self.received)} delivered")

    async def export(self) -> None:
        await self.shop.export()
        self.log.append("export")

    async def products(self) -> None:
        await self.shop.sync_products()
        self.in_step = True
        self.log.append("products run")

    # -- what must hold ---------------------------------------------------------------------

    def allocated(self) -> dict[str, int]:
        settings = self.shop.services.store(STORE).settings
        with self.shop.services.sessions() as session:
            return allocated_for_store(session, STORE, settings)

    def ordered_ever(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for order_id in self.orders:
            for line in self.sandbox_order(order_id)["line_items"]:
                key = str(line["sku"]).casefold()
                total[key] = total.get(key, 0) + int(line["quantity"])
        return total

    def released(self) -> set[int]:
        with self.shop.services.sessions() as session:
            snapshot = session.scalar(select(func.max(InventorySnapshot.read_started_at)))
            rows = session.execute(select(Export.woo_order_id, Export.exported_at)).all()
        return {
            order_id
            for order_id, exported_at in rows
            if exported_at is not None and snapshot is not None and exported_at < snapshot
        }

    def outstanding(self) -> dict[str, int]:
        """Units still owed to web shoppers, from the sandbox and the export records."""
        released = self.released()
        owed: dict[str, int] = {}
        for order_id in self.orders:
            order = self.sandbox_order(order_id)
            held = order["status"] in ALLOCATING or (
                order["status"] == "completed" and order_id not in released
            )
            if held:
                for line in order["line_items"]:
                    key = str(line["sku"]).casefold()
                    owed[key] = owed.get(key, 0) + int(line["quantity"])
        return owed

    def check_step(self) -> None:
        allocated = self.allocated()
        ever = self.ordered_ever()
        trail = "\n".join(self.log[-8:])
        for key, units in allocated.items():
            assert 0 <= units <= ever.get(key, 0), f"{key}: allocated {units}\n{trail}"
        with self.shop.services.sessions() as session:
            rows = session.execute(select(OrderLine.woo_order_id, OrderLine.line_id)).all()
        assert len(rows) == len(set(rows)), f"a ledger line is stored twice\n{trail}"
        if self.in_step:
            assert allocated == self.outstanding(), trail

    async def check_quiescence(self) -> None:
        await self.cycle()
        await self.export()
        await self.products()
        await self.cycle()
        settings = self.shop.services.store(STORE).settings
        outstanding = self.outstanding()
        trail = "\n".join(self.log[-12:])
        for sku in STOCK:
            key = sku.casefold()
            on_hand = sum(self.shop.pos.on_hand(sku).values())
            safety = settings.safety_for(sku)
            expected = max(0, on_hand - outstanding.get(key, 0) - safety)
            assert self.shop.woo_stock(sku) == expected, (
                f"{sku}: WooCommerce {self.shop.woo_stock(sku)}, expected {expected} "
                f"(on-hand {on_hand} - outstanding {outstanding.get(key, 0)} - safety {safety})"
                f"\n{trail}"
            )
        assert self.allocated() == outstanding


@pytest.fixture
def received() -> list[httpx.Request]:
    return []


@pytest.fixture(params=["incremental", "full"])
def shop(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    received: list[httpx.Request],
) -> Iterator[Shop]:
    """The shop, its products runs reading the demo POS incrementally or in full."""

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    with make_shop(
        tmp_path,
        _sqlite_template,
        stock=STOCK,
        safety_stock=0,
        safety_overrides=SAFETY,
        webhook_transport=httpx.MockTransport(receive),
        incremental=request.param == "incremental",
    ) as built:
        yield built


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 7, 42, 2024, 31337])
async def test_web_stock_converges_whatever_the_interleaving(
    shop: Shop, received: list[httpx.Request], seed: int
) -> None:
    for topic in ("order.created", "order.updated", "order.deleted"):
        await shop.api("POST", "/webhooks", json={
            "name": topic, "topic": topic, "secret": "simsecret",
            "delivery_url": "https://bridge.test/webhooks/main"})  # fmt: skip
    sim = Simulation(shop, random.Random(seed), received)
    await sim.products()
    actions = [
        (sim.shopper, 4),
        (sim.merchant, 7),
        (sim.till, 2),
        (sim.cycle, 2),
        (sim.webhooks, 2),
        (sim.export, 2),
        (sim.products, 1),
    ]
    steps = [action for action, weight in actions for _ in range(weight)]
    for step in range(STEPS):
        await sim.rng.choice(steps)()
        sim.check_step()
        if step % 20 == 19:
            await sim.check_quiescence()
    await sim.check_quiescence()
    assert sim.orders, "the simulation placed no order"
