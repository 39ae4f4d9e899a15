"""Contract: /products/batch semantics."""

from __future__ import annotations

from tests.contract.contract_support import Store


async def test_a_batch_reports_each_failure_inline_with_http_200(store: Store) -> None:
    keep = await store.create("/products", {"name": "Batch Keep", "sku": store.sku("BK")})
    doomed = await store.create("/products", {"name": "Batch Doomed", "sku": store.sku("BD")})
    response = await store.client.post(
        "/products/batch",
        json={
            "create": [
                {"name": "Batch New", "sku": store.sku("BN"), "status": "draft"},
                {"name": "Batch Clash", "sku": store.sku("BK"), "status": "draft"},
            ],
            "update": [{"id": keep["id"], "regular_price": "3.00"}, {"id": 987654321}],
            "delete": [doomed["id"], 987654320],
        },
    )
    assert response.status_code == 200
    result = response.json()
    created, clash = result["create"]
    store.track("/products", created["id"])
    assert created["sku"] == store.sku("BN")
    assert clash["id"] == 0 and clash["error"]["code"] == "product_invalid_sku"
    updated, missing = result["update"]
    assert updated["regular_price"] == "3.00"
    assert missing["id"] == 987654321
    assert missing["error"]["data"]["status"] == 400
    deleted, unknown = result["delete"]
    assert deleted["id"] == doomed["id"]
    assert unknown["error"]["code"] == "woocommerce_rest_product_invalid_id"
    # Batch deletes are permanent, not trash.
    assert (await store.client.get(f"/products/{doomed['id']}")).status_code == 404


async def test_more_than_100_items_are_refused_whole(store: Store) -> None:
    items = [{"name": f"Over {n}", "sku": store.sku(f"O{n}")} for n in range(101)]
    response = await store.client.post("/products/batch", json={"create": items})
    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"
    listed = await store.client.get("/products", params={"sku": store.sku("O0")})
    assert listed.json() == []


async def test_an_empty_batch_answers_an_empty_array(store: Store) -> None:
    response = await store.client.post("/products/batch", json={})
    assert (response.status_code, response.json()) == (200, [])
