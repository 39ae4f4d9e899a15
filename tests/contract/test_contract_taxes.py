"""Contract: tax settings, tax rates and the money of taxed orders, refunds and discounts.

A real store is shared, so taxes are switched on only inside `taxes_on`,
which restores both settings and deletes its rate afterwards (try/finally).
The rate is for New Zealand unless a test needs the shop's base country:
orders of other suites (no address: the US base) stay untaxed meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.contract.contract_support import Store

CALC_TAXES = "/settings/general/woocommerce_calc_taxes"
PRICES_INCLUDE_TAX = "/settings/tax/woocommerce_prices_include_tax"


def _address(country: str) -> dict[str, str]:
    return {"first_name": "Tax", "last_name": "Contract", "country": country, "state": ""}


async def _setting(store: Store, path: str) -> str:
    response = await store.client.get(path)
    assert response.status_code == 200, response.text
    value: str = response.json()["value"]
    return value


async def _put_setting(store: Store, path: str, value: str) -> dict[str, Any]:
    response = await store.client.put(path, json={"value": value})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@asynccontextmanager
async def taxes_on(
    store: Store, *, include: bool = False, country: str = "NZ"
) -> AsyncIterator[dict[str, Any]]:
    """Taxes enabled with one 10% rate; the settings and the rate are undone after."""
    before = {path: await _setting(store, path) for path in (CALC_TAXES, PRICES_INCLUDE_TAX)}
    rate: dict[str, Any] | None = None
    try:
        await _put_setting(store, CALC_TAXES, "yes")
        await _put_setting(store, PRICES_INCLUDE_TAX, "yes" if include else "no")
        response = await store.client.post(
            "/taxes", json={"country": country, "rate": "10", "name": f"{store.prefix} tax"}
        )
        assert response.status_code == 201, response.text
        rate = response.json()
        yield rate
    finally:
        if rate is not None:
            await store.client.delete(f"/taxes/{rate['id']}", params={"force": "true"})
        for path, value in before.items():
            await store.client.put(path, json={"value": value})


async def _product(store: Store, label: str, price: str = "10.00") -> dict[str, Any]:
    return await store.create(
        "/products",
        {
            "name": f"Contract Taxed {label}",
            "status": "publish",
            "sku": store.sku(label),
            "regular_price": price,
            "manage_stock": True,
            "stock_quantity": 50,
        },
    )


async def _order(store: Store, country: str, **fields: Any) -> dict[str, Any]:
    body = {"billing": _address(country), "shipping": _address(country), **fields}
    return await store.create("/orders", body)


async def _stock(store: Store, product_id: int) -> int:
    response = await store.client.get(f"/products/{product_id}")
    value: int = response.json()["stock_quantity"]
    return value


SHIPPING = [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00"}]


async def _ten_percent_off(
    store: Store, label: str, code: str, used_as: str, *, include: bool = False, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 10 % coupon `code`, and an order of 3 x 10.00 + 1 x 20.00 + shipping using it.

    Prices entered with tax are removed at the base country's rate, so that
    order is placed in the US; the other in NZ (other suites' orders stay untaxed).
    """
    ten = await _product(store, f"{label}1")
    twenty = await _product(store, f"{label}2", "20.00")
    coupon = await store.create(
        "/coupons", {"code": code, "discount_type": "percent", "amount": "10"}
    )
    country = "US" if include else "NZ"
    async with taxes_on(store, include=include, country=country):
        order = await _order(
            store,
            country,
            line_items=[
                {"product_id": ten["id"], "quantity": 3},
                {"product_id": twenty["id"], "quantity": 1},
            ],
            shipping_lines=SHIPPING,
            coupon_lines=[{"code": used_as}],
            **fields,
        )
    return coupon, order


