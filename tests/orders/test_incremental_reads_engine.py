"""Incremental reads + the engines publish what full reads + the engines publish (property test).

Two shops live the same random life -- till counts, price changes, web orders
in every allocating status, the merchant moving them on (paid, completed,
cancelled, failed), exports -- and StoreBridge runs products runs and
allocation cycles on both.  One shop's products runs read the demo POS
incrementally (only the rows changed since the last run), the other's read
every row.  After each StoreBridge step both WooCommerces show the same stock
and prices for every SKU, and at the end both equal ``max(0, on-hand -
allocated - safety)``: a stock change that only allocation caused (an order
cancelled, released) reaches WooCommerce whatever the read mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.sync.orders.ledger_view import allocated_for_store

STOCK = {
    "INC-A": {"store-1": 4, "warehouse": 2},
    "INC-B": {"store-1": 2, "store-2": 1},
    "INC-C": {"store-2": 3},
}
SKUS = sorted(STOCK)
STATUSES = ("processing", "completed", "cancelled", "failed", "on-hold")

step = st.one_of(
    st.tuples(st.just("till"), st.sampled_from(SKUS), st.integers(0, 6)),
    st.tuples(st.just("price"), st.sampled_from(SKUS), st.integers(100, 9_999)),
    st.tuples(
        st.just("order"),
        st.sampled_from(SKUS),
        st.integers(1, 3),
        st.sampled_from(("pending", "processing", "on-hold")),
    ),
    st.tuples(st.just("move"), st.integers(0, 50), st.sampled_from(STATUSES)),
    st.tuples(st.just("products")),
    st.tuples(st.just("cycle")),
    st.tuples(st.just("export")),
)


def published(shop: Shop) -> dict[str, tuple[int | None, str]]:
    """Each SKU's stock and regular price in the shop's WooCommerce."""
    shown: dict[str, tuple[int | None, str]] = {}
    for sku in SKUS:
        doc = shop.sandbox.products.by_sku(sku)
        assert doc is not None, f"no product {sku}"
        shown[sku] = (shop.woo_stock(sku), str(doc.get("regular_price")))
    return shown


async def act(shops: dict[str, Shop], orders: dict[str, list[int]], op: tuple[Any, ...]) -> None:
    """Apply one step to both shops alike."""
    kind = op[0]
    for mode, shop in shops.items():
        if kind == "till":
            shop.pos.set_on_hand(op[1], "store-1", op[2])
        elif kind == "price":
            shop.pos.set_price(op[1], f"{op[2] / 100:.2f}")
        elif kind == "order" and (shop.woo_stock(op[1]) or 0) >= op[2]:
            placed = shop.place([(op[1], op[2])], status=op[3])
            orders[mode].append(int(placed["id"]))
        elif kind == "move" and orders[mode]:
            shop.set_status(orders[mode][op[1] % len(orders[mode])], op[2])
        elif kind == "products":
            await shop.sync_products()
        elif kind == "cycle":
            await shop.refresh()
        elif kind == "export":
            await shop.export()


def expected(shop: Shop) -> dict[str, int]:
    """``max(0, on-hand - allocated - safety)`` from the POS and the ledger themselves."""
    settings_ = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        allocated = allocated_for_store(session, STORE, settings_)
    return {
        sku: max(
            0,
            sum(shop.pos.on_hand(sku).values())
            - allocated.get(sku.casefold(), 0)
            - settings_.safety_for(sku),
        )
        for sku in SKUS
    }


async def live(shops: dict[str, Shop], ops: list[tuple[Any, ...]]) -> None:
    orders: dict[str, list[int]] = {mode: [] for mode in shops}
    await act(shops, orders, ("products",))
    for number, op in enumerate(ops):
        await act(shops, orders, op)
        if op[0] in ("products", "cycle", "export"):
            full, incremental = published(shops["full"]), published(shops["incremental"])
            assert incremental == full, f"after step {number} {op} of {ops}"
    for op in (("cycle",), ("export",), ("products",), ("cycle",)):
        await act(shops, orders, op)
    for shop in shops.values():
        assert {sku: stock for sku, (stock, _) in published(shop).items()} == expected(shop)


@contextmanager
def two_shops(root: Path, template: Path) -> Iterator[dict[str, Shop]]:
    with ExitStack() as stack:
        for mode in ("incremental", "full"):
            (root / mode).mkdir()
        shops = {
            mode: stack.enter_context(
                make_shop(
                    root / mode,
                    template,
                    stock=STOCK,
                    safety_overrides={"inc-c": 1},
                    incremental=mode == "incremental",
                )
            )
            for mode in ("incremental", "full")
        }
        yield shops


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(step, min_size=1, max_size=14))
def test_incremental_reads_publish_what_full_reads_publish(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, ops: list[tuple[Any, ...]]
) -> None:
    with two_shops(tmp_path_factory.mktemp("shops"), _sqlite_template) as shops:
        asyncio.run(live(shops, ops))
