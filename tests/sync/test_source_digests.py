"""Unchanged POS rows are neither validated nor planned again, yet nothing they owe is missed.

`sync.catalogue.digests`: a products run stores each in-sync row's source
digest; the next run skips rows whose digest is the same, except when their
allocation moved (their stock is published anew), when their link is not
healthy, or when something else pushed to them since.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.sync.ledger_rows import add_order
from tests.sync.sync_helpers import STORE, World, raw, store_settings

from storebridge.domain import validation
from storebridge.domain.model import SourceRef
from storebridge.sync.catalogue.digests import settings_fingerprint, source_digest
from storebridge.sync.orders.stock import push_stock


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SKUs validated row by row from now on."""
    seen: list[str] = []
    real = validation._validate_row

    def counting(raw_row: Any, options: Any) -> Any:
        seen.append(str(raw_row.sku))
        return real(raw_row, options)

    monkeypatch.setattr(validation, "_validate_row", counting)
    return seen


async def synced(world: World, n: int = 20) -> None:
    for i in range(n):
        world.pos.put(raw(f"D-{i:02}", "10.00", 5, line=i + 1))
    await world.sync()
    await world.sync()  # reads its own writes back once


async def test_a_run_over_unchanged_rows_validates_and_plans_none(
    world: World, validated: list[str]
) -> None:
    await synced(world)
    assert all(link.source_digest for link in world.links().values())
    validated.clear()

    run = await world.sync()

    assert validated == []
    assert run.report.writes == 0
    assert run.report.planned["unchanged"] == 20


async def test_a_changed_row_is_validated_planned_and_pushed(
    world: World, validated: list[str]
) -> None:
    await synced(world)
    before = world.links()["d-03"].source_digest
    world.pos.change("D-03", regular_price="12.00", description="not synced, still a change")
    validated.clear()

    run = await world.sync()

    assert validated == ["D-03"]
    assert run.report.counts["updated"] == 1
    assert world.by_sku("D-03")["regular_price"] == "12.00"
    after = world.links()["d-03"].source_digest
    assert after is not None and after != before
    validated.clear()
    assert (await world.sync()).report.writes == 0
    assert validated == []


async def test_an_unchanged_row_whose_allocation_moved_publishes_its_new_stock(
    world: World, validated: list[str]
) -> None:
    await synced(world)
    with world.services.sessions.begin() as session:
        add_order(session, 1, "processing", {"d-07": 2})
    validated.clear()

    run = await world.sync()

    assert validated == ["D-07"]
    assert run.report.counts["updated"] == 1
    assert world.by_sku("D-07")["stock_quantity"] == 3


async def test_a_push_from_elsewhere_makes_the_next_run_judge_the_row_again(
    world: World, validated: list[str]
) -> None:
    await synced(world)
    with world.services.sessions.begin() as session:
        add_order(session, 1, "processing", {"d-01": 1})
    await push_stock(world.services, STORE, {"D-01"})
    assert world.links()["d-01"].source_digest is None
    validated.clear()

    run = await world.sync()

    assert validated == ["D-01"]
    assert run.report.writes == 0  # the stock push already published 4
    assert world.links()["d-01"].source_digest is not None


async def test_a_new_row_with_the_sku_of_an_unchanged_one_quarantines_both(
    world: World,
) -> None:
    await synced(world, 3)
    world.pos.put(raw(" d-01 ", "11.00", 1, line=9))

    run = await world.sync()

    assert sorted((q.sku, q.reason) for q in run.report.quarantined) == [
        ("D-01", "duplicate_sku"),
        ("d-01", "duplicate_sku"),
    ]
    assert run.report.writes == 0  # the linked product is left alone, not zeroed


def test_a_digest_covers_the_content_and_the_settings_not_where_the_row_was_read(
    tmp_path: Path,
) -> None:
    settings = store_settings("sqlite://", tmp_path).stores[STORE]
    fingerprint = settings_fingerprint(settings, False, None)
    row = raw("X-1", "10.00", 5, line=3, on_hand={"shop": 5, "back": 1})

    same = source_digest(replace(row, ref=SourceRef("other", 99)), fingerprint)
    assert same == source_digest(row, fingerprint)
    reordered = replace(row, on_hand={"back": 1, "shop": 5})
    assert source_digest(reordered, fingerprint) == same
    assert source_digest(replace(row, weight="0.2"), fingerprint) != same
    assert source_digest(replace(row, on_hand={"shop": 4, "back": 1}), fingerprint) != same
    for changed in (
        settings.model_copy(update={"safety_stock": 1}),
        settings.model_copy(update={"locations": ("shop",)}),
        settings.model_copy(update={"selection": "all"}),
    ):
        assert source_digest(row, settings_fingerprint(changed, False, None)) != same
    assert source_digest(row, settings_fingerprint(settings, True, None)) != same
