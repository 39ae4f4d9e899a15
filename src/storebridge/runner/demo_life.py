"""Store life for the demo: shoppers and a merchant on the web shop, a till in the store.

Every few seconds `StoreLife.step` plays a few events so the dashboard shows
a living integration:

* in the store (demo POS): sales, receipts, price changes, promotions, items
  joining or leaving the web (`DemoPos.simulate_step`); in another POS, what
  its `in_store` life plays (a Tryton's: till sales, receipts, price changes,
  connectors/tryton/simulation.py);
* on the web (the sandbox control plane, as a shopper): an order for one or
  two linked products, from a small pool of returning customers;
* in the WooCommerce admin (the control plane, as the merchant): completing
  the oldest open order (now and then cancelling one instead), and publishing
  a draft StoreBridge created.

StoreBridge itself only sees the consequences: webhooks, order polling, the
POS feed.  Draws come from one seeded `random.Random`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from storebridge.bootstrap import Services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.errors import ConnectorError
from storebridge.persistence.tables import ProductLink

__all__ = ["CUSTOMERS", "InStoreLife", "StoreLife", "live"]

#: Store life inside a POS: one round of events drawn from the generator, a line each.
InStoreLife = Callable[[random.Random], list[str]]

CUSTOMERS = (
    ("Ada", "Lovelace", "ada@example.com"),
    ("Grace", "Hopper", "grace@example.com"),
    ("Alan", "Turing", "alan@example.com"),
    ("Katherine", "Johnson", "katherine@example.com"),
    ("Edsger", "Dijkstra", "edsger@example.com"),
    ("Barbara", "Liskov", "barbara@example.com"),
)


@dataclass
class StoreLife:
    """Plays store life against the demo POS and the sandbox (see the module docstring)."""

    services: Services
    store: str
    sandbox_url: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    open_orders: list[int] = field(default_factory=list)
    #: Store life inside a POS other than the demo POS: a round of events, a line each.
    in_store: InStoreLife | None = None

    async def step(self, client: httpx.AsyncClient) -> list[str]:
        """One round of events; returns what happened, one line each."""
        events: list[str] = []
        pos = self.services.store(self.store).connector
        if self.in_store is not None:
            lines = await asyncio.to_thread(self.in_store, self.rng)
            events.extend(f"in store: {line}" for line in lines)
        elif isinstance(pos, DemoPos):
            happened = await asyncio.to_thread(pos.simulate_step, self.rng, 2)
            events.extend(f"in store: {event}" for event in happened)
        if self.rng.random() < 0.6:
            events.extend(await self._shop(client))
        if self.open_orders and self.rng.random() < 0.5:
            events.extend(await self._fulfil(client))
        if self.rng.random() < 0.15:
            events.extend(await self._publish(client))
        return events

    def _sellable(self) -> list[str]:
        with self.services.sessions() as session:
            return list(
                session.scalars(
                    select(ProductLink.sku).where(
                        ProductLink.store == self.store,
                        ProductLink.state == "linked",
                        ProductLink.kind != "variable",
                        ProductLink.pushed_stock > 0,
                    )
                )
            )

    async def _shop(self, client: httpx.AsyncClient) -> list[str]:
        skus = self._sellable()
        if not skus:
            return []
        picked = self.rng.sample(skus, k=min(len(skus), self.rng.choice((1, 1, 2))))
        first, last, email = self.rng.choice(CUSTOMERS)
        payload: dict[str, Any] = {
            "line_items": [{"sku": sku, "quantity": self.rng.choice((1, 1, 2))} for sku in picked],
            "status": "processing",
            "set_paid": True,
            "billing": {"first_name": first, "last_name": last, "email": email},
        }
        response = await client.post(f"{self.sandbox_url}/_sandbox/orders", json=payload)
        if response.status_code >= 400:
            return []
        order = response.json()
        self.open_orders.append(int(order["id"]))
        lines = ", ".join(f"{line['quantity']} x {line['sku']}" for line in order["line_items"])
        return [f"web order #{order['number']} by {email}: {lines} ({order['status']})"]

    async def _fulfil(self, client: httpx.AsyncClient) -> list[str]:
        order_id = self.open_orders.pop(0)
        status = "cancelled" if self.rng.random() < 0.15 else "completed"
        response = await client.post(
            f"{self.sandbox_url}/_sandbox/orders/{order_id}/status", json={"status": status}
        )
        if response.status_code >= 400:
            return []
        return [f"merchant: order #{response.json()['number']} {status}"]

    async def _publish(self, client: httpx.AsyncClient) -> list[str]:
        async with self.services.store(self.store).woo() as woo:
            found = await woo.request_json(
                "GET",
                "/products",
                params={"status": "draft", "per_page": 20, "_fields": "id,sku,name"},
            )
        if not isinstance(found, list) or not found:
            return []
        draft = self.rng.choice(found)
        response = await client.post(
            f"{self.sandbox_url}/_sandbox/products/edit",
            json={"id": draft["id"], "changes": {"status": "publish"}},
        )
        if response.status_code >= 400:
            return []
        return [f"merchant: published {draft['sku']} ({draft['name']})"]


async def live(
    life: StoreLife,
    *,
    stopping: Callable[[], bool],
    say: Callable[[str], None],
    every_s: float = 4.0,
) -> None:
    """Play store life every `every_s` seconds until `stopping()` is true."""
    async with httpx.AsyncClient(timeout=15.0) as client:
        while not stopping():
            try:
                for line in await life.step(client):
                    say(line)
            except httpx.HTTPError as error:
                say(f"store life paused: the sandbox did not answer ({type(error).__name__})")
            except ConnectorError as error:
                # a till sale the POS refused (say, stock a web order took first): next round
                say(f"store life: the POS refused an event ({error})")
            waited = 0.0
            while waited < every_s and not stopping():
                await asyncio.sleep(0.2)
                waited += 0.2
