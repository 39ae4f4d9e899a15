"""Webhook ingest: real sandbox deliveries, verified, recorded once, and pushed at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.persistence.repositories.locks import job_lock
from storebridge.persistence.tables import ProductLink
from storebridge.persistence.tables import WebhookDelivery as DeliveryRow
from storebridge.sync.locks import CATALOG_LOCK
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.orders.stock import push_stock
from storebridge.sync.orders.webhook_ingest import WebhookDelivery, delivery_key, ingest_webhook
from storebridge.woocommerce import parse_webhook_headers, verify_signature

SECRET = "whsecordertests"


@pytest.fixture
def received() -> list[httpx.Request]:
    return []


@pytest.fixture
def hooked_shop(
    tmp_path: Path, _sqlite_template: Path, received: list[httpx.Request]
) -> Iterator[Shop]:
    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    with make_shop(
        tmp_path, _sqlite_template, stock=STOCK, webhook_transport=httpx.MockTransport(receive)
    ) as built:
        yield built


async def subscribe(shop: Shop, *topics: str) -> None:
    for topic in topics:
        await shop.api(
            "POST",
            "/webhooks",
            json={"name": topic, "topic": topic, "secret": SECRET,
                  "delivery_url": "https://bridge.test/webhooks/main"},
        )  # fmt: skip


def deliveries(shop: Shop, received: list[httpx.Request]) -> list[WebhookDelivery]:
    """Flush the sandbox's queue; the signed deliveries, verified as the receiver does."""
    received.clear()
    shop.sandbox.flush_webhooks()
    verified = []
    for request in received:
        headers = parse_webhook_headers(dict(request.headers))
        if not headers.is_signed_delivery:
            continue  # the ping sent when a webhook is created
        assert verify_signature(SecretStr(SECRET), request.content, headers.signature)
        body = json.loads(request.content)
        verified.append(WebhookDelivery(headers.topic, body.get("id"), request.content,
                                        headers.delivery_id))  # fmt: skip
    return verified


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


async def test_an_order_webhook_pushes_the_new_stock_without_waiting_for_a_run(
    hooked_shop: Shop, received: list[httpx.Request]
) -> None:
    await hooked_shop.sync_products()
    await subscribe(hooked_shop, "order.created", "order.updated")
    order = hooked_shop.place([("CAP-2", 1)], status="pending")  # WooCommerce takes nothing yet
    found = deliveries(hooked_shop, received)
    assert sorted(d.topic for d in found) == ["order.created", "order.updated"]
    results = [await ingest_webhook(hooked_shop.services, STORE, d) for d in found]
    # Both bodies render the order as it is now: the second one changes nothing.
    assert [r.outcome for r in results] == ["applied", "unchanged"]
    assert results[0].change is not None and results[0].change.order_id == order["id"]
    assert results[0].pushed == 1
    assert hooked_shop.woo_stock("CAP-2") == 2


async def test_a_webhook_push_never_runs_while_a_catalogue_run_holds_the_lock(
    hooked_shop: Shop, received: list[httpx.Request]
) -> None:
    await hooked_shop.sync_products()
    await subscribe(hooked_shop, "order.created")
    hooked_shop.place([("MUG-1", 2)], status="processing")
    (delivery,) = deliveries(hooked_shop, received)
    woo_before = hooked_shop.woo_stock("MUG-1")
    services = hooked_shop.services

    with job_lock(services.sessions, store=STORE, job=CATALOG_LOCK, holder="products-run") as held:
        assert held
        result = await ingest_webhook(services, STORE, delivery, lock_wait=timedelta(0))

    # Applied to the ledger, but not pushed under the running products run's feet...
    assert (result.outcome, result.push) == ("applied", None)
    assert allocated(hooked_shop) == {"mug-1": 2}
    assert hooked_shop.woo_stock("MUG-1") == woo_before
    # ...and its last push is forgotten, so the next run sends the figure whatever it is.
    with services.sessions() as session:
        link = session.scalars(select(ProductLink).where(ProductLink.sku_key == "mug-1")).one()
    assert link.pushed_stock is None
    report = await push_stock(services, STORE, ["mug-1"])
    assert report.counts.get("updated") == 1
    assert hooked_shop.woo_stock("MUG-1") == 8


async def test_a_redelivered_webhook_is_recorded_once_and_never_counts_twice(
    hooked_shop: Shop, received: list[httpx.Request]
) -> None:
    await hooked_shop.sync_products()
    await subscribe(hooked_shop, "order.created")
    hooked_shop.place([("MUG-1", 2)], status="processing")
    (delivery,) = deliveries(hooked_shop, received)
    first = await ingest_webhook(hooked_shop.services, STORE, delivery)
    second = await ingest_webhook(hooked_shop.services, STORE, delivery)
    assert (first.outcome, second.outcome) == ("applied", "duplicate")
    assert allocated(hooked_shop) == {"mug-1": 2}
    assert hooked_shop.woo_stock("MUG-1") == 8
    with hooked_shop.services.sessions() as session:
        rows = session.scalars(select(DeliveryRow)).all()
    assert [(row.topic, row.outcome) for row in rows] == [("order.created", "applied")]


