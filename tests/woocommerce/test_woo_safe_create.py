"""Creating products after timeouts without duplicates; SKU look-ups in bounded chunks."""

from __future__ import annotations

import httpx
import respx
from tests.woocommerce.woo_helpers import API, FakeProductStore, golden, golden_response

from storebridge.woocommerce import CreateStatus, WooClient, WooTransportError, sku_key
from storebridge.woocommerce.safe_create import chunk_skus

Fault = tuple[str, Exception]


def _mock(
    respx_mock: respx.MockRouter, *faults: Fault, store: FakeProductStore | None = None
) -> tuple[FakeProductStore, respx.Route, respx.Route]:
    """A fake product store behind the batch and list endpoints; `faults` hit its batches."""
    store = FakeProductStore() if store is None else store
    store.faults.extend(faults)
    batch = respx_mock.post(f"{API}/products/batch").mock(side_effect=store.batch)
    lookup = respx_mock.get(f"{API}/products").mock(side_effect=store.list)
    return store, batch, lookup


async def test_a_timed_out_create_that_the_server_applied_is_adopted_not_duplicated(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store, batch, lookup = _mock(respx_mock, ("after", httpx.ReadTimeout("answer lost")))

    results = await client.create_products_safely(
        [{"name": "Linen shirt", "sku": "LS-001", "status": "draft"}]
    )

    assert batch.call_count == 1
    assert lookup.call_count == 1
    assert lookup.calls.last.request.url.params["sku"] == "LS-001"
    assert len(store.products) == 1
    (result,) = results
    assert result.status is CreateStatus.ADOPTED
    assert result.product is not None
    assert result.resource_id == result.product.id == next(iter(store.products))


async def test_a_timed_out_create_that_never_happened_is_created_again_once(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store, batch, lookup = _mock(respx_mock, ("before", httpx.ReadTimeout("lost on the way")))

    (result,) = await client.create_products_safely([{"name": "Tee", "sku": "TEE-1"}])

    assert batch.call_count == 2
    assert lookup.call_count == 1
    assert result.status is CreateStatus.CREATED
    assert len(store.products) == 1


async def test_only_the_missing_skus_of_an_ambiguous_chunk_are_re_created(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    # The server applied the batch, then the connection dropped; one SKU was later
    # removed by someone else, so it is truly absent when we look.
    store, batch, _ = _mock(respx_mock, ("after", httpx.RemoteProtocolError("peer closed")))

    async def drop_b_after_first_batch(request: httpx.Request) -> httpx.Response:
        try:
            return store.batch(request)
        finally:
            for pid, product in list(store.products.items()):
                if product["sku"] == "B" and len(store.batch_bodies) == 1:
                    del store.products[pid]

    batch.mock(side_effect=drop_b_after_first_batch)

    results = await client.create_products_safely(
        [{"name": "A", "sku": "A"}, {"name": "B", "sku": "B"}, {"name": "C", "sku": "c "}]
    )

    assert [r.status for r in results] == [
        CreateStatus.ADOPTED,
        CreateStatus.CREATED,
        CreateStatus.ADOPTED,
    ]
    assert store.batch_bodies[1] == {"create": [{"name": "B", "sku": "B"}]}
    assert sorted(p["sku"] for p in store.products.values()) == ["A", "B", "c "]


async def test_a_duplicate_sku_on_create_is_reported_as_already_existing_with_its_holder(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    capture = golden("053")
    respx_mock.post(f"{API}/products/batch").mock(return_value=golden_response("053"))

    results = await client.create_products_safely(capture["request"]["body"]["create"])

    assert [r.status for r in results] == [CreateStatus.CREATED, CreateStatus.ALREADY_EXISTS]
    assert results[0].resource_id == 739
    assert results[1].resource_id == 726
    assert results[1].sku == "GLD-A"


async def test_a_second_ambiguous_failure_ends_as_unknown_without_a_third_create(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store, batch, lookup = _mock(
        respx_mock,
        ("before", httpx.ReadTimeout("slow")),
        ("before", httpx.ReadTimeout("slow again")),
    )

    (result,) = await client.create_products_safely([{"name": "X", "sku": "X-1"}])

    assert batch.call_count == 2
    assert lookup.call_count == 2
    assert result.status is CreateStatus.UNKNOWN
    assert isinstance(result.error, WooTransportError)
    assert store.products == {}


async def test_an_ambiguous_create_without_a_sku_is_never_re_created(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    _, batch, lookup = _mock(respx_mock, ("before", httpx.ReadTimeout("slow")))

    (result,) = await client.create_products_safely([{"name": "No SKU", "sku": ""}])

    assert batch.call_count == 1
    assert lookup.call_count == 0
    assert result.status is CreateStatus.UNKNOWN


async def test_a_refused_create_is_failed_with_the_item_error(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    refusal = {
        "id": 0,
        "error": {
            "code": "woocommerce_product_image_upload_error",
            "message": "Error getting remote image",
            "data": {"status": 400},
        },
    }
    respx_mock.post(f"{API}/products/batch").mock(
        return_value=httpx.Response(200, json={"create": [refusal]})
    )

    (result,) = await client.create_products_safely([{"name": "Img", "sku": "IMG-1"}])

    assert result.status is CreateStatus.FAILED
    assert result.error is not None
    assert getattr(result.error, "code", None) == "woocommerce_product_image_upload_error"


async def test_sku_lookups_are_chunked_and_keyed_by_lowercase_sku(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    store = FakeProductStore()
    for i in range(120):
        store.add(sku=f"Sku-{i:03d}")
    _, _, lookup = _mock(respx_mock, store=store)

    found = await client.find_products_by_skus([f"SKU-{i:03d}" for i in range(130)] + ["  "])

    assert lookup.call_count == 3
    assert sorted(len(skus) for skus in store.lookups) == [30, 50, 50]
    assert len(found) == 120
    assert found["sku-007"].sku == "Sku-007"


async def test_sku_lookup_finds_variations_through_the_products_endpoint_golden_049(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products").mock(return_value=golden_response("049"))

    found = await client.find_products_by_skus(["gld-tee-s"])

    variation = found["gld-tee-s"]
    assert variation.is_variation
    assert variation.parent_id == 735
    assert variation.total_sales == 0  # sent as the string "0"


def test_sku_chunks_respect_count_length_and_commas() -> None:
    long_skus = [f"{'L' * 400}-{i}" for i in range(5)]

    groups = chunk_skus(["a", "A ", "b,c", "d", *long_skus], size=50, max_chars=1000)

    assert ["b,c"] in groups  # a SKU holding a comma is looked up on its own
    assert sum(len(g) for g in groups) == 8  # "A " is "a" again
    assert all(len(",".join(g)) <= 1000 for g in groups)


def test_sku_key_trims_and_lowercases_like_woocommerce() -> None:
    assert sku_key("  GLD-A ") == "gld-a"
    assert sku_key(None) == ""
    assert sku_key("GLD A") == "gld a"  # inner spaces are significant (golden 031)
