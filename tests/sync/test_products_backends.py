"""The engine's database work on both storage backends (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.sync.ledger_rows import add_order
from tests.sync.sync_helpers import STORE, World, make_world, money, raw

from storebridge.sync.catalogue.reconcile import reconcile
from storebridge.sync.orders.stock import push_stock


@pytest.fixture
def backend_world(tmp_path: Path, _sqlite_template: Path, migrated_db_url: str) -> Iterator[World]:
    with make_world(tmp_path, _sqlite_template, db_url=migrated_db_url) as world:
        yield world


async def test_create_update_park_stock_and_reconcile_on_each_backend(
    backend_world: World,
) -> None:
    world = backend_world
    world.pos.put(raw("A", "10.00", 5, sale_price="8.00", sale_from="2030-01-01"))
    world.pos.put(raw("B", "20.00", 2, line=2))
    world.pos.put(raw("BAD", "-1", line=3))
    first = await world.sync()
    assert first.report.counts["created"] == 2 and len(first.report.quarantined) == 1
    assert (await world.sync()).report.writes == 0

    world.pos.change("A", regular_price="11.00")
    world.sandbox.faults.fail_next("500", 1000, method="POST", path_contains="/products/batch")
    for _ in range(3):
        await world.sync()
    assert world.links()["a"].state == "parked"
    world.sandbox.faults.reset()
    world.pos.change("A", regular_price="12.00")
    await world.sync()
    assert money(world.by_sku("A"), "regular_price") == Decimal("12.00")

    with world.services.sessions.begin() as session:
        add_order(session, 1, "processing", {"b": 1})
    await push_stock(world.services, STORE, {"b"})
    assert world.by_sku("B")["stock_quantity"] == 1

    await world.api("PUT", f"/products/{world.by_sku('B')['id']}", json={"regular_price": "1.00"})
    report = await reconcile(world.services, STORE)
    assert [(d.sku, d.field) for d in report.drift] == [("B", "regular_price")]
    assert money(world.by_sku("B"), "regular_price") == Decimal("20.00")