async def test_two_events_sharing_a_delivery_id_are_both_applied(hooked_shop: Shop) -> None:
    await hooked_shop.sync_products()
    order = hooked_shop.place([("BAG-3", 1)], status="processing")
    created = hooked_shop.sandbox.order_renderer.order(order, "https://shop.test")
    cancelled_doc = hooked_shop.set_status(order["id"], "cancelled")
    cancelled = hooked_shop.sandbox.order_renderer.order(cancelled_doc, "https://shop.test")
    same_id = "d41d8cd98f00b204e9800998ecf8427e"
    one = WebhookDelivery("order.created", order["id"], created, same_id)
    two = WebhookDelivery("order.updated", order["id"], cancelled, same_id)
    assert delivery_key(same_id, b"a") != delivery_key(same_id, b"b")
    results = [await ingest_webhook(hooked_shop.services, STORE, d) for d in (one, two)]
    assert [r.outcome for r in results] == ["applied", "applied"]
    assert allocated(hooked_shop) == {}
    assert hooked_shop.woo_stock("BAG-3") == 10


async def test_an_order_body_older_than_the_ledger_is_ignored(hooked_shop: Shop) -> None:
    order = hooked_shop.place([("MUG-1", 1)], status="processing")
    old = hooked_shop.sandbox.order_renderer.order(order, "https://shop.test")
    new = dict(old, status="completed", date_modified_gmt="2099-01-01T00:00:00")
    await ingest_webhook(hooked_shop.services, STORE, WebhookDelivery("order.updated", None,
                                                                      new, "a"))  # fmt: skip
    stale = await ingest_webhook(
        hooked_shop.services, STORE, WebhookDelivery("order.updated", None, old, "b")
    )
    assert stale.outcome == "stale"
    row = hooked_shop.order_row(order["id"])
    assert row is not None and row.status == "completed"


async def test_an_order_deleted_delivery_releases_the_order(
    hooked_shop: Shop, received: list[httpx.Request]
) -> None:
    await hooked_shop.sync_products()
    await subscribe(hooked_shop, "order.created", "order.deleted")
    order = hooked_shop.place([("MUG-1", 3)], status="on-hold")
    for delivery in deliveries(hooked_shop, received):
        await ingest_webhook(hooked_shop.services, STORE, delivery)
    assert hooked_shop.woo_stock("MUG-1") == 7
    await hooked_shop.api("DELETE", f"/orders/{order['id']}")
    (deleted,) = deliveries(hooked_shop, received)
    assert deleted.topic == "order.deleted"
    result = await ingest_webhook(hooked_shop.services, STORE, deleted)
    assert result.outcome == "applied"
    assert allocated(hooked_shop) == {}
    assert hooked_shop.woo_stock("MUG-1") == 10  # WooCommerce does not restock a trashed order


async def test_topics_the_ledger_does_not_follow_are_recorded_and_ignored(
    hooked_shop: Shop,
) -> None:
    delivery = WebhookDelivery("product.updated", 12, b'{"id":12,"sku":"X"}', "p1")
    result = await ingest_webhook(hooked_shop.services, STORE, delivery)
    assert result.outcome == "ignored"
    with hooked_shop.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryRow)) == 1


async def test_an_order_body_without_an_id_is_refused_and_not_recorded(
    hooked_shop: Shop,
) -> None:
    delivery = WebhookDelivery("order.updated", None, b'{"status":"completed"}', "x1")
    with pytest.raises(ValueError, match="integer id"):
        await ingest_webhook(hooked_shop.services, STORE, delivery)
    with hooked_shop.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryRow)) == 0


async def test_with_reservations_an_order_webhook_holds_the_units_in_the_pos_at_once(
    tmp_path: Path, _sqlite_template: Path, received: list[httpx.Request]
) -> None:
    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    with make_shop(
        tmp_path,
        _sqlite_template,
        stock=STOCK,
        webhook_transport=httpx.MockTransport(receive),
        reservations=True,
    ) as shop:
        await shop.sync_products()
        await subscribe(shop, "order.created")
        shop.place([("MUG-1", 2)], status="processing")
        (delivery,) = deliveries(shop, received)

        await ingest_webhook(shop.services, STORE, delivery)

        assert shop.pos.held("MUG-1") == {"store-1": 2}  # no allocation cycle needed
        assert shop.woo_stock("MUG-1") == 8
