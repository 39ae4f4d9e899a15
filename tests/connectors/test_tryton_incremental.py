"""Incremental reads of the Tryton connector never miss a change (real trytond).

Random sequences of shop life -- template and variant writes, till sales,
receipts, web orders written by the connector, web-shop membership from
either side, new products, price-list offers -- interleaved with changes
reads: what the reads delivered, applied over the first full read, must
equal a fresh full read.  A read may turn into a full one only when a web
shop was edited from its own form (a lost membership leaves no record).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from connector_samples import line, order, replay_incremental, tryton_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge.connectors.read_position import ReadPosition
from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.server import TrytonServer
from storebridge.connectors.tryton.simulation import TrytonStoreLife, TrytonTill
from storebridge.connectors.tryton.stamps import ChangeCursor
from storebridge.domain.model import RawItem
from storebridge.ports import IncrementalReader

cents = st.integers(min_value=100, max_value=9_999).map(lambda c: Decimal(c) / 100)
pick = st.integers(0, 1_000)
operation = st.one_of(
    st.tuples(st.just("read")),
    st.tuples(st.just("till"), pick),
    st.tuples(st.just("receipt"), pick),
    st.tuples(st.just("reprice"), pick),
    st.tuples(st.just("variant"), pick, st.text("abcé ", min_size=1, max_size=6)),
    st.tuples(st.just("web_add"), pick),
    st.tuples(st.just("web_remove"), pick),
    st.tuples(st.just("shop_remove"), pick),
    st.tuples(st.just("new"), cents),
    st.tuples(st.just("offer"), pick, cents),
    st.tuples(st.just("order"), pick),
)


def seen(item: RawItem) -> tuple[Any, ...]:
    """What a read says about a product (its source line aside)."""
    return (
        item.name,
        Decimal(str(item.regular_price)),
        None if item.sale_price is None else Decimal(str(item.sale_price)),
        item.web_flag,
        tuple(sorted((loc, Decimal(str(qty))) for loc, qty in item.on_hand.items())),
        tuple(sorted(item.webstore_prices)),
        item.description,
        item.parent_code,
        tuple(sorted(item.attributes.items())),
    )


class Shop:
    """Plays one change in the seeded Tryton, as its staff or the web would."""

    def __init__(self, connector: TrytonConnector) -> None:
        self.connector = connector
        self.rpc = connector.rpc
        self.life = TrytonStoreLife(
            self.rpc,
            TrytonTill(self.rpc, seed.TILL, seed.TILL_PAYMENT),
            shop=seed.SHOP_WAREHOUSE,
            receiving=seed.WAREHOUSE,
        )
        self.numbers = itertools.count(1)
        (self.shop_id,) = self.rpc.call(
            "web.shop", "search", [("name", "=", seed.WEB_SHOP)], 0, 1, None
        )
        (self.price_list,) = self.rpc.call(
            "product.price_list", "search", [("name", "=", seed.PRICE_LIST)], 0, 1, None
        )
        #: Set when a web shop was edited from its own form since the last read.
        self.shop_edited = False

    def take_edited(self) -> bool:
        """Whether a web shop was edited from its own form since the last call (a full read)."""
        edited, self.shop_edited = self.shop_edited, False
        return edited

    def _product(self, index: int) -> dict[str, Any]:
        rows = self.rpc.call(
            "product.product",
            "search_read",
            [("type", "=", "goods"), ("salable", "=", True)],
            0,
            None,
            [("id", "ASC")],
            ["code", "template", "list_price_used"],
        )
        return dict(rows[index % len(rows)])

    def apply(self, op: tuple[Any, ...]) -> None:
        kind, rpc = op[0], self.rpc
        if kind in ("till", "receipt", "reprice"):
            play = {
                "till": self.life.sell_one,
                "receipt": self.life.receive_one,
                "reprice": self.life.reprice_one,
            }[kind]
            play(random.Random(op[1]))
            return
        if kind == "new":
            self._new_product(op[1])
            return
        product = self._product(op[1])
        if kind == "variant":
            rpc.call("product.product", "write", [product["id"]], {"description": op[2]})
        elif kind == "web_add":
            rpc.call(
                "product.product",
                "write",
                [product["id"]],
                {"web_shops": [["add", [self.shop_id]]]},
            )
        elif kind == "web_remove":
            rpc.call(
                "product.product",
                "write",
                [product["id"]],
                {"web_shops": [["remove", [self.shop_id]]]},
            )
        elif kind == "shop_remove":
            rpc.call(
                "web.shop", "write", [self.shop_id], {"products": [["remove", [product["id"]]]]}
            )
            self.shop_edited = True
        elif kind == "offer":
            rpc.call(
                "product.price_list.line",
                "create",
                [
                    {
                        "price_list": self.price_list,
                        "product": product["id"],
                        "formula": str(op[2]),
                        "sequence": 5,
                    }
                ],
            )
        elif kind == "order":
            number = 5_000 + next(self.numbers)
            price = str(product["list_price_used"])
            self.connector.write_order(order(number, (line(product["code"], 1, price),)))

    def _new_product(self, price: Decimal) -> None:
        rpc = self.rpc
        (unit,) = rpc.call("product.uom", "search", [("name", "=", "Unit")], 0, 1, None)
        (category,) = rpc.call(
            "product.category", "search", [("accounting", "=", True)], 0, 1, None
        )
        code = f"NEW-{next(self.numbers)}-{random.randrange(10**6)}"
        values = {
            "type": "goods",
            "default_uom": unit,
            "sale_uom": unit,
            "salable": True,
            "account_category": category,
            "name": f"New {code}",
            "code": code,
            "list_price": price,
            "products": [["create", [{"description": None}]]],
        }
        rpc.call("product.template", "create", [values])


@pytest.fixture
def connector(tryton: TrytonServer) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(tryton_settings(tryton.url))
    yield connector
    connector.close()


def test_the_connector_reads_incrementally(connector: TrytonConnector) -> None:
    assert isinstance(connector, IncrementalReader)


@pytest.mark.slow
def test_changes_reads_applied_over_a_full_read_equal_a_full_read(
    connector: TrytonConnector,
) -> None:
    shop = Shop(connector)

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=7))
    def changes_reads_miss_nothing(operations: list[tuple[Any, ...]]) -> None:
        view = replay_incremental(connector, operations, shop.apply, seen, shop.take_edited)
        assert view == {str(item.sku): seen(item) for item in connector.read_items()}

    changes_reads_miss_nothing()


def settle(connector: TrytonConnector) -> str:
    """The position after a full read and the changes read that follows it."""
    list(connector.read_items_since(None))
    assert connector.last_read is not None
    list(connector.read_items_since(connector.last_read.position))
    assert connector.last_read is not None
    return connector.last_read.position


IDLE_CALLS = {
    "model.product.product.search_read": 1,
    "model.web.shop.search_read": 1,
    "model.stock.move.search_read": 1,
    "model.product.price_list.line.search_read": 1,
    "model.product.price_list.search_read": 1,
}


def test_an_idle_changes_read_reads_nothing_in_a_constant_number_of_calls(
    connector: TrytonConnector,
) -> None:
    position = settle(connector)
    connector.rpc.calls.clear()

    assert list(connector.read_items_since(position)) == []

    assert connector.rpc.calls == IDLE_CALLS
    assert connector.last_read is not None and not connector.last_read.complete


def test_a_till_sale_delivers_that_product_alone_with_every_warehouse(
    connector: TrytonConnector,
) -> None:
    position = settle(connector)
    TrytonTill(connector.rpc, seed.TILL, seed.TILL_PAYMENT).sell("MUG-01", 2)
    connector.rpc.calls.clear()

    (mug,) = connector.read_items_since(position)

    assert mug.sku == "MUG-01"
    assert mug.on_hand == {seed.WAREHOUSE: 25, seed.SHOP_WAREHOUSE: 38}
    assert connector.last_read is not None and not connector.last_read.complete
    # the changes queries, then one page of products: no call per product
    assert connector.rpc.calls == {
        **IDLE_CALLS,
        "model.product.product.search_read": 2,
        "model.product.product.read": 1,  # the second warehouse
        "model.web.shop.search_read": 2,  # the shops' products
    }
    # delivered once: the next read is idle again
    assert list(connector.read_items_since(connector.last_read.position)) == []


def test_a_template_price_write_delivers_every_variant_of_the_style(
    connector: TrytonConnector,
) -> None:
    position = settle(connector)
    rpc = connector.rpc
    (template,) = rpc.call("product.template", "search", [("code", "=", "TEE-")], 0, 1, None)
    rpc.call("product.template", "write", [template], {"list_price": Decimal("21.00")})

    changed = {str(item.sku): item for item in connector.read_items_since(position)}

    assert set(changed) == {"TEE-RED-M", "TEE-RED-L", "TEE-BLUE-M"}
    assert {Decimal(str(item.regular_price)) for item in changed.values()} == {Decimal("21.00")}


def test_removing_a_product_from_the_web_shop_leaves_the_selection(
    connector: TrytonConnector,
) -> None:
    shop = Shop(connector)
    position = settle(connector)
    shop.apply(("web_remove", 0))  # from the product's form: the product is stamped
    (mug,) = connector.read_items_since(position)
    assert connector.last_read is not None and not connector.last_read.complete
    assert mug.sku == "MUG-01" and mug.webstore_prices == {}

    shop.apply(("web_add", 0))
    shop.apply(("shop_remove", 0))  # from the shop's form: only the shop is stamped
    everything = {str(i.sku): i for i in connector.read_items_since(connector.last_read.position)}
    assert connector.last_read is not None and connector.last_read.complete
    assert everything["MUG-01"].webstore_prices == {}
    assert set(everything) == set(seed.GOODS)


def test_a_full_read_follows_every_full_read_every_s_and_an_unreadable_position(
    tryton: TrytonServer,
) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, full_read_every_s=600))
    position = ReadPosition.decode(settle(connector))
    assert position is not None
    old = ReadPosition(position.cursor, datetime.now(UTC) - timedelta(seconds=601))

    assert len(list(connector.read_items_since(old.encode()))) == len(seed.GOODS)
    assert connector.last_read is not None and connector.last_read.complete
    after = ReadPosition.decode(connector.last_read.position)
    assert after is not None and after.full_read_at > old.full_read_at
    # the cursor carries on: no change, so the next read is idle
    assert list(connector.read_items_since(connector.last_read.position)) == []

    for broken in ("not json", ReadPosition("not a cursor", datetime.now(UTC)).encode()):
        assert len(list(connector.read_items_since(broken))) == len(seed.GOODS)
        assert connector.last_read is not None and connector.last_read.complete
    connector.close()


def test_a_move_done_ahead_of_its_date_is_read_again_on_a_new_day(
    connector: TrytonConnector,
) -> None:
    position = settle(connector)
    received = Shop(connector).life.receive_one(random.Random(2))  # done, effective today
    assert received is not None
    sku = received.split(" x ")[1].split(" into ")[0]
    assert {str(item.sku) for item in connector.read_items_since(position)} == {sku}
    assert connector.last_read is not None
    after = ReadPosition.decode(connector.last_read.position)
    assert after is not None
    assert list(connector.read_items_since(connector.last_read.position)) == []  # delivered
    cursor = ChangeCursor.decode(after.cursor)
    assert cursor is not None

    # The same position, as if stored yesterday: nothing was written since, but a move
    # effective from that day on may have entered the on-hand without being written.
    yesterday = ChangeCursor(cursor.at, date.today() - timedelta(days=1), cursor.seen)
    stale = ReadPosition(yesterday.encode(), after.full_read_at).encode()

    assert sku in {str(item.sku) for item in connector.read_items_since(stale)}
    assert connector.last_read is not None and not connector.last_read.complete


def test_the_schedule_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="full_read_every_s"):
        tryton_settings("http://erp:8000", full_read_every_s=0)
    with pytest.raises(ValueError, match="cursor_overlap_s"):
        tryton_settings("http://erp:8000", cursor_overlap_s=-1)
    assert tryton_settings("http://erp:8000").full_read_every_s == 3600
