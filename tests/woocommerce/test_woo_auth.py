"""Authentication flows: OAuth 1.0a over http, Basic and query keys over https."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError
from tests.woocommerce.woo_helpers import API, KEY, SECRET, STORE

from storebridge.woocommerce import (
    WooBasicAuth,
    WooClient,
    WooConnection,
    WooOAuth1Auth,
    WooQueryAuth,
    build_auth,
)
from storebridge.woocommerce.auth import oauth_base_string, oauth_signature


def _hmac_b64(key: str, text: str) -> str:
    digest = hmac.new(key.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _oauth(key: str = "ck_test", secret: str = "cs_test", nonce: str = "abc123") -> WooOAuth1Auth:
    return WooOAuth1Auth(
        SecretStr(key),
        SecretStr(secret),
        clock=lambda: 1_700_000_000,
        nonce_factory=lambda: nonce,
    )


def test_oauth_signature_matches_the_reference_vector_of_the_api_notes() -> None:
    signed = _oauth().sign("GET", httpx.URL("http://shop.test/wp-json/wc/v3/products?per_page=2"))

    assert signed.params["oauth_signature"] == "uRjG22IFUNp7CWOuDW5eKKUdFOE6eDi2na17xP//S0s="
    assert signed.params["oauth_signature_method"] == "HMAC-SHA256"
    assert signed.params["per_page"] == "2"


def test_oauth_base_string_encodes_spaces_commas_and_brackets_per_rfc_5849() -> None:
    url = httpx.URL("http://shop.test:8080/wp-json/wc/v3/products")
    params = [
        ("sku", "A-1,B 2"),
        ("search", "blue shirt [xl]"),
        ("oauth_consumer_key", "ck_test"),
        ("oauth_nonce", "n0nce"),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", "1700000000"),
    ]
    # Written out by hand: pairs RFC 3986-encoded, sorted, joined, then encoded again.
    expected = (
        "GET&http%3A%2F%2Fshop.test%3A8080%2Fwp-json%2Fwc%2Fv3%2Fproducts&"
        "oauth_consumer_key%3Dck_test%26oauth_nonce%3Dn0nce%26"
        "oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26"
        "search%3Dblue%2520shirt%2520%255Bxl%255D%26sku%3DA-1%252CB%25202"
    )

    assert oauth_base_string("GET", url, params) == expected
    assert oauth_signature(expected, "cs_test") == _hmac_b64("cs_test&", expected)


async def test_oauth_over_http_puts_a_valid_signature_in_the_query_string(
    respx_mock: respx.MockRouter,
) -> None:
    connection = WooConnection(
        url="http://shop.test:8080",
        consumer_key=SecretStr("ck_test"),
        consumer_secret=SecretStr("cs_test"),
    )
    route = respx_mock.get("http://shop.test:8080/wp-json/wc/v3/products").mock(
        return_value=httpx.Response(200, json=[])
    )
    auth = build_auth(connection, clock=lambda: 1_700_000_000, nonce_factory=lambda: "n0nce")
    async with WooClient(connection, auth=auth) as woo:
        await woo.request(
            "GET", "/products", params={"search": "blue shirt [xl]", "sku": "A-1,B 2"}
        )

    request = route.calls.last.request
    assert "authorization" not in request.headers
    # What PHP's $_GET would hold: the query decoded.
    query = dict(parse_qsl(urlsplit(str(request.url)).query))
    assert query["search"] == "blue shirt [xl]"
    assert query["sku"] == "A-1,B 2"
    expected_base = (
        "GET&http%3A%2F%2Fshop.test%3A8080%2Fwp-json%2Fwc%2Fv3%2Fproducts&"
        "oauth_consumer_key%3Dck_test%26oauth_nonce%3Dn0nce%26"
        "oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26"
        "search%3Dblue%2520shirt%2520%255Bxl%255D%26sku%3DA-1%252CB%25202"
    )
    assert query["oauth_signature"] == _hmac_b64("cs_test&", expected_base)


def _server_side_signature(url: httpx.URL, method: str, secret: str) -> str:
    """Recompute the signature the way WooCommerce does from the decoded query string."""
    params = dict(parse_qsl(urlsplit(str(url)).query, keep_blank_values=True))
    params.pop("oauth_signature")

    def enc(text: str) -> str:
        return quote(text, safe="~")

    pairs = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    base = f"{url.scheme}://{url.host}"
    if url.port:
        base += f":{url.port}"
    base += url.path
    return _hmac_b64(f"{secret}&", f"{method}&{enc(base)}&{enc(pairs)}")


@settings(max_examples=40, deadline=None)
@given(
    search=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=20
    ),
    page=st.integers(min_value=1, max_value=500),
)
def test_any_query_value_survives_the_round_trip_to_a_server_side_check(
    search: str, page: int
) -> None:
    url = httpx.URL("http://shop.test/wp-json/wc/v3/products").copy_with(
        params={"search": search, "page": str(page)}
    )
    signed = _oauth(nonce="xyz").sign("PUT", url)

    assert _server_side_signature(signed, "PUT", "cs_test") == signed.params["oauth_signature"]
    assert signed.params["search"] == search


async def test_basic_auth_over_https_sends_the_keys_in_the_authorization_header(
    client: WooClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{API}/products/726").mock(
        return_value=httpx.Response(200, json={"id": 726})
    )

    await client.get_product(726)

    request = route.calls.last.request
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {token}"
    assert "consumer_key" not in str(request.url)
    assert "oauth_signature" not in str(request.url)


async def test_query_auth_puts_the_keys_in_the_query_string(respx_mock: respx.MockRouter) -> None:
    connection = WooConnection(
        url=STORE, consumer_key=SecretStr(KEY), consumer_secret=SecretStr(SECRET), auth="query"
    )
    route = respx_mock.get(f"{API}/products").mock(return_value=httpx.Response(200, json=[]))
    async with WooClient(connection) as woo:
        await woo.request("GET", "/products", params={"sku": "A"})

    request = route.calls.last.request
    assert request.url.params["consumer_key"] == KEY
    assert request.url.params["consumer_secret"] == SECRET
    assert request.url.params["sku"] == "A"
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("url", "mode", "expected"),
    [
        ("https://shop.test", "auto", WooBasicAuth),
        ("http://shop.test", "auto", WooOAuth1Auth),
        ("https://shop.test", "oauth1", WooOAuth1Auth),
        ("https://shop.test", "query", WooQueryAuth),
    ],
)
def test_auto_auth_is_basic_over_https_and_oauth_over_http(
    url: str, mode: str, expected: type
) -> None:
    connection = WooConnection.model_validate(
        {"url": url, "consumer_key": KEY, "consumer_secret": SECRET, "auth": mode}
    )

    assert isinstance(build_auth(connection), expected)


@pytest.mark.parametrize("mode", ["basic", "query"])
def test_basic_or_query_keys_over_plain_http_are_refused_at_configuration(mode: str) -> None:
    with pytest.raises(ValidationError, match="https"):
        WooConnection.model_validate(
            {
                "url": "http://shop.test",
                "consumer_key": KEY,
                "consumer_secret": SECRET,
                "auth": mode,
            }
        )


def test_auth_objects_and_connection_never_show_the_secrets() -> None:
    connection = WooConnection(
        url=STORE + "/wp-json/wc/v3/",
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
    )

    shown = " ".join(
        [
            repr(connection),
            str(connection),
            repr(build_auth(connection)),
            connection.model_dump_json(),
        ]
    )
    assert KEY not in shown
    assert SECRET not in shown
    assert connection.api_base == f"{STORE}/wp-json/wc/v3"


def test_keys_are_trimmed_unwrapped_and_required() -> None:
    connection = WooConnection(
        url=STORE,
        consumer_key=SecretStr(f" {KEY}\n"),
        consumer_secret=SecretStr(SecretStr(SECRET)),  # type: ignore[arg-type]
    )

    assert connection.consumer_key.get_secret_value() == KEY
    assert connection.consumer_secret.get_secret_value() == SECRET
    with pytest.raises(ValidationError, match="must not be empty"):
        WooConnection(url=STORE, consumer_key=SecretStr("  "), consumer_secret=SecretStr(SECRET))
