"""Batches: chunking by total size, per-item results and errors, ambiguous chunks, 413 splits."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.woocommerce.woo_helpers import API, FakeProductStore, golden, golden_response

from storebridge.woocommerce import WooAuthError, WooClient, plan_chunks


def _creates(n: int) -> list[dict[str, str]]:
    return [{"name": f"Item {i}", "sku": f"SKU-{i}", "status": "draft"} for i in range(n)]


def _sizes(bodies: list[dict[str, list[object]]]) -> list[int]:
    return [sum(len(body.get(k, [])) for k in ("create", "update", "delete")) for body in bodies]


@pytest.mark.parametrize(("count", "requests"), [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_creates_are_cut_into_requests_of_at_most_one_hundred(count: int, requests: int) -> None:
    chunks = plan_chunks(_creates(count))

    assert len(chunks) == requests
    assert sum(chunk.size for chunk in chunks) == count
    assert all(chunk.size <= 100 for chunk in chunks)


def test_creates_updates_and_deletes_are_counted_together() -> None:
    chunks = plan_chunks(
        _creates(60), [{"id": i, "stock_quantity": 1} for i in range(30)], list(range(20))
    )

    assert [chunk.size for chunk in chunks] == [100, 10]
    first, second = chunks
    assert (len(first.create), len(first.update), len(first.delete)) == (60, 30, 10)
    assert (len(second.create), len(second.update), len(second.delete)) == (0, 0, 10)
    assert [index for index, _ in second.delete] == list(range(10, 20))


@settings(max_examples=40)
@given(
    creates=st.integers(0, 230),
    updates=st.integers(0, 230),
    deletes=st.integers(0, 230),
    limit=st.integers(1, 100),
)
def test_chunking_keeps_every_item_once_in_order_under_the_limit(
    creates: int, updates: int, deletes: int, limit: int
) -> None:
    chunks = plan_chunks(
        _creates(creates), [{"id": i} for i in range(updates)], list(range(deletes)), limit=limit
    )

    assert len(chunks) == math.ceil((creates + updates + deletes) / limit)
    assert all(1 <= chunk.size <= limit for chunk in chunks)
    assert [i for c in chunks for i, _ in c.create] == list(range(creates))
    assert [i for c in chunks for i, _ in c.update] == list(range(updates))
    assert [i for c in chunks for i, _ in c.delete] == list(range(deletes))


@pytest.mark.parametrize(("count", "expected"), [(101, [100, 1]), (250, [100, 100, 50])])
async def test_a_large_batch_is_sent_in_several_requests(
    client: WooClient, respx_mock: respx.MockRouter, count: int, expected: list[int]
) -> None:
    store = FakeProductStore()
    route = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    outcome = await client.batch_products(create=_creates(count))

    assert route.call_count == len(expected)
    assert sorted(_sizes(store.batch_bodies), reverse=True) == expected
    assert outcome.ok
    assert [item.index for item in outcome.created] == list(range(count))
    assert outcome.created[42].item["sku"] == "SKU-42"


async def test_mixed_batch_chunks_count_all_kinds_together_on_the_wire(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore()
    existing = [store.add(sku=f"OLD-{i}") for i in range(50)]
    route = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    outcome = await client.batch_products(
        create=_creates(60),
        update=[{"id": p["id"], "stock_quantity": 3} for p in existing[:30]],
        delete=[p["id"] for p in existing[30:]],
    )

    assert route.call_count == 2
    assert sorted(_sizes(store.batch_bodies)) == [10, 100]
    assert (len(outcome.created), len(outcome.updated), len(outcome.deleted)) == (60, 30, 20)


async def test_one_bad_item_per_kind_leaves_the_good_ones_applied_golden_053(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    capture = golden("053")
    sent = capture["request"]["body"]
    route = respx_mock.post(f"{API}/products/batch").mock(return_value=golden_response("053"))

    outcome = await client.batch_products(
        create=sent["create"], update=sent["update"], delete=sent["delete"]
    )

    assert json.loads(route.calls.last.request.content) == sent
    assert [(s.index, s.id) for s in outcome.created] == [(0, 739)]
    assert [(s.index, s.id) for s in outcome.updated] == [(0, 726)]
    assert [(s.index, s.id) for s in outcome.deleted] == [(0, 730)]
    by_action = {error.action: error for error in outcome.errors}
    assert set(by_action) == {"create", "update", "delete"}
    duplicate = by_action["create"]
    assert (duplicate.index, duplicate.code, duplicate.sku) == (1, "product_invalid_sku", "GLD-A")
    assert duplicate.resource_id == 726
    assert duplicate.status == 400
    missing = by_action["update"]
    assert (missing.index, missing.item_id, missing.code) == (
        1,
        999999,
        "woocommerce_rest_product_invalid_id",
    )
    gone = by_action["delete"]
    assert (gone.index, gone.item_id, gone.status) == (1, 999998, 404)
    assert not outcome.ok


async def test_an_ambiguous_failure_marks_creates_unknown_and_resends_only_the_updates(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore()
    existing = store.add(sku="OLD-1")
    store.faults.append(("after", httpx.ReadTimeout("answer lost")))
    route = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    outcome = await client.batch_products(
        create=_creates(2), update=[{"id": existing["id"], "stock_quantity": 9}]
    )

    assert route.call_count == 2
    assert "create" not in store.batch_bodies[1]  # creates are never re-sent blindly
    assert [(u.action, u.index, u.sku) for u in outcome.unknown] == [
        ("create", 0, "SKU-0"),
        ("create", 1, "SKU-1"),
    ]
    assert all(u.error.ambiguous for u in outcome.unknown)
    assert [s.id for s in outcome.updated] == [existing["id"]]


async def test_an_ambiguous_failure_without_creates_is_retried_as_idempotent(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore()
    existing = store.add(sku="OLD-1")
    store.faults.append(("before", httpx.ReadTimeout("slow")))
    route = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    outcome = await client.batch_products(update=[{"id": existing["id"], "stock_quantity": 4}])

    assert route.call_count == 2
    assert outcome.ok
    assert store.products[existing["id"]]["stock_quantity"] == 4


async def test_a_request_refused_as_a_whole_gives_each_item_that_error(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{API}/products/batch").mock(return_value=golden_response("157"))

    outcome = await client.batch_products(create=_creates(2), delete=[5])

    assert [(e.action, e.index, e.code) for e in outcome.errors] == [
        ("create", 0, "rest_invalid_json"),
        ("create", 1, "rest_invalid_json"),
        ("delete", 0, "rest_invalid_json"),
    ]
    assert outcome.errors[2].item_id == 5
    assert outcome.unknown == []


async def test_a_store_with_a_lower_batch_limit_gets_the_chunk_split_after_a_413(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore(limit=30)
    respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    outcome = await client.batch_products(create=_creates(100))

    assert outcome.ok
    assert len(store.products) == 100
    accepted = [size for size in _sizes(store.batch_bodies) if size <= 30]
    assert sum(accepted) == 100  # every item applied exactly once


async def test_the_batch_limit_is_configurable(
    make_client: Callable[..., WooClient], respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore()
    route = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)

    async with make_client(batch_limit=25) as woo:
        await woo.batch_products(create=_creates(60))

    assert route.call_count == 3


async def test_an_authentication_failure_is_raised_not_filed_per_item(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{API}/products/batch").mock(return_value=golden_response("149"))

    with pytest.raises(WooAuthError):
        await client.batch_products(create=_creates(150))


async def test_variation_batches_go_to_the_parent_route_golden_045(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    sent = golden("045")["request"]["body"]
    route = respx_mock.post(f"{API}/products/735/variations/batch").mock(
        return_value=golden_response("045")
    )

    outcome = await client.batch_variations(735, create=sent["create"])

    assert route.call_count == 1
    assert [s.id for s in outcome.created] == [736, 737, 738]
    assert [(e.index, e.code, e.resource_id) for e in outcome.errors] == [
        (3, "product_invalid_sku", 726)
    ]
