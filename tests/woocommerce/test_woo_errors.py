"""HTTP failures become typed exceptions carrying WooCommerce's code, never a secret."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import API, KEY, SECRET, STORE, golden, golden_response

from storebridge.errors import StoreBridgeError
from storebridge.woocommerce import (
    WooAuthError,
    WooBadRequest,
    WooBatchTooLarge,
    WooClient,
    WooConnection,
    WooDuplicateSku,
    WooError,
    WooNotFound,
    WooServerError,
    WooTransportError,
    error_from_response,
)


@pytest.mark.parametrize(
    ("capture", "method", "path", "expected", "code"),
    [
        ("033", "GET", "/products/999999", WooNotFound, "woocommerce_rest_product_invalid_id"),
        ("034", "PUT", "/products/999999", WooNotFound, "woocommerce_rest_product_invalid_id"),
        ("032", "PUT", "/products/727", WooDuplicateSku, "product_invalid_sku"),
        ("040", "POST", "/products", WooDuplicateSku, "woocommerce_rest_product_not_created"),
        ("153", "POST", "/products", WooBadRequest, "rest_invalid_param"),
        ("114", "POST", "/customers", WooBadRequest, "registration-error-email-exists"),
        (
            "055",
            "POST",
            "/products/batch",
            WooBatchTooLarge,
            "woocommerce_rest_request_entity_too_large",
        ),
        ("142", "GET", "/products", WooAuthError, "woocommerce_rest_cannot_view"),
        ("144", "GET", "/products", WooAuthError, "woocommerce_rest_authentication_error"),
        ("149", "POST", "/products", WooAuthError, "woocommerce_rest_authentication_error"),
        ("150", "GET", "/nope", WooNotFound, "rest_no_route"),
        (
            "095",
            "POST",
            "/orders/742/refunds",
            WooServerError,
            "woocommerce_rest_cannot_create_order_refund",
        ),
        ("123", "DELETE", "/customers/5", WooServerError, "woocommerce_rest_trash_not_supported"),
        ("038", "DELETE", "/products/733", WooError, "woocommerce_rest_already_trashed"),
    ],
)
async def test_real_error_answers_map_to_the_right_exception_class_with_their_code(
    client: WooClient,
    respx_mock: respx.MockRouter,
    capture: str,
    method: str,
    path: str,
    expected: type[WooError],
    code: str,
) -> None:
    route = respx_mock.route(method=method, url=f"{API}{path}").mock(
        return_value=golden_response(capture)
    )

    with pytest.raises(WooError) as caught:
        await client.request(method, path, json={} if method != "GET" else None)

    error = caught.value
    assert type(error) is expected
    assert isinstance(error, StoreBridgeError)
    assert error.code == code
    assert error.status == golden(capture)["response"]["status"]
    assert error.method == method
    assert error.endpoint == path
    assert route.call_count == 1  # none of these is worth a retry


def test_a_duplicate_sku_error_exposes_the_id_of_the_holder() -> None:
    body = golden("032")["response"]["body"]

    error = error_from_response(400, body, method="PUT", endpoint="/products/727")

    assert isinstance(error, WooDuplicateSku)
    assert error.resource_id == 726
    assert error.data["unique_sku"] == "GLD-A-1"


def test_a_trashed_sku_holder_is_a_duplicate_without_a_resource_id() -> None:
    body = golden("040")["response"]["body"]

    error = error_from_response(400, body, method="POST", endpoint="/products")

    assert isinstance(error, WooDuplicateSku)
    assert error.resource_id is None


def test_a_bare_numeric_data_field_is_read_as_the_status() -> None:
    body = golden("095")["response"]["body"]  # "data": 500

    error = error_from_response(500, body, method="POST", endpoint="/orders/742/refunds")

    assert error.data == {"status": 500}
    assert error.is_retryable
    assert error.ambiguous


@pytest.mark.parametrize(
    ("status", "retryable", "ambiguous"),
    [
        (429, True, False),
        (500, True, True),
        (502, True, True),
        (503, True, True),
        (504, True, True),
        (501, False, False),
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (410, False, False),
        (413, False, False),
    ],
)
def test_retryable_and_ambiguous_follow_the_status(
    status: int, retryable: bool, ambiguous: bool
) -> None:
    error = error_from_response(status, {"code": "x", "message": "m"}, method="GET", endpoint="/p")

    assert error.is_retryable is retryable
    assert error.ambiguous is ambiguous


def test_a_non_json_error_page_keeps_a_short_one_line_message() -> None:
    page = "<html>\n<body>  502 Bad   Gateway </body></html>" + " filler" * 100

    error = error_from_response(502, page, method="GET", endpoint="/products")

    assert isinstance(error, WooServerError)
    assert error.code is None
    assert "\n" not in error.message
    assert len(error.message) <= 200


async def test_secrets_never_appear_in_errors_even_with_keys_in_the_query_string(
    make_client: Callable[..., WooClient], respx_mock: respx.MockRouter
) -> None:
    connection = WooConnection(
        url=STORE, consumer_key=SecretStr(KEY), consumer_secret=SecretStr(SECRET), auth="query"
    )
    # A misbehaving host echoing the request URL, keys included, in its error page.
    respx_mock.get(f"{API}/products").mock(
        side_effect=lambda request: httpx.Response(500, text=f"failed: {request.url}")
    )
    respx_mock.get(f"{API}/orders").mock(side_effect=httpx.ConnectError(f"refused {SECRET}"))

    async with make_client(connection=connection) as woo:
        with pytest.raises(WooServerError) as server_error:
            await woo.request("GET", "/products", params={"sku": "A"})
        with pytest.raises(WooTransportError) as transport_error:
            await woo.request("GET", "/orders")

    for error in (server_error.value, transport_error.value):
        shown = f"{error} {error!r} {error.args} {error.data}"
        assert KEY not in shown
        assert SECRET not in shown
    assert server_error.value.endpoint == "/products"
