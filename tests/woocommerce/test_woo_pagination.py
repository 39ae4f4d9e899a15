"""Walking list endpoints: X-WP-TotalPages, empty pages, short pages, _fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from tests.woocommerce.woo_helpers import API, golden, golden_response

from storebridge.woocommerce import WooClient, WooInvalidResponse


def _page(ids: range, total_pages: int | None) -> httpx.Response:
    headers = {} if total_pages is None else {"X-WP-TotalPages": str(total_pages)}
    return httpx.Response(200, json=[{"id": i} for i in ids], headers=headers)


async def test_pagination_follows_x_wp_totalpages_and_stops_on_the_last_page(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(
        side_effect=[
            _page(range(1, 101), 3),
            _page(range(101, 201), 3),
            _page(range(201, 251), 3),
        ]
    )

    pages = [page async for page in client.iter_pages("/products", {"search": "Golden"})]

    assert [len(page) for page in pages] == [100, 100, 50]
    assert route.call_count == 3
    sent = [call.request.url.params for call in route.calls]
    assert [p["page"] for p in sent] == ["1", "2", "3"]
    assert all(p["per_page"] == "100" and p["search"] == "Golden" for p in sent)


async def test_a_full_page_that_is_the_last_one_ends_the_walk_without_an_extra_request(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/orders").mock(side_effect=[_page(range(100), 1)])

    items = [item async for item in client.iter_items("/orders")]

    assert len(items) == 100
    assert route.call_count == 1


async def test_the_real_last_page_capture_ends_the_walk(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    # Golden 014 is page 2 of 2 (X-WP-Total 3): the walk must stop after it.
    first = httpx.Response(
        200,
        json=[{"id": 726, "sku": "GLD-A"}, {"id": 727, "sku": "GLD-B"}],
        headers={"X-WP-Total": "3", "X-WP-TotalPages": "2"},
    )
    route = respx_mock.get(f"{API}/products").mock(side_effect=[first, golden_response("014")])

    products = await client.list_products(search="Golden")

    assert [p.id for p in products] == [726, 727, 728]
    assert products[2].sku == "GLD-C"
    assert route.call_count == 2


async def test_an_empty_page_ends_the_walk_even_if_the_header_promises_more(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(
        side_effect=[_page(range(100), 5), golden_response("015", **{"X-WP-TotalPages": "5"})]
    )

    items = [item async for item in client.iter_items("/products")]

    assert len(items) == 100
    assert route.call_count == 2


async def test_without_the_header_a_short_page_ends_the_walk(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/customers").mock(
        side_effect=[_page(range(100), None), _page(range(100, 130), None)]
    )

    items = [item async for item in client.iter_items("/customers")]

    assert len(items) == 130
    assert route.call_count == 2


async def test_fields_are_passed_through_as_a_comma_list(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    capture = golden("011")
    route = respx_mock.get(f"{API}/products").mock(return_value=golden_response("011"))

    items = [
        item
        async for item in client.iter_items(
            "/products", {"search": "Golden"}, fields=["id", "sku", "date_modified_gmt"]
        )
    ]

    assert items == capture["response"]["body"]
    assert route.calls.last.request.url.params["_fields"] == "id,sku,date_modified_gmt"


async def test_a_collection_that_is_not_a_list_is_an_invalid_response(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products").mock(return_value=httpx.Response(200, json={"id": 1}))

    with pytest.raises(WooInvalidResponse):
        await client.list_products()


async def test_html_instead_of_json_is_an_invalid_response(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/products").mock(
        return_value=httpx.Response(200, text="<html>cached page</html>")
    )

    with pytest.raises(WooInvalidResponse, match="expected JSON"):
        await client.list_products()


async def test_a_walk_asks_for_a_total_order_unless_the_caller_names_one(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products").mock(return_value=_page(range(1, 3), 1))

    [item async for item in client.iter_items("/products", {"search": "Golden"})]
    [item async for item in client.iter_items("/products", {"orderby": "modified"})]

    sent = [call.request.url.params for call in route.calls]
    assert [(p["orderby"], p["order"]) for p in sent] == [("id", "asc"), ("modified", "asc")]


@pytest.mark.parametrize(
    ("path", "walk"),
    [
        ("/products", lambda c: c.list_products(sku=["A"])),
        ("/products/7/variations", lambda c: c.list_variations(7)),
        ("/orders", lambda c: c.list_orders(status="any")),
        ("/customers", lambda c: c.list_customers(email="a@example.com")),
        ("/webhooks", lambda c: c.list_webhooks()),
    ],
)
async def test_every_listing_of_the_client_is_in_id_order(
    client: WooClient, respx_mock: respx.MockRouter, path: str, walk: Any
) -> None:
    route = respx_mock.get(f"{API}{path}").mock(return_value=_page(range(1, 3), 1))
    await walk(client)

    params = route.calls.last.request.url.params
    assert (params["orderby"], params["order"]) == ("id", "asc")
