"""The ledger, the exporter and the release on both storage backends (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import EARLY_GO_LIVE, STORE, Shop, make_shop

from storebridge.sandbox import ManualClock
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.orders.webhook_ingest import WebhookDelivery, ingest_webhook


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def any_shop(
    tmp_path: Path, _sqlite_template: Path, migrated_db_url: str, clock: ManualClock
) -> Iterator[Shop]:
    with make_shop(
        tmp_path,
        _sqlite_template,
        stock=STOCK,
        clock=clock,
        db_url=migrated_db_url,
        export_orders_since=EARLY_GO_LIVE,  # the manual clock is behind the wall clock
    ) as built:
        yield built


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


async def test_an_order_walks_from_shopper_to_pos_and_back_on_every_backend(
    any_shop: Shop, clock: ManualClock
) -> None:
    await any_shop.sync_products()
    first = any_shop.place([("MUG-1", 2)], status="processing")
    second = any_shop.place([("CAP-2", 1)], status="pending")
    rendered = any_shop.sandbox.order_renderer.order(second, "https://shop.test")
    delivery = WebhookDelivery("order.created", second["id"], rendered, "same-id")
    assert (await ingest_webhook(any_shop.services, STORE, delivery)).outcome == "applied"
    assert (await ingest_webhook(any_shop.services, STORE, delivery)).outcome == "duplicate"
    await any_shop.refresh()
    assert allocated(any_shop) == {"mug-1": 2, "cap-2": 1}
    clock.advance(1)
    any_shop.set_status(first["id"], "completed")
    any_shop.set_status(second["id"], "cancelled")
    await any_shop.refresh()
    await any_shop.export()
    export = any_shop.export_row(first["id"])
    assert export is not None and export.state == "exported"
    assert allocated(any_shop) == {"mug-1": 2}
    clock.advance(1)
    any_shop.set_status(first["id"], "cancelled")
    await any_shop.refresh()
    await any_shop.export()
    assert [credit.state for credit in any_shop.credits(first["id"])] == ["written"]
    await any_shop.sync_products()
    assert allocated(any_shop) == {}
    assert any_shop.woo_stock("MUG-1") == 10  # sold 2, credited 2
    assert any_shop.woo_stock("CAP-2") == 3
