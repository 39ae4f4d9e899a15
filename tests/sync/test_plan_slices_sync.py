"""A products run plans and applies a slice at a time, with the batches of a whole plan."""

from __future__ import annotations

import pytest
from tests.sync.sync_helpers import World, raw

from storebridge.domain.operations import (
    AddVariation,
    CreateDraft,
    NewVariation,
    Plan,
    UpdateFields,
)
from storebridge.domain.ownership import PosOwned
from storebridge.sync.catalogue import products
from storebridge.sync.catalogue.plan_buffer import PlanBuffer


async def test_a_big_first_sync_and_a_scattered_change_cost_the_batches_of_a_whole_plan(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(products, "PLAN_SLICE", 50)  # 1,700 items: 34 parts, flushed by 800
    for n in range(1_700):
        world.pos.put(raw(f"B-{n:04}", "5.00", n % 9, line=n + 1))

    first = await world.sync()

    assert first.report.counts["created"] == 1_700
    assert first.report.requests["POST /products/batch"] == 17
    assert first.report.planned["create"] == 1_700
    assert first.plan is None  # a real run keeps only the counts
    assert len(world.docs()) == 1_700
    await world.sync()  # reads its own writes back once
    for n in range(0, 1_700, 11):  # 155 changes spread over every part
        world.pos.change(f"B-{n:04}", regular_price="6.00")

    changed = await world.sync()

    assert changed.report.counts["updated"] == 155
    assert changed.report.requests["POST /products/batch"] == 2
    assert changed.report.planned["unchanged"] == 1_700 - 155
    assert (await world.sync()).report.writes == 0


def create(n: int) -> CreateDraft:
    owned = PosOwned(None, None, None, None, manage_stock=True, stock_quantity=1)
    return CreateDraft(f"c{n}", f"C{n}", {"sku": f"C{n}"}, owned)


def update(n: int) -> UpdateFields:
    owned = PosOwned(None, None, None, None, manage_stock=True, stock_quantity=n)
    return UpdateFields(f"u{n}", n, None, {"stock_quantity": n}, owned)


def test_the_buffer_hands_over_whole_units_and_keeps_the_rest_for_the_drain() -> None:
    buffer = PlanBuffer(unit=4, threshold=8)
    assert buffer.add(Plan(creates=tuple(create(n) for n in range(7)))) == []
    (ready,) = buffer.add(Plan(creates=tuple(create(n) for n in range(7, 10))))
    assert [op.sku_key for op in ready.creates] == [f"c{n}" for n in range(8)]
    assert buffer.add(Plan(updates=tuple(update(n) for n in range(3)), unchanged=5)) == []

    rest = buffer.drain()

    assert [op.sku_key for op in rest.creates] == ["c8", "c9"]
    assert [op.sku_key for op in rest.updates] == ["u0", "u1", "u2"]
    assert buffer.summary["create"] == 10 and buffer.summary["unchanged"] == 5
    assert buffer.drain().is_empty


def test_new_variants_of_existing_styles_wait_for_the_drain_one_request_per_parent() -> None:
    owned = PosOwned(None, None, None, None, manage_stock=True, stock_quantity=1)
    adds = tuple(
        AddVariation("tee", 7, NewVariation(f"v{n}", f"V{n}", {}, owned), {"Size": ("S",)})
        for n in range(5)
    )
    buffer = PlanBuffer(unit=1, threshold=2)
    assert buffer.add(Plan(variable_creates=adds)) == []
    assert buffer.drain().variable_creates == adds


def test_a_threshold_below_one_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        PlanBuffer(unit=10, threshold=5)