async def test_tax_settings_answer_their_value_and_refuse_invalid_ones(store: Store) -> None:
    before = await _setting(store, CALC_TAXES)
    try:
        answer = await _put_setting(store, CALC_TAXES, "yes")
        assert (answer["id"], answer["value"], answer["type"]) == (
            "woocommerce_calc_taxes",
            "yes",
            "checkbox",
        )
        bad = await store.client.put(CALC_TAXES, json={"value": "maybe"})
        assert bad.status_code == 400
        assert bad.json()["code"] == "rest_setting_value_invalid"
        radio = await store.client.put(PRICES_INCLUDE_TAX, json={"value": "maybe"})
        assert radio.status_code == 400
        assert radio.json()["code"] == "rest_setting_value_invalid"
    finally:
        await store.client.put(CALC_TAXES, json={"value": before})
    assert await _setting(store, CALC_TAXES) == before


async def test_a_new_rate_comes_back_with_woocommerce_defaults(store: Store) -> None:
    async with taxes_on(store) as rate:
        assert rate["rate"] == "10.0000"
        assert (rate["class"], rate["priority"], rate["compound"], rate["shipping"]) == (
            "standard",
            1,
            False,
            True,
        )
        listed = await store.client.get("/taxes", params={"include": rate["id"]})
        assert [r["id"] for r in listed.json()] == [rate["id"]]


async def test_prices_without_tax_are_taxed_per_line_and_on_shipping(store: Store) -> None:
    product = await _product(store, "TX")
    async with taxes_on(store) as rate:
        order = await _order(
            store,
            "NZ",
            line_items=[{"product_id": product["id"], "quantity": 3}],
            shipping_lines=SHIPPING,
        )
        untaxed = await _order(
            store, "FR", line_items=[{"product_id": product["id"], "quantity": 3}]
        )
    line = order["line_items"][0]
    assert (line["subtotal"], line["total"], line["total_tax"]) == ("30.00", "30.00", "3.00")
    assert line["taxes"] == [{"id": rate["id"], "total": "3.00", "subtotal": "3.00"}]
    shipping = order["shipping_lines"][0]
    assert (shipping["total"], shipping["total_tax"]) == ("5.00", "0.50")
    assert (order["cart_tax"], order["shipping_tax"], order["total_tax"]) == (
        "3.00",
        "0.50",
        "3.50",
    )
    assert order["total"] == "38.50" and order["prices_include_tax"] is False
    [tax_line] = order["tax_lines"]
    assert (tax_line["rate_id"], tax_line["rate_percent"], tax_line["tax_total"]) == (
        rate["id"],
        10,
        "3.00",
    )
    assert tax_line["shipping_tax_total"] == "0.50"
    # A rate for another country does not apply.
    assert (untaxed["total_tax"], untaxed["total"], untaxed["tax_lines"]) == ("0.00", "30.00", [])


async def test_tax_is_rounded_half_up_per_line(store: Store) -> None:
    product = await _product(store, "RD")
    lines = [
        {"product_id": product["id"], "quantity": 1, "subtotal": amount, "total": amount}
        for amount in ("1.05", "2.25", "0.15")
    ]
    async with taxes_on(store):
        order = await _order(store, "NZ", line_items=lines)
    assert [line["total_tax"] for line in order["line_items"]] == ["0.11", "0.23", "0.02"]
    assert (order["total_tax"], order["total"]) == ("0.36", "3.81")


async def test_prices_with_tax_split_the_catalogue_price(store: Store) -> None:
    product = await _product(store, "IN")
    # The shop's base country: the catalogue price's tax is removed at the base rate.
    async with taxes_on(store, include=True, country="US"):
        order = await _order(
            store,
            "US",
            status="processing",
            line_items=[{"product_id": product["id"], "quantity": 3}],
            shipping_lines=SHIPPING,
        )
    line = order["line_items"][0]
    assert (line["subtotal"], line["total"], line["total_tax"]) == ("27.27", "27.27", "2.73")
    assert line["price"] == 9.090909
    shipping = order["shipping_lines"][0]
    assert (shipping["total"], shipping["total_tax"]) == ("5.00", "0.50")
    assert (order["total"], order["total_tax"], order["prices_include_tax"]) == (
        "35.50",
        "3.23",
        True,
    )
    # The order keeps its flag once the setting is back to "no".
    again = await store.client.get(f"/orders/{order['id']}")
    assert again.json()["prices_include_tax"] is True


