"""Contract: orders, their stock transitions, refunds and coupons."""

from __future__ import annotations

from typing import Any

from tests.contract.contract_support import Store


async def _stocked(store: Store, label: str, stock: int = 50) -> dict[str, Any]:
    return await store.create(
        "/products",
        {
            "name": f"Contract Stocked {label}",
            "status": "publish",
            "sku": store.sku(label),
            "regular_price": "10.00",
            "manage_stock": True,
            "stock_quantity": stock,
        },
    )


async def _stock(store: Store, product_id: int) -> int:
    response = await store.client.get(
        f"/products/{product_id}", params={"_fields": "stock_quantity"}
    )
    value: int = response.json()["stock_quantity"]
    return value


async def _order(store: Store, product_id: int, quantity: int, **fields: Any) -> dict[str, Any]:
    body = {"line_items": [{"product_id": product_id, "quantity": quantity}], **fields}
    return await store.create("/orders", body)


async def _status(store: Store, order: dict[str, Any], status: str) -> dict[str, Any]:
    response = await store.client.put(f"/orders/{order['id']}", json={"status": status})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _reduced(order: dict[str, Any]) -> list[str]:
    return [m["value"] for m in order["line_items"][0]["meta_data"] if m["key"] == "_reduced_stock"]


async def test_stock_moves_exactly_on_the_documented_transitions(store: Store) -> None:
    product = await _stocked(store, "ST")
    pid = product["id"]
    order = await _order(store, pid, 2, status="pending")
    assert await _stock(store, pid) == 50  # pending reduces nothing
    processing = await _status(store, order, "processing")
    assert await _stock(store, pid) == 48
    assert _reduced(processing) == ["2"] and processing["date_paid"] is not None
    completed = await _status(store, order, "completed")
    assert await _stock(store, pid) == 48  # no second reduction
    assert completed["date_completed"] is not None
    cancelled = await _status(store, order, "cancelled")
    assert await _stock(store, pid) == 50 and _reduced(cancelled) == []
    await _status(store, order, "on-hold")
    assert await _stock(store, pid) == 48
    await _status(store, order, "failed")
    assert await _stock(store, pid) == 48  # failed does not restock
    await _status(store, order, "pending")
    assert await _stock(store, pid) == 50  # pending does


async def test_an_order_created_as_processing_reduces_stock_at_once(store: Store) -> None:
    product = await _stocked(store, "PR")
    order = await _order(store, product["id"], 3, status="processing")
    assert _reduced(order) == ["3"]
    assert await _stock(store, product["id"]) == 47
    paid = await _order(store, product["id"], 1, set_paid=True)
    assert paid["status"] == "processing"
    assert await _stock(store, product["id"]) == 46


async def test_refunded_status_refunds_everything_without_restocking(store: Store) -> None:
    product = await _stocked(store, "RF")
    order = await _order(store, product["id"], 1, status="processing")
    refunded = await _status(store, order, "refunded")
    assert [r["reason"] for r in refunded["refunds"]] == ["Order fully refunded."]
    assert refunded["refunds"][0]["total"] == "-10.00"
    assert await _stock(store, product["id"]) == 49


async def test_refunds_default_to_the_gateway_and_can_restock(store: Store) -> None:
    product = await _stocked(store, "RS")
    order = await _order(store, product["id"], 2, status="processing", payment_method="bacs")
    automatic = await store.client.post(f"/orders/{order['id']}/refunds", json={"amount": "1.00"})
    assert automatic.status_code == 500
    assert automatic.json()["code"] == "woocommerce_rest_cannot_create_order_refund"
    line_id = order["line_items"][0]["id"]
    manual = await store.client.post(
        f"/orders/{order['id']}/refunds",
        json={
            "amount": "10.00",
            "api_refund": False,
            "line_items": [{"id": line_id, "quantity": 1, "refund_total": "10.00"}],
        },
    )
    assert manual.status_code == 201
    assert manual.json()["line_items"][0]["quantity"] == -1
    assert await _stock(store, product["id"]) == 49
    after = (await store.client.get(f"/orders/{order['id']}")).json()
    assert _reduced(after) == ["1"]
    too_much = await store.client.post(
        f"/orders/{order['id']}/refunds", json={"amount": "1000.00", "api_refund": False}
    )
    assert too_much.status_code == 500


