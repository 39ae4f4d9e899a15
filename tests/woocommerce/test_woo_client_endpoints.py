"""The typed endpoint methods send the right requests and return typed models."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import respx
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import API, golden, golden_response

from storebridge.woocommerce import (
    WooAuthError,
    WooBadRequest,
    WooClient,
    WooServerError,
    format_gmt,
)


async def test_listing_products_by_skus_and_modification_time_sends_gmt_filters(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(return_value=golden_response("010"))
    since = datetime(2026, 11, 26, 21, 27, 17, tzinfo=timezone(timedelta(hours=2)))

    products = await client.list_products(
        sku=["GLD-A", "gld-b", "NOPE"], modified_after=since, include=[726, 727], type="simple"
    )

    params = route.calls.last.request.url.params
    assert params["sku"] == "GLD-A,gld-b,NOPE"
    assert params["modified_after"] == "2026-11-26T19:27:17"  # naive UTC, no "Z"
    assert params["dates_are_gmt"] == "true"
    assert params["include"] == "726,727"
    assert params["type"] == "simple"
    assert "status" not in params
    assert {p.sku for p in products} == {"GLD-A", "GLD-B"}


def test_naive_datetimes_are_refused_for_filters() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_gmt(datetime(2024, 1, 1))


async def test_get_and_update_a_product(client: WooClient, respx_mock: respx.MockRouter) -> None:
    get = respx_mock.get(f"{API}/products/726").mock(return_value=golden_response("043"))
    put = respx_mock.put(f"{API}/products/726").mock(return_value=golden_response("016"))

    trimmed = await client.get_product(726, fields=["id", "name", "price", "stock_quantity"])
    updated = await client.update_product(726, {"regular_price": "22.00", "sale_price": "18.00"})

    assert get.calls.last.request.url.params["_fields"] == "id,name,price,stock_quantity"
    assert trimmed.id == 726
    assert json.loads(put.calls.last.request.content) == {
        "regular_price": "22.00",
        "sale_price": "18.00",
    }
    assert updated.on_sale


async def test_listing_variations_of_a_parent(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products/735/variations").mock(return_value=golden_response("046"))

    variations = await client.list_variations(735)

    assert {v.sku for v in variations} == {"GLD-TEE-S", "GLD-TEE-M", "GLD-TEE"}


async def test_orders_are_listed_by_status_list_in_id_order(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/orders").mock(return_value=golden_response("076"))

    orders = await client.list_orders(
        status=["processing", "on-hold"],
        modified_after=datetime(2026, 11, 26, 19, 27, 21, tzinfo=UTC),
        fields=["id", "status", "total", "date_modified_gmt"],
    )

    params = route.calls.last.request.url.params
    assert params["status"] == "processing,on-hold"
    assert (params["orderby"], params["order"]) == ("id", "asc")
    assert params["modified_after"] == "2026-11-26T19:27:21"
    assert params["dates_are_gmt"] == "true"
    assert {o.status for o in orders} <= {"processing", "on-hold"}


async def test_other_bad_requests_on_orders_are_not_swallowed(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/orders").mock(return_value=golden_response("154"))

    with pytest.raises(WooBadRequest, match="status"):
        await client.list_orders(status="bogus")


async def test_get_and_update_an_order(client: WooClient, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/orders/742").mock(return_value=golden_response("065"))
    put = respx_mock.put(f"{API}/orders/742").mock(return_value=golden_response("063"))

    order = await client.get_order(742)
    done = await client.update_order(742, {"status": "completed"})

    assert order.line_items[0].sku == "GLD-STK"
    assert json.loads(put.calls.last.request.content) == {"status": "completed"}
    assert done.status == "completed"


async def test_customers_are_found_by_email_across_roles(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/customers").mock(return_value=golden_response("117"))

    customer = await client.find_customer_by_email(" JANE@GOLDEN.EXAMPLE ")

    params = route.calls.last.request.url.params
    assert (params["email"], params["role"]) == ("JANE@GOLDEN.EXAMPLE", "all")
    assert customer is not None
    assert customer.id == 5


async def test_an_unknown_email_finds_no_customer(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/customers").mock(
        return_value=httpx.Response(200, json=[], headers={"X-WP-TotalPages": "0"})
    )

    assert await client.find_customer_by_email("nobody@example.com") is None


async def test_customer_create_get_and_update(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    post = respx_mock.post(f"{API}/customers").mock(return_value=golden_response("113"))
    respx_mock.get(f"{API}/customers/5").mock(return_value=golden_response("122"))
    put = respx_mock.put(f"{API}/customers/5").mock(return_value=golden_response("118"))
    payload = golden("113")["request"]["body"]

    created = await client.create_customer(payload)
    fetched = await client.get_customer(5)
    updated = await client.update_customer(5, golden("118")["request"]["body"])

    assert json.loads(post.calls.last.request.content) == payload
    assert created.id == fetched.id == updated.id == 5
    assert json.loads(put.calls.last.request.content) == golden("118")["request"]["body"]


async def test_webhook_crud_sends_the_secret_once_and_deletes_with_force(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    post = respx_mock.post(f"{API}/webhooks").mock(return_value=golden_response("124"))
    listing = respx_mock.get(f"{API}/webhooks").mock(return_value=golden_response("136"))
    respx_mock.get(f"{API}/webhooks/16").mock(return_value=golden_response("137"))
    put = respx_mock.put(f"{API}/webhooks/16").mock(return_value=golden_response("138"))
    delete = respx_mock.delete(f"{API}/webhooks/16").mock(return_value=golden_response("141"))

    created = await client.create_webhook(
        name="golden order.created",
        topic="order.created",
        delivery_url="http://127.0.0.1:9090/golden",
        secret=SecretStr("whsec_realwoo_test"),
    )
    hooks = await client.list_webhooks(status="all")
    one = await client.get_webhook(16)
    paused = await client.update_webhook(16, {"status": "paused"})
    deleted = await client.delete_webhook(16)

    assert json.loads(post.calls.last.request.content)["secret"] == "whsec_realwoo_test"
    assert created.id == one.id == deleted.id == 16
    assert listing.calls.last.request.url.params["status"] == "all"
    assert len(hooks) == 3
    assert json.loads(put.calls.last.request.content) == {"status": "paused"}
    assert paused.status == "paused"
    assert delete.calls.last.request.url.params["force"] == "true"


async def test_the_key_check_is_one_cheap_read_that_a_refused_key_fails(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    refused = httpx.Response(
        401,
        json={"code": "woocommerce_rest_authentication_error", "message": "Invalid signature",
              "data": {"status": 401}},
    )  # fmt: skip
    route = respx_mock.get(f"{API}/products").mock(
        side_effect=[httpx.Response(200, json=[{"id": 7}]), refused]
    )

    await client.check_key()
    with pytest.raises(WooAuthError):
        await client.check_key()

    params = route.calls[0].request.url.params
    assert (params["per_page"], params["_fields"]) == ("1", "id")


async def test_the_key_check_is_not_retried(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(return_value=httpx.Response(503))

    with pytest.raises(WooServerError):
        await client.check_key()

    assert route.call_count == 1
