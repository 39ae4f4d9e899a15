"""A 100,000-product catalogue still answers correctly (no timing assertions)."""

from __future__ import annotations

import httpx

from storebridge.sandbox import Sandbox


async def test_a_hundred_thousand_products_are_found_by_sku_and_paged(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    result = sandbox.seed_products(100_000, sku_prefix="BIG-")
    assert result.created == 100_000
    found = await sandbox_client.get("/products", params={"sku": "big-054321"})
    assert [p["sku"] for p in found.json()] == ["BIG-054321"]
    page = await sandbox_client.get(
        "/products", params={"per_page": 100, "page": 1000, "orderby": "id", "order": "asc"}
    )
    assert page.headers["X-WP-Total"] == "100000"
    assert page.headers["X-WP-TotalPages"] == "1000"
    assert [p["sku"] for p in page.json()][-1] == "BIG-100000"
    newest = await sandbox_client.get("/products", params={"per_page": 1})
    # All seeded in one second: date desc leaves their order open (sandbox/ties.py).
    assert result.first_id <= newest.json()[0]["id"] <= result.last_id
    batch = await sandbox_client.post(
        "/products/batch",
        json={"update": [{"id": result.first_id + n, "stock_quantity": n} for n in range(100)]},
    )
    assert [item["stock_quantity"] for item in batch.json()["update"]][:3] == [0, 1, 2]
    plan = sandbox.db.all(
        "EXPLAIN QUERY PLAN SELECT doc FROM products WHERE sku_key IN (?) AND kind IN "
        "('product', 'variation')",
        ("big-000001",),
    )
    assert any("products_sku_key" in str(tuple(row)) for row in plan)
