"""Contract: variable products and their variations."""

from __future__ import annotations

from typing import Any

from tests.contract.contract_support import Store


async def _tee(store: Store) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parent = await store.create(
        "/products",
        {
            "name": "Contract Tee",
            "type": "variable",
            "status": "draft",
            "sku": store.sku("TEE"),
            "attributes": [{"name": "Size", "options": ["S", "M"], "variation": True}],
        },
    )
    response = await store.client.post(
        f"/products/{parent['id']}/variations/batch",
        json={
            "create": [
                {
                    "sku": store.sku("TEE-S"),
                    "regular_price": "10.00",
                    "manage_stock": True,
                    "stock_quantity": 5,
                    "attributes": [{"name": "Size", "option": "S"}],
                },
                {
                    "regular_price": "11.00",
                    "sale_price": "9.00",
                    "attributes": [
                        {"name": "Size", "option": "M"},
                        {"name": "Color", "option": "Red"},
                    ],
                },
            ]
        },
    )
    assert response.status_code == 200
    return parent, response.json()["create"]


async def test_variations_inherit_the_parent_sku_and_drop_unknown_attributes(store: Store) -> None:
    parent, (small, medium) = await _tee(store)
    assert small["sku"] == store.sku("TEE-S")
    assert medium["sku"] == store.sku("TEE")  # no own SKU: the parent's shows
    assert [a["name"] for a in medium["attributes"]] == ["Size"]
    listed = await store.client.get(f"/products/{parent['id']}/variations")
    assert listed.headers["X-WP-Total"] == "2"


async def test_the_parent_price_is_the_lowest_variation_price(store: Store) -> None:
    parent, (small, medium) = await _tee(store)
    read = (await store.client.get(f"/products/{parent['id']}")).json()
    assert read["price"] == "9.00" and read["regular_price"] == ""
    assert sorted(read["variations"]) == sorted([small["id"], medium["id"]])


async def test_a_sku_lookup_finds_the_variation_itself(store: Store) -> None:
    parent, (small, _) = await _tee(store)
    found = (await store.client.get("/products", params={"sku": store.sku("TEE-S")})).json()
    assert [(p["id"], p["type"], p["parent_id"]) for p in found] == [
        (small["id"], "variation", parent["id"])
    ]
    by_parent_sku = await store.client.get("/products", params={"sku": store.sku("TEE")})
    assert [p["id"] for p in by_parent_sku.json()] == [parent["id"]]
    through_products = await store.client.get(f"/products/{small['id']}")
    assert through_products.json()["name"] == "Contract Tee - S"


async def test_a_variation_sku_is_in_the_products_sku_pool(store: Store) -> None:
    _, (small, _) = await _tee(store)
    response = await store.client.post("/products", json={"name": "x", "sku": store.sku("TEE-S")})
    assert response.status_code == 400
    assert response.json()["data"]["resource_id"] == small["id"]


async def test_force_deleting_the_parent_deletes_its_variations(store: Store) -> None:
    parent, (small, _) = await _tee(store)
    response = await store.client.delete(f"/products/{parent['id']}", params={"force": "true"})
    assert response.status_code == 200
    gone = await store.client.get(f"/products/{parent['id']}/variations/{small['id']}")
    assert (gone.status_code, gone.json()["code"]) == (
        404,
        "woocommerce_rest_product_variation_invalid_id",
    )
