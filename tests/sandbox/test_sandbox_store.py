"""Store behaviours beyond the golden captures: time, stock holders, lines, terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from storebridge.sandbox import ManualClock, Sandbox, SandboxConfig


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_changes_within_one_second_share_a_timestamp_like_woocommerce(
    sandbox_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    product = await _create(sandbox_client, "/products", {"name": "tick"})
    first = (await sandbox_client.put(f"/products/{product['id']}", json={"name": "a"})).json()
    second = (await sandbox_client.put(f"/products/{product['id']}", json={"name": "b"})).json()
    assert first["date_modified_gmt"] == second["date_modified_gmt"]
    clock.advance(1)
    third = (await sandbox_client.put(f"/products/{product['id']}", json={})).json()
    assert third["date_modified_gmt"] > second["date_modified_gmt"]  # every save bumps it
    assert len(third["date_modified_gmt"]) == len("2026-11-26T12:00:01")


async def test_a_sale_window_opens_and_closes_with_the_clock(
    sandbox_client: httpx.AsyncClient, clock: ManualClock
) -> None:
    product = await _create(
        sandbox_client,
        "/products",
        {
            "name": "sale",
            "regular_price": "10.00",
            "sale_price": "8.00",
            "date_on_sale_from_gmt": "2026-11-27T00:00:00",
            "date_on_sale_to_gmt": "2026-11-28T00:00:00",
        },
    )
    assert (product["price"], product["on_sale"]) == ("10.00", False)
    clock.advance(24 * 3600)
    during = (await sandbox_client.get(f"/products/{product['id']}")).json()
    assert (during["price"], during["on_sale"]) == ("8.00", True)
    clock.advance(24 * 3600)
    after = (await sandbox_client.get(f"/products/{product['id']}")).json()
    assert (after["price"], after["on_sale"]) == ("10.00", False)


async def test_a_variation_without_own_stock_uses_and_moves_the_parents(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    parent = await _create(
        sandbox_client,
        "/products",
        {
            "name": "Cap",
            "type": "variable",
            "manage_stock": True,
            "stock_quantity": 9,
            "attributes": [{"name": "Color", "options": ["Red"], "variation": True}],
        },
    )
    variation = await _create(
        sandbox_client,
        f"/products/{parent['id']}/variations",
        {"regular_price": "5.00", "attributes": [{"name": "color", "option": "Red"}]},
    )
    read = (
        await sandbox_client.get(f"/products/{parent['id']}/variations/{variation['id']}")
    ).json()
    assert (read["manage_stock"], read["stock_quantity"]) == ("parent", 9)
    order = await _create(
        sandbox_client,
        "/orders",
        {"status": "processing", "line_items": [{"variation_id": variation["id"], "quantity": 2}]},
    )
    assert order["line_items"][0]["product_id"] == parent["id"]
    assert order["line_items"][0]["meta_data"][0]["display_key"] == "Color"
    assert sandbox.products.find(parent["id"])["stock_quantity"] == 7  # type: ignore[index]


async def test_removing_a_line_puts_back_the_stock_it_had_reduced(
    sandbox: Sandbox, sandbox_client: httpx.AsyncClient
) -> None:
    product = await _create(
        sandbox_client,
        "/products",
        {"name": "line", "regular_price": "3.00", "manage_stock": True, "stock_quantity": 10},
    )
    order = await _create(
        sandbox_client,
        "/orders",
        {"status": "processing", "line_items": [{"product_id": product["id"], "quantity": 4}]},
    )
    assert sandbox.products.find(product["id"])["stock_quantity"] == 6  # type: ignore[index]
    line_id = order["line_items"][0]["id"]
    updated = await sandbox_client.put(
        f"/orders/{order['id']}", json={"line_items": [{"id": line_id, "quantity": 0}]}
    )
    assert updated.json()["line_items"] == [] and updated.json()["total"] == "0.00"
    assert sandbox.products.find(product["id"])["stock_quantity"] == 10  # type: ignore[index]


async def test_a_line_without_a_product_reference_is_refused(
    sandbox_client: httpx.AsyncClient,
) -> None:
    response = await sandbox_client.post("/orders", json={"line_items": [{"quantity": 1}]})
    assert response.json()["code"] == "woocommerce_rest_required_product_reference"


async def test_an_unknown_product_makes_an_empty_line(sandbox_client: httpx.AsyncClient) -> None:
    order = await _create(sandbox_client, "/orders", {"line_items": [{"product_id": 987654}]})
    line = order["line_items"][0]
    assert (line["name"], line["product_id"], line["sku"], line["total"]) == ("", 0, None, "0.00")


async def test_categories_are_kept_by_id_and_tags_are_created_by_name(
    sandbox_client: httpx.AsyncClient,
) -> None:
    category = await _create(sandbox_client, "/products/categories", {"name": "Shoes"})
    product = await _create(
        sandbox_client,
        "/products",
        {"name": "boot", "categories": [{"id": category["id"]}], "tags": [{"name": "winter"}]},
    )
    assert [c["name"] for c in product["categories"]] == ["Shoes"]
    assert [t["name"] for t in product["tags"]] == ["winter"]
    counted = (await sandbox_client.get(f"/products/categories/{category['id']}")).json()
    assert counted["count"] == 1
    refused = await sandbox_client.delete(f"/products/categories/{category['id']}")
    assert refused.status_code == 501
    duplicate = await sandbox_client.post("/products/categories", json={"name": "Shoes"})
    assert duplicate.json()["code"] == "term_exists"


async def test_meta_data_upserts_by_key(sandbox_client: httpx.AsyncClient) -> None:
    product = await _create(
        sandbox_client, "/products", {"name": "meta", "meta_data": [{"key": "a", "value": "1"}]}
    )
    updated = await sandbox_client.put(
        f"/products/{product['id']}",
        json={"meta_data": [{"key": "a", "value": "2"}, {"key": "b", "value": "x"}]},
    )
    meta = {m["key"]: m["value"] for m in updated.json()["meta_data"]}
    assert meta == {"a": "2", "b": "x"}
    assert updated.json()["meta_data"][0]["id"] == product["meta_data"][0]["id"]


async def test_a_variation_cannot_be_edited_through_the_products_route(
    sandbox_client: httpx.AsyncClient,
) -> None:
    parent = await _create(
        sandbox_client,
        "/products",
        {
            "name": "V",
            "type": "variable",
            "attributes": [{"name": "S", "options": ["1"], "variation": True}],
        },
    )
    variation = await _create(
        sandbox_client,
        f"/products/{parent['id']}/variations",
        {"attributes": [{"name": "S", "option": "1"}]},
    )
    response = await sandbox_client.put(f"/products/{variation['id']}", json={"name": "x"})
    assert (response.status_code, response.json()["code"]) == (
        404,
        "woocommerce_rest_invalid_product_id",
    )
    wrong_parent = await sandbox_client.put(
        f"/products/{parent['id'] + 1000}/variations/{variation['id']}", json={}
    )
    assert wrong_parent.status_code in (403, 404)


async def test_orders_and_customers_have_batch_endpoints_too(
    sandbox_client: httpx.AsyncClient,
) -> None:
    customers = await sandbox_client.post(
        "/customers/batch",
        json={"create": [{"email": "one@x.example"}, {"email": "ONE@x.example"}]},
    )
    created, duplicate = customers.json()["create"]
    assert created["email"] == "one@x.example"
    assert (duplicate["id"], duplicate["error"]["code"]) == (0, "registration-error-email-exists")
    orders = await sandbox_client.post("/orders/batch", json={"create": [{"status": "pending"}]})
    assert orders.json()["create"][0]["status"] == "pending"


async def test_order_notes_record_status_changes_and_need_force_to_delete(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order = await _create(sandbox_client, "/orders", {"status": "pending"})
    await sandbox_client.put(f"/orders/{order['id']}", json={"status": "on-hold"})
    notes = (await sandbox_client.get(f"/orders/{order['id']}/notes")).json()
    assert notes[0]["note"] == "Order status changed from Pending payment to On hold."
    mine = await _create(
        sandbox_client, f"/orders/{order['id']}/notes", {"note": "hello", "added_by_user": True}
    )
    assert mine["author"] == "admin"
    refused = await sandbox_client.delete(f"/orders/{order['id']}/notes/{mine['id']}")
    assert refused.json()["message"] == "Webhooks do not support trashing."


def test_a_file_backed_sandbox_keeps_its_state_across_restarts(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    first = Sandbox(SandboxConfig(db_path=path))
    created = first.products.create({"name": "kept", "sku": "KEEP-1"})
    first.close()
    second = Sandbox(SandboxConfig(db_path=path))
    try:
        assert second.products.by_sku("keep-1")["id"] == created["id"]  # type: ignore[index]
        assert second.products.create({"name": "next"})["id"] == created["id"] + 1
    finally:
        second.close()


async def test_an_inherited_sku_shows_in_view_context_and_not_in_edit(
    sandbox_client: httpx.AsyncClient,
) -> None:
    parent = await _create(
        sandbox_client,
        "/products",
        {
            "name": "Inherit",
            "type": "variable",
            "sku": "INH",
            "attributes": [{"name": "Size", "options": ["S"], "variation": True}],
        },
    )
    variation = await _create(
        sandbox_client,
        f"/products/{parent['id']}/variations",
        {"attributes": [{"name": "Size", "option": "S"}]},
    )
    view = (await sandbox_client.get(f"/products/{variation['id']}")).json()
    edit = (await sandbox_client.get(f"/products/{variation['id']}?context=edit")).json()
    assert (view["sku"], edit["sku"]) == ("INH", "")