async def test_a_coupon_spreads_over_lines_and_its_tax_is_reported(store: Store) -> None:
    code = f"{store.prefix}-Tax10"
    coupon, order = await _ten_percent_off(store, "C", code, code.upper())
    assert coupon["code"] == code.lower()
    assert [line["total"] for line in order["line_items"]] == ["27.00", "18.00"]
    assert [line["total_tax"] for line in order["line_items"]] == ["2.70", "1.80"]
    assert (order["discount_total"], order["discount_tax"]) == ("5.00", "0.50")
    assert (order["coupon_lines"][0]["discount"], order["coupon_lines"][0]["discount_tax"]) == (
        "5",
        "0.5",
    )
    assert order["total"] == "55.00"


async def test_line_discounts_come_from_subtotal_and_catalogue(store: Store) -> None:
    product = await _product(store, "DS", "20.00")
    both = await _order(
        store,
        "NZ",
        line_items=[
            {"product_id": product["id"], "quantity": 2, "subtotal": "50.00", "total": "40.00"}
        ],
    )
    assert (both["discount_total"], both["total"]) == ("10.00", "40.00")
    total_only = await _order(
        store, "NZ", line_items=[{"product_id": product["id"], "quantity": 1, "total": "15.00"}]
    )
    assert total_only["line_items"][0]["subtotal"] == "20.00"
    assert (total_only["discount_total"], total_only["total"]) == ("5.00", "15.00")


async def test_refund_amounts_and_restocking(store: Store) -> None:
    product = await _product(store, "RF")
    order = await _order(
        store,
        "NZ",
        status="processing",
        line_items=[{"product_id": product["id"], "quantity": 3}],
    )
    refunds = f"/orders/{order['id']}/refunds"
    negative = await store.client.post(refunds, json={"amount": "-1.00", "api_refund": False})
    assert negative.status_code == 500
    assert negative.json()["data"] == 400
    zero = await store.client.post(refunds, json={"amount": "0.00", "api_refund": False})
    assert zero.status_code == 201, zero.text
    line = order["line_items"][0]
    one_unit = {"id": line["id"], "quantity": 1, "refund_total": "10.00"}
    ignored = await store.client.post(
        refunds,
        json={
            "amount": "10.00",
            "api_refund": False,
            "restock_items": False,
            "line_items": [one_unit],
        },
    )
    assert ignored.status_code == 201, ignored.text
    assert await _stock(store, product["id"]) == 48  # restock_items is not a v3 field
    kept = await store.client.post(
        refunds,
        json={
            "amount": "10.00",
            "api_refund": False,
            "api_restock": False,
            "line_items": [one_unit],
        },
    )
    assert kept.status_code == 201, kept.text
    assert await _stock(store, product["id"]) == 48
    listed = (await store.client.get(f"/orders/{order['id']}")).json()["refunds"]
    assert sorted(r["total"] for r in listed) == ["-0.00", "-10.00", "-10.00"]


async def test_a_partial_refund_carries_its_line_tax(store: Store) -> None:
    product = await _product(store, "RT")
    async with taxes_on(store) as rate:
        order = await _order(
            store,
            "NZ",
            status="processing",
            line_items=[{"product_id": product["id"], "quantity": 3}],
        )
        line = order["line_items"][0]
        response = await store.client.post(
            f"/orders/{order['id']}/refunds",
            json={
                "amount": "11.00",
                "api_refund": False,
                "line_items": [
                    {
                        "id": line["id"],
                        "quantity": 1,
                        "refund_total": "10.00",
                        "refund_tax": [{"id": rate["id"], "refund_total": "1.00"}],
                    }
                ],
            },
        )
    assert response.status_code == 201, response.text
    refund = response.json()
    [refunded] = refund["line_items"]
    assert (refunded["total"], refunded["total_tax"]) == ("-10.00", "-1.00")
    assert refunded["taxes"] == [{"id": rate["id"], "total": "-1.00", "subtotal": "-1.00"}]
    [tax_line] = refund["tax_lines"]
    assert (tax_line["rate_id"], tax_line["tax_total"]) == (rate["id"], "-1.00")


