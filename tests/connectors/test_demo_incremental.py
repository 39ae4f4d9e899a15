"""Incremental reads of the demo POS never miss a change (property test against full reads).

Random sequences of till life -- sales, receipts, price changes, promotions,
web flag flips, new items (`simulate_step`), back-office edits and web
invoices -- interleaved with incremental reads: the items the incremental
reads delivered, applied over the first full read, must equal a fresh full
read.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector_samples import demo_settings, line, order, replay_incremental
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.read_position import ReadPosition
from storebridge.domain.model import RawItem

operation = st.one_of(
    st.tuples(st.just("read")),
    st.tuples(st.just("life"), st.integers(0, 10_000), st.integers(1, 6)),
    st.tuples(st.just("price"), st.integers(0, 10_000), st.integers(100, 99_999)),
    st.tuples(st.just("count"), st.integers(0, 10_000), st.integers(0, 40)),
    st.tuples(st.just("web"), st.integers(0, 10_000), st.booleans()),
    st.tuples(st.just("invoice"), st.integers(0, 10_000)),
)


def seen(item: RawItem) -> tuple[Any, ...]:
    """What a read says about an item (its line number aside)."""
    return (
        item.name,
        item.regular_price,
        item.sale_price,
        item.sale_from,
        item.sale_to,
        item.web_flag,
        tuple(sorted(item.on_hand.items())),
        tuple(sorted(item.webstore_prices.items())),
        item.parent_code,
    )


def full_view(pos: DemoPos) -> dict[str, tuple[Any, ...]]:
    return {str(item.sku): seen(item) for item in pos.read_items()}


def apply(pos: DemoPos, op: tuple[Any, ...], invoices: list[int]) -> None:
    skus = sorted(full_view(pos))
    kind = op[0]
    if kind == "life":
        pos.simulate_step(random.Random(op[1]), op[2])
    elif kind == "price":
        pos.set_price(skus[op[1] % len(skus)], Decimal(op[2]) / 100)
    elif kind == "count":
        pos.set_on_hand(skus[op[1] % len(skus)], "store-2", op[2])
    elif kind == "web":
        pos.set_web(skus[op[1] % len(skus)], op[2])
    elif kind == "invoice":
        invoices.append(len(invoices) + 5000)
        sku = skus[op[1] % len(skus)]
        pos.write_order(order(invoices[-1], lines=(line(sku, 1),)))


def test_incremental_reads_accumulated_equal_a_full_read(tmp_path: Path) -> None:
    pos = DemoPos(demo_settings(tmp_path, seed_items=12, seed_styles=1, allow_negative_stock=True))
    invoices: list[int] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=12))
    def incremental_reads_miss_nothing(operations: list[tuple[Any, ...]]) -> None:
        view = replay_incremental(pos, operations, lambda op: apply(pos, op, invoices), seen)
        assert view == full_view(pos)

    incremental_reads_miss_nothing()


def test_a_delta_carries_only_the_changed_items_with_all_their_locations(tmp_path: Path) -> None:
    pos = DemoPos(demo_settings(tmp_path))
    full = {str(item.sku): item for item in pos.read_items_since(None)}
    assert pos.last_read is not None and pos.last_read.complete
    position = pos.last_read.position
    sku = next(s for s, item in full.items() if len(item.on_hand) == 3)

    assert list(pos.read_items_since(position)) == []  # nothing changed: nothing read
    assert pos.last_read is not None and not pos.last_read.complete
    assert pos.last_read.position == position

    pos.set_on_hand(sku, "store-2", 99)
    changes = list(pos.read_items_since(position))
    assert [str(item.sku) for item in changes] == [sku]
    assert changes[0].on_hand == {**full[sku].on_hand, "store-2": 99}
    assert pos.last_read is not None and not pos.last_read.complete
    assert list(pos.read_items_since(pos.last_read.position)) == []


def test_a_full_read_comes_round_every_full_read_every_s(tmp_path: Path) -> None:
    pos = DemoPos(demo_settings(tmp_path, full_read_every_s=60))
    everything = list(pos.read_items_since(None))
    assert pos.last_read is not None
    recent = ReadPosition.decode(pos.last_read.position)
    assert recent is not None
    old = ReadPosition(recent.cursor, datetime.now(UTC) - timedelta(seconds=61))

    assert len(list(pos.read_items_since(old.encode()))) == len(everything)
    assert pos.last_read is not None and pos.last_read.complete
    after = ReadPosition.decode(pos.last_read.position)
    assert after is not None and after.full_read_at > old.full_read_at
    # An unreadable position (another connector's, a damaged row) reads everything too.
    assert len(list(pos.read_items_since("not json"))) == len(everything)
    assert pos.last_read is not None and pos.last_read.complete


def test_a_database_from_before_the_change_sequence_gets_it(tmp_path: Path) -> None:
    pos = DemoPos(demo_settings(tmp_path))
    sku = str(next(iter(pos.read_items())).sku)
    with pos._connection() as conn:  # an older file: no change table, no triggers
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE item_changes")

    reopened = DemoPos(demo_settings(tmp_path))
    list(reopened.read_items_since(None))
    assert reopened.last_read is not None
    position = reopened.last_read.position
    reopened.set_price(sku, Decimal("12.34"))
    assert [str(item.sku) for item in reopened.read_items_since(position)] == [sku]