async def test_line_items_may_name_products_by_sku_and_carry_money_strings(store: Store) -> None:
    product = await _stocked(store, "SK")
    order = await store.create(
        "/orders",
        {
            "line_items": [{"sku": store.sku("SK"), "quantity": 2}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}],
        },
    )
    line = order["line_items"][0]
    assert line["product_id"] == product["id"] and line["sku"] == store.sku("SK")
    assert line["price"] == 10 and line["total"] == "20.00"
    assert order["total"] == "25.00" and order["shipping_total"] == "5.00"


async def test_an_unknown_coupon_fails_but_leaves_a_checkout_draft(store: Store) -> None:
    product = await _stocked(store, "CP")
    response = await store.client.post(
        "/orders",
        json={
            "line_items": [{"product_id": product["id"], "quantity": 1}],
            "coupon_lines": [{"code": f"{store.prefix}-none".lower()}],
        },
    )
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "woocommerce_rest_invalid_coupon"
    draft_id = error["data"]["new_draft_order_id"]
    store.track("/orders", draft_id)
    draft = await store.client.get(f"/orders/{draft_id}")
    assert draft.json()["status"] == "checkout-draft"


async def test_a_percent_coupon_discounts_the_lines(store: Store) -> None:
    product = await _stocked(store, "PC")
    code = f"{store.prefix}-ten".lower()
    await store.create("/coupons", {"code": code, "discount_type": "percent", "amount": "10"})
    order = await _order(store, product["id"], 2, coupon_lines=[{"code": code}])
    assert order["discount_total"] == "2.00" and order["total"] == "18.00"
    assert order["coupon_lines"][0]["discount"] == "2"


async def test_orders_list_filters_by_status_list_and_modification(store: Store) -> None:
    product = await _stocked(store, "OL")
    pending = await _order(store, product["id"], 1, status="pending")
    await store.advance(1.1)
    held = await _order(store, product["id"], 1, status="on-hold")
    ids = f"{pending['id']},{held['id']}"
    response = await store.client.get(
        "/orders", params={"include": ids, "status": "on-hold,processing"}
    )
    assert [o["id"] for o in response.json()] == [held["id"]]
    changed = await store.client.get(
        "/orders",
        params={
            "include": ids,
            "modified_after": pending["date_modified_gmt"],
            "dates_are_gmt": "true",
        },
    )
    assert [o["id"] for o in changed.json()] == [held["id"]]
    bad = await store.client.get("/orders", params={"status": "bogus"})
    assert bad.status_code == 400


async def test_an_invalid_status_and_an_unknown_customer_are_refused(store: Store) -> None:
    product = await _stocked(store, "IV")
    order = await _order(store, product["id"], 1)
    bad = await store.client.put(f"/orders/{order['id']}", json={"status": "shipped"})
    assert bad.json()["data"]["details"]["status"]["code"] == "rest_not_in_enum"
    nobody = await store.client.post(
        "/orders", json={"customer_id": 987654321, "line_items": [{"product_id": product["id"]}]}
    )
    assert nobody.json()["code"] == "woocommerce_rest_invalid_customer_id"


async def test_deleting_an_order_trashes_it_first(store: Store) -> None:
    product = await _stocked(store, "OD")
    order = await _order(store, product["id"], 1)
    trashed = await store.client.delete(f"/orders/{order['id']}")
    assert trashed.json()["status"] == "pending"
    assert (await store.client.get(f"/orders/{order['id']}")).json()["status"] == "trash"