async def test_the_tax_settings_group_lists_the_price_entry_setting(store: Store) -> None:
    response = await store.client.get("/settings/tax")
    assert response.status_code == 200, response.text
    entry = next(s for s in response.json() if s["id"] == "woocommerce_prices_include_tax")
    assert entry["value"] in ("yes", "no") and "group_id" not in entry


async def test_a_state_rate_adds_to_the_country_rate_and_fees_carry_their_own_tax(
    store: Store,
) -> None:
    product = await _product(store, "ST")
    fees = [
        {"name": "Handling", "total": "3.00"},
        {"name": "Gift wrap", "total": "2.50", "tax_status": "none"},
    ]
    async with taxes_on(store) as country_rate:
        response = await store.client.post(
            "/taxes",
            json={
                "country": "NZ",
                "state": "AUK",
                "rate": "5",
                "name": f"{store.prefix} state tax",
                "priority": 2,
            },
        )
        assert response.status_code == 201, response.text
        state_rate = response.json()
        try:
            one = [{"product_id": product["id"], "quantity": 1}]
            auckland, elsewhere = [
                await _order(store, "NZ", billing=place, shipping=place, line_items=one, **extra)
                for place, extra in (
                    ({**_address("NZ"), "state": "AUK"}, {"fee_lines": fees}),
                    ({**_address("NZ"), "state": "CAN"}, {}),
                )
            ]
        finally:
            await store.client.delete(f"/taxes/{state_rate['id']}", params={"force": "true"})
    assert (state_rate["state"], state_rate["priority"], state_rate["compound"]) == (
        "AUK",
        2,
        False,
    )
    # Both rates tax the net price (compound off): 1.00 + 0.50 on the line.
    [line] = auckland["line_items"]
    assert sorted((t["id"], t["total"]) for t in line["taxes"]) == sorted(
        [(country_rate["id"], "1.00"), (state_rate["id"], "0.50")]
    )
    assert line["total_tax"] == "1.50"
    handling, wrap = auckland["fee_lines"]
    assert (handling["total"], handling["total_tax"]) == ("3.00", "0.45")
    assert (wrap["total"], wrap["total_tax"]) == ("2.50", "0.00")
    assert (auckland["total_tax"], auckland["total"]) == ("1.95", "17.45")
    assert sorted(t["rate_percent"] for t in auckland["tax_lines"]) == [5, 10]
    # Another state of the same country pays the country rate only.
    assert (elsewhere["total_tax"], elsewhere["total"]) == ("1.00", "11.00")


async def test_a_coupon_on_prices_with_tax_discounts_the_gross_and_rounds_per_line(
    store: Store,
) -> None:
    code = f"{store.prefix}-gross10"
    _, order = await _ten_percent_off(
        store, "G", code, code, include=True, fee_lines=[{"name": "Handling", "total": "3.00"}]
    )
    lines = [
        (line["subtotal"], line["subtotal_tax"], line["total"], line["total_tax"], line["price"])
        for line in order["line_items"]
    ]
    # 10 % off 30.00 and 20.00 gross: 27.00 and 18.00 gross, split at 10 % per line
    assert lines == [
        ("27.27", "2.73", "24.55", "2.45", 8.181818),
        ("18.18", "1.82", "16.36", "1.64", 16.363636),
    ]
    # WooCommerce's discount total is the sum of the lines' net discounts (2.72 + 1.82),
    # the coupon line's is the whole-basket figure (4.55): they differ by a cent
    assert (order["discount_total"], order["discount_tax"]) == ("4.54", "0.45")
    assert (order["coupon_lines"][0]["discount"], order["coupon_lines"][0]["discount_tax"]) == (
        "4.55",
        "0.45",
    )
    # fees and shipping are net amounts even when prices include tax
    assert [(f["total"], f["total_tax"]) for f in order["fee_lines"]] == [("3.00", "0.30")]
    assert (order["shipping_total"], order["shipping_tax"]) == ("5.00", "0.50")
    assert (order["cart_tax"], order["total_tax"], order["total"]) == ("4.39", "4.89", "53.80")
