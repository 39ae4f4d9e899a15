"""Contract: the smaller behaviours of issue 18 (goldens 202-212), on both stores."""

from __future__ import annotations

import re

from tests.contract.contract_support import Store

LISTENER = "http://127.0.0.1:9/contract-listener"


async def test_a_negative_low_stock_amount_is_stored_positive(store: Store) -> None:
    product = await store.create(
        "/products",
        {
            "name": "Contract Low",
            "sku": store.sku("LOW"),
            "regular_price": "5.00",
            "manage_stock": True,
            "stock_quantity": 3,
            "low_stock_amount": -1,
        },
    )
    assert product["low_stock_amount"] == 1


async def test_future_without_a_date_publishes_at_once(store: Store) -> None:
    product = await store.create(
        "/products", {"name": "Contract Future", "sku": store.sku("FUT"), "status": "future"}
    )
    assert product["status"] == "publish"


async def test_an_unknown_variation_in_a_batch_is_a_404_item(store: Store) -> None:
    parent = await store.create(
        "/products",
        {
            "name": "Contract Batch Tee",
            "sku": store.sku("BT"),
            "type": "variable",
            "attributes": [{"name": "Size", "options": ["S"], "variation": True}],
        },
    )
    response = await store.client.post(
        f"/products/{parent['id']}/variations/batch",
        json={"update": [{"id": 99999999, "regular_price": "7.00"}]},
    )
    assert response.status_code == 200
    [item] = response.json()["update"]
    assert item["error"]["code"] == "woocommerce_rest_product_variation_invalid_id"
    assert item["error"]["data"]["status"] == 404


async def test_invalid_emails_are_refused_on_create_and_on_search(store: Store) -> None:
    created = await store.client.post("/customers", json={"email": "not-an-email"})
    assert created.status_code == 400
    assert created.json()["code"] == "customer_invalid_email"
    listed = await store.client.get("/customers", params={"email": "not-an-email"})
    assert listed.status_code == 400
    assert listed.json()["code"] == "rest_invalid_param"


async def test_a_taken_username_gets_four_random_digits(store: Store) -> None:
    local = f"{store.prefix.lower()}-user"
    first = await store.create("/customers", {"email": f"{local}@one.example"})
    second = await store.create("/customers", {"email": f"{local}@two.example"})
    assert first["username"] == local
    assert re.fullmatch(re.escape(local) + r"-\d{4}", second["username"])


async def test_a_new_webhook_is_active_whatever_its_status(store: Store) -> None:
    created = await store.create(
        "/webhooks",
        {"topic": "order.created", "delivery_url": LISTENER, "status": "disabled"},
    )
    assert created["status"] == "active"
    updated = await store.client.put(f"/webhooks/{created['id']}", json={"status": "disabled"})
    assert updated.json()["status"] == "disabled"


async def test_a_webhook_needs_a_delivery_url(store: Store) -> None:
    response = await store.client.post("/webhooks", json={"topic": "order.created"})
    assert response.status_code == 400
    assert response.json()["code"] == "rest_missing_callback_param"
    assert response.json()["data"]["params"] == ["delivery_url"]
