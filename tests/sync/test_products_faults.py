"""Faults and lost links: broken and deleted products, parking, flaky servers, crashes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete
from tests.sync.sync_helpers import IDLE, World, make_world, money, raw

from storebridge.persistence.tables import ProductLink
from storebridge.sandbox import FaultConfig, SandboxConfig


async def test_a_sku_edited_in_woocommerce_is_reported_as_broken_never_duplicated(
    world: World,
) -> None:
    world.pos.put(raw("B-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("B-1")["id"]
    await world.api("PUT", f"/products/{product_id}", json={"sku": "B-1-EDITED"})
    world.pos.change("B-1", regular_price="6.00")

    first = await world.sync()
    second = await world.sync()

    assert [p.kind for p in first.report.problems] == ["broken"]
    assert "B-1-EDITED" in first.report.problems[0].detail
    assert world.links()["b-1"].state == "broken"
    assert len(world.docs()) == 1
    assert second.report.writes == 0
    assert [p.kind for p in second.report.problems] == ["waiting"]
    assert second.report.problems[0].detail.startswith("broken: ")


async def test_a_product_deleted_in_woocommerce_is_never_recreated(world: World) -> None:
    world.pos.put(raw("X-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("X-1")["id"]
    await world.api("DELETE", f"/products/{product_id}", params={"force": "true"})
    world.pos.change("X-1", regular_price="6.00")

    first = await world.sync()
    second = await world.sync()

    assert [p.kind for p in first.report.problems] == ["deleted"]
    assert world.links()["x-1"].state == "deleted"
    assert world.docs() == []
    assert second.report.writes == 0
    assert second.report.counts["waiting_deleted"] == 1


async def test_a_trashed_product_is_marked_deleted(world: World) -> None:
    world.pos.put(raw("T-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("T-1")["id"]
    await world.api("DELETE", f"/products/{product_id}")
    world.pos.change("T-1", regular_price="6.00")

    await world.sync()

    assert world.links()["t-1"].state == "deleted"
    assert len(world.docs()) == 1


async def test_an_update_that_keeps_failing_is_parked_until_its_input_changes(
    world: World,
) -> None:
    world.pos.put(raw("F-1", "5.00", 3))
    world.pos.put(raw("OK-1", "5.00", 3, line=2))
    await world.sync()
    world.pos.change("F-1", regular_price="6.00")
    world.sandbox.faults.fail_next("500", 1000, method="POST", path_contains="/products/batch")

    outcomes = [(await world.sync()).report for _ in range(3)]

    assert [r.outcome for r in outcomes] == ["partial", "partial", "partial"]
    assert [p.kind for r in outcomes for p in r.problems] == ["failed", "failed", "parked"]
    link = world.links()["f-1"]
    assert (link.state, link.failures) == ("parked", 3)
    assert "HTTP 500" in (link.last_error or "")
    world.sandbox.faults.reset()
    waiting = await world.sync()
    assert waiting.report.writes == 0 and waiting.report.outcome == "ok"
    assert waiting.report.counts["waiting_parked"] == 1

    world.pos.change("F-1", regular_price="7.00")
    revived = await world.sync()

    assert revived.report.counts["updated"] == 1
    assert money(world.by_sku("F-1"), "regular_price") == Decimal("7.00")
    assert world.links()["f-1"].state == "linked"


async def test_a_create_that_keeps_failing_is_parked_then_retried_on_request(
    world: World,
) -> None:
    world.pos.put(raw("NEW-1", "5.00", 3))
    world.sandbox.faults.fail_next("503", 1000, method="POST", path_contains="/products/batch")

    for _ in range(3):
        await world.sync()
    assert world.links()["new-1"].state == "parked"
    assert world.links()["new-1"].woo_id is None
    world.sandbox.faults.reset()
    assert (await world.sync()).report.counts["waiting_parked"] == 1

    retried = await world.sync(retry_parked_items=True)

    assert retried.report.counts["created"] == 1
    assert world.links()["new-1"].state == "linked"
    assert len(world.docs()) == 1


async def test_a_crash_between_create_and_link_recording_converges_by_adoption(
    world: World,
) -> None:
    for n in range(120):
        world.pos.put(raw(f"CR-{n:03}", "5.00", 2, line=n + 1))
    await world.sync()
    with world.services.sessions.begin() as session:
        session.execute(delete(ProductLink))

    run = await world.sync()

    assert run.report.counts["adopted"] == 120
    assert run.report.counts["created"] == 0
    assert len(world.docs()) == 120
    assert {link.origin for link in world.links().values()} == {"adopted"}
    assert (await world.settled()).keys() == IDLE.keys()  # 120 in one second: see link_check


async def test_lost_answers_and_throttling_converge_without_duplicates(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    faults = FaultConfig(seed=7, rate_429=0.15, rate_503=0.15, rate_drop_after=0.15)
    config = SandboxConfig(webhook_auto_deliver=False, faults=faults)
    with make_world(tmp_path, _sqlite_template, sandbox_config=config) as world:
        for n in range(150):
            world.pos.put(raw(f"FL-{n:03}", f"{5 + n % 3}.00", n % 5, line=n + 1))
        for _ in range(10):
            run = await world.sync()
            if run.report.outcome == "ok" and run.report.writes == 0:
                break
        world.sandbox.faults.configure(FaultConfig())
        final = await world.sync()

        assert final.report.writes == 0
        docs = world.docs()
        skus = [d["sku"] for d in docs]
        assert len(skus) == len(set(skus)) == 150
        for doc in docs:
            n = int(doc["sku"].split("-")[1])
            assert money(doc, "regular_price") == Decimal(f"{5 + n % 3}.00")
            assert doc["stock_quantity"] == n % 5
