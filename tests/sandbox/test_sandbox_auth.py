"""Authentication: Basic and query keys over https, OAuth 1.0a over http."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    SandboxConfig,
    create_sandbox_app,
)
from storebridge.sandbox.oauth import base_string, signature

API = "/wp-json/wc/v3"


def oauth_params(
    path_params: list[tuple[str, str]],
    *,
    url: str,
    method: str = "GET",
    key: str = DEMO_CONSUMER_KEY,
    secret: str = DEMO_CONSUMER_SECRET,
    nonce: str = "n0nce",
    timestamp: int | None = None,
    algorithm: str = "HMAC-SHA256",
) -> list[tuple[str, str]]:
    params = [
        *path_params,
        ("oauth_consumer_key", key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", algorithm),
        ("oauth_timestamp", str(timestamp if timestamp is not None else int(time.time()))),
    ]
    sign_with = algorithm if algorithm in ("HMAC-SHA1", "HMAC-SHA256") else "HMAC-SHA256"
    params.append(
        ("oauth_signature", signature(sign_with, secret, base_string(method, url, params)))
    )
    return params


@pytest.fixture
async def http_client(sandbox_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        yield client


def test_the_signature_base_string_matches_the_reference_vector() -> None:
    params = [
        ("per_page", "2"),
        ("oauth_consumer_key", "ck_test"),
        ("oauth_nonce", "abc123"),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", "1700000000"),
    ]
    text = base_string("GET", "http://shop.test/wp-json/wc/v3/products", params)
    assert text == (
        "GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Fproducts&oauth_consumer_key%3Dck_test"
        "%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp"
        "%3D1700000000%26per_page%3D2"
    )
    assert (
        signature("HMAC-SHA256", "cs_test", text) == "uRjG22IFUNp7CWOuDW5eKKUdFOE6eDi2na17xP//S0s="
    )


@pytest.mark.parametrize("algorithm", ["HMAC-SHA256", "HMAC-SHA1"])
async def test_oauth_over_plain_http_is_accepted(
    http_client: httpx.AsyncClient, algorithm: str
) -> None:
    params = oauth_params(
        [("_fields", "id,sku")], url=f"http://shop.test{API}/products", algorithm=algorithm
    )
    response = await http_client.get(f"{API}/products", params=params)
    assert response.status_code == 200


async def test_a_repeated_query_key_is_signed_once_with_its_last_value_as_php_parses_it(
    http_client: httpx.AsyncClient,
) -> None:
    params = oauth_params([("sku", "B")], url=f"http://shop.test{API}/products")
    response = await http_client.get(f"{API}/products", params=[("sku", "A"), *params])
    assert response.status_code == 200, response.text


async def test_a_replayed_nonce_is_refused(http_client: httpx.AsyncClient) -> None:
    params = oauth_params([], url=f"http://shop.test{API}/products", nonce="once-only")
    assert (await http_client.get(f"{API}/products", params=params)).status_code == 200
    again = await http_client.get(f"{API}/products", params=params)
    assert again.status_code == 401
    assert again.json()["message"] == "Invalid nonce - nonce has already been used."


async def test_a_stale_timestamp_is_refused(http_client: httpx.AsyncClient) -> None:
    params = oauth_params(
        [], url=f"http://shop.test{API}/products", timestamp=int(time.time()) - 16 * 60
    )
    response = await http_client.get(f"{API}/products", params=params)
    assert response.json()["message"] == "Invalid timestamp."


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda p: [(k, "ck_nobody" if k == "oauth_consumer_key" else v) for k, v in p],
            "Consumer key is invalid.",
        ),
        (
            lambda p: [(k, "x" + v if k == "oauth_signature" else v) for k, v in p],
            "Invalid signature - provided signature does not match.",
        ),
        (
            lambda p: [(k, "PLAINTEXT" if k == "oauth_signature_method" else v) for k, v in p],
            "Invalid signature - signature method is invalid.",
        ),
        (
            lambda p: [(k, v) for k, v in p if k != "oauth_nonce"],
            "Missing OAuth parameter oauth_nonce",
        ),
    ],
)
async def test_oauth_failures_are_reported_as_woocommerce_does(
    http_client: httpx.AsyncClient, mutate: object, message: str
) -> None:
    params = oauth_params([], url=f"http://shop.test{API}/products")
    response = await http_client.get(f"{API}/products", params=mutate(params))  # type: ignore[operator]
    assert response.status_code == 401
    assert response.json()["message"] == message


async def test_query_string_keys_work_over_https_only(
    sandbox_app: FastAPI, http_client: httpx.AsyncClient
) -> None:
    keys = {"consumer_key": DEMO_CONSUMER_KEY, "consumer_secret": DEMO_CONSUMER_SECRET}
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as https:
        assert (await https.get(f"{API}/products", params=keys)).status_code == 200
    ignored = await http_client.get(f"{API}/products", params=keys)
    assert ignored.json()["code"] == "woocommerce_rest_cannot_view"


async def test_an_unknown_key_is_just_anonymous(sandbox_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://shop.test", auth=("ck_nobody", "cs_nobody")
    ) as client:
        listing = await client.get(f"{API}/products")
        one = await client.get(f"{API}/products/1")
        editing = await client.put(f"{API}/products/1", json={})
        deleting = await client.delete(f"{API}/products/1")
        batching = await client.post(f"{API}/products/batch", json={})
    assert listing.json()["message"] == "Sorry, you cannot list resources."
    assert one.json()["message"] == "Sorry, you cannot view this resource."
    assert editing.json()["code"] == "woocommerce_rest_cannot_edit"
    assert deleting.json()["code"] == "woocommerce_rest_cannot_delete"
    assert batching.json()["code"] == "woocommerce_rest_cannot_batch"


async def test_arguments_are_validated_before_permissions(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get(f"{API}/products", params={"per_page": 0})
    assert (response.status_code, response.json()["code"]) == (400, "rest_invalid_param")


async def test_behind_a_tls_proxy_basic_auth_works_over_plain_http() -> None:
    app = create_sandbox_app(SandboxConfig(assume_https=True))
    transport = httpx.ASGITransport(app=app)
    auth = (DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://shop.test", auth=auth
    ) as client:
        behind_proxy = await client.get(f"{API}/products")
        told_plain = await client.get(f"{API}/products", headers={"X-Forwarded-Proto": "http"})
        created = await client.post(f"{API}/products", json={"name": "linked"})
    app.state.sandbox.close()
    assert behind_proxy.status_code == 200
    assert told_plain.status_code == 401
    assert created.json()["_links"]["self"][0]["href"].startswith("https://shop.test/")


async def test_x_forwarded_proto_is_ignored_without_the_switch(
    http_client: httpx.AsyncClient,
) -> None:
    response = await http_client.get(
        f"{API}/products",
        headers={"X-Forwarded-Proto": "https"},
        auth=(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET),
    )
    assert response.status_code == 401


async def test_options_is_answered_without_credentials(http_client: httpx.AsyncClient) -> None:
    response = await http_client.options(f"{API}/products/5")
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, POST, PUT, PATCH, DELETE"
