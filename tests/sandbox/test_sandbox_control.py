"""The /_sandbox control plane: seed, reset, shopper orders, merchant edits, knobs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storebridge.sandbox import Sandbox


@pytest.fixture
async def control(sandbox_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://shop.test/_sandbox"
    ) as client:
        yield client


async def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_seeding_creates_findable_products_and_reset_forgets_them(
    control: httpx.AsyncClient, sandbox_client: httpx.AsyncClient
) -> None:
    seeded = await _json(await control.post("/seed", json={"count": 25, "sku_prefix": "DEMO-"}))
    assert (seeded["created"], seeded["first_sku"], seeded["last_sku"]) == (
        25,
        "DEMO-000001",
        "DEMO-000025",
    )
    found = await sandbox_client.get("/products", params={"sku": "demo-000007"})
    assert [p["stock_quantity"] for p in found.json()] == [10]
    assert found.json()[0]["slug"] == "seeded-product-demo-000007"
    clash = await control.post("/seed", json={"count": 1, "sku_prefix": "DEMO-", "start": 7})
    assert clash.status_code == 400
    await _json(await control.post("/reset"))
    assert (await sandbox_client.get("/products")).json() == []


async def test_a_shopper_order_reduces_stock_and_a_merchant_completes_it(
    control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await control.post("/seed", json={"count": 2, "stock": 5})
    order = await _json(
        await control.post("/orders", json={"sku": "SEED-000001", "quantity": 2}), 201
    )
    assert (order["status"], order["created_via"], order["total"]) == (
        "processing",
        "checkout",
        "19.98",
    )
    assert sandbox.products.by_sku("SEED-000001")["stock_quantity"] == 3  # type: ignore[index]
    completed = await _json(
        await control.post(f"/orders/{order['id']}/status", json={"status": "completed"})
    )
    assert completed["status"] == "completed" and completed["date_completed"] is not None
    bad = await control.post(f"/orders/{order['id']}/status", json={"status": "shipped"})
    assert bad.status_code == 400


async def test_a_merchant_edit_goes_through_the_product_rules(
    control: httpx.AsyncClient, sandbox_client: httpx.AsyncClient
) -> None:
    await control.post("/seed", json={"count": 2})
    edited = await _json(
        await control.post(
            "/products/edit",
            json={"sku": "SEED-000002", "changes": {"regular_price": "12.00", "sku": "HAND-EDIT"}},
        )
    )
    assert (edited["sku"], edited["price"]) == ("HAND-EDIT", "12.00")
    clash = await control.post(
        "/products/edit", json={"sku": "HAND-EDIT", "changes": {"sku": "SEED-000001"}}
    )
    assert clash.json()["code"] == "product_invalid_sku"
    missing = await control.post("/products/edit", json={"sku": "NOPE", "changes": {}})
    assert missing.status_code == 404


async def test_faults_and_latency_are_set_over_http(
    control: httpx.AsyncClient, sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    await _json(await control.put("/faults", json={"seed": 3, "rate_503": 0.5}))
    await _json(await control.post("/faults/next", json={"kind": "502", "count": 1}))
    state = await _json(await control.get("/faults"))
    assert state["config"]["rate_503"] == 0.5 and state["next"][0]["kind"] == "502"
    assert (await sandbox_client.get("/products")).status_code == 502
    assert (await control.post("/faults/next", json={"kind": "nope"})).status_code == 400
    await _json(await control.delete("/faults/next"))
    await _json(await control.put("/latency", json={"seconds": 0}))
    assert sandbox.config.latency_seconds == 0


async def test_counters_are_read_and_reset_over_http(
    control: httpx.AsyncClient, sandbox_client: httpx.AsyncClient
) -> None:
    await sandbox_client.get("/products")
    counters = await _json(await control.get("/counters"))
    assert counters["requests"] == {"GET /products": 1}
    await _json(await control.delete("/counters"))
    assert (await _json(await control.get("/counters")))["total"] == 0


async def test_unknown_control_paths_are_plain_404s(control: httpx.AsyncClient) -> None:
    response = await control.get("/nothing-here")
    assert response.status_code == 404 and "code" not in response.json()


async def test_the_write_journal_keeps_the_keys_of_each_object_written_not_the_values(
    sandbox_app: object, sandbox_client: httpx.AsyncClient
) -> None:
    product = (await sandbox_client.post("/products", json={"name": "A", "sku": "J-1"})).json()
    await sandbox_client.get("/products")
    await sandbox_client.post(
        "/products/batch",
        json={
            "create": [{"sku": "J-2", "regular_price": "2.00"}],
            "update": [{"id": product["id"], "stock_quantity": 3}],
        },
    )
    transport = httpx.ASGITransport(app=sandbox_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as control:
        writes = (await control.get("/_sandbox/writes")).json()["writes"]
        await control.delete("/_sandbox/writes")
        cleared = (await control.get("/_sandbox/writes")).json()["writes"]
    assert [(w["template"], w["operation"], w["target_id"], w["keys"]) for w in writes] == [
        ("/products", "create", None, ["name", "sku"]),
        ("/products/batch", "create", None, ["regular_price", "sku"]),
        ("/products/batch", "update", product["id"], ["id", "stock_quantity"]),
    ]
    assert "A" not in json.dumps(writes)
    assert cleared == []


async def test_a_write_refused_by_an_injected_fault_is_not_journaled(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    sandbox.faults.fail_next("429")
    response = await sandbox_client.post("/products", json={"name": "A"})
    assert response.status_code == 429
    assert sandbox.journal.entries() == []
