"""Ties in list order vary between requests, as on a real WooCommerce (sandbox/ties.py).

WooCommerce 10.0.2 sorts products by `date` without a tie-breaker: products
created in the same second come back in a different order on each page
request, so a walk without a total order repeats some and skips others.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from storebridge.sandbox import ManualClock, Sandbox, SandboxConfig, create_sandbox_app
from storebridge.sandbox.config import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET

API = "/wp-json/wc/v3"
NOON = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


async def _walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        response = await client.get(path, params={"per_page": 100, "page": page, **params})
        response.raise_for_status()
        ids += [item["id"] for item in response.json()]
        if page >= int(response.headers["X-WP-TotalPages"]):
            return ids
        page += 1


async def _product_walks(seed: int, **params: Any) -> list[list[int]]:
    app = create_sandbox_app(SandboxConfig(tie_seed=seed), clock=ManualClock(NOON))
    sandbox: Sandbox = app.state.sandbox
    sandbox.seed_products(300, sku_prefix="TIE-")  # one batch: all in the same second
    transport = httpx.ASGITransport(app=app)
    auth = (DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"https://shop.test{API}", auth=auth
    ) as client:
        walks = [await _walk(client, "/products", **params) for _ in range(3)]
    sandbox.close()
    return walks


async def test_a_walk_in_the_default_order_loses_same_second_products() -> None:
    walks = await _product_walks(seed=0)

    assert all(len(walk) == 300 for walk in walks)  # X-WP-Total still counts them all
    assert all(len(set(walk)) < 300 for walk in walks)


async def test_a_walk_ordered_by_id_gets_every_product_once() -> None:
    walks = await _product_walks(seed=0, orderby="id", order="asc")

    assert all(walk == sorted(set(walk)) and len(walk) == 300 for walk in walks)


async def test_the_same_seed_gives_the_same_pages_and_another_seed_other_ones() -> None:
    first, again, other = [await _product_walks(seed=s) for s in (7, 7, 8)]

    assert first == again
    assert first != other


@pytest.mark.parametrize("orderby", ["date", "modified", "menu_order"])
async def test_one_request_orders_ties_in_some_permutation(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient, orderby: str
) -> None:
    sandbox.seed_products(50, sku_prefix="P-")

    orders = [
        [p["id"] for p in (await sandbox_client.get("/products", params={
            "per_page": 50, "orderby": orderby})).json()]
        for _ in range(3)
    ]  # fmt: skip

    assert all(sorted(ids) == sorted(orders[0]) for ids in orders)
    assert len({tuple(ids) for ids in orders}) > 1
    assert all(ids not in (sorted(ids), sorted(ids, reverse=True)) for ids in orders)


async def test_variations_and_orders_by_date_keep_the_id_tie_break_woocommerce_adds(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    parent = (
        await sandbox_client.post("/products", json={"name": "Tee", "type": "variable"})
    ).json()
    for size in range(12):
        await sandbox_client.post(
            f"/products/{parent['id']}/variations", json={"sku": f"TEE-{size}"}
        )
    for _ in range(12):
        await sandbox_client.post("/orders", json={"status": "pending"})

    variations = (await sandbox_client.get(f"/products/{parent['id']}/variations")).json()
    orders = (await sandbox_client.get("/orders", params={"per_page": 12})).json()

    assert [v["id"] for v in variations] == sorted((v["id"] for v in variations), reverse=True)
    assert [o["id"] for o in orders] == sorted((o["id"] for o in orders), reverse=True)
