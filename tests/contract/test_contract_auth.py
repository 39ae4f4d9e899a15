"""Contract: authentication and the error shapes every endpoint shares."""

from __future__ import annotations

import httpx
import pytest
from tests.contract.conftest import sandbox_only
from tests.contract.contract_support import API, OAuth1QueryAuth, Store, oauth_signature

from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET, create_sandbox_app


async def test_a_request_without_credentials_cannot_list(store: Store) -> None:
    response = await store.anonymous.get("/products")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"
    assert response.json()["message"] == "Sorry, you cannot list resources."
    assert "WWW-Authenticate" not in response.headers


async def test_a_post_without_credentials_cannot_create(store: Store) -> None:
    response = await store.anonymous.post("/products", json={"name": "nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_create"


async def test_a_wrong_secret_is_an_authentication_error(store: Store) -> None:
    async with store.with_secret("cs_wrong_secret") as client:
        response = await client.get("/products")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"


async def test_a_read_only_key_reads_but_cannot_write(store: Store) -> None:
    if store.readonly is None:
        pytest.skip("set WOO_READONLY_KEY and WOO_READONLY_SECRET for the read-only checks")
    assert (await store.readonly.get("/products", params={"per_page": 1})).status_code == 200
    response = await store.readonly.post("/products", json={"name": "nope"})
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "The API key provided does not have write permissions.",
        "data": {"status": 401},
    }


async def test_an_unknown_route_and_a_wrong_method_are_rest_no_route(store: Store) -> None:
    for response in (await store.client.get("/nope"), await store.client.delete("/products")):
        assert response.status_code == 404
        assert response.json()["code"] == "rest_no_route"


async def test_a_malformed_json_body_is_rest_invalid_json(store: Store) -> None:
    response = await store.client.post(
        "/products", content=b'{"name": "broken", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "rest_invalid_json"


async def test_per_page_outside_1_to_100_is_out_of_bounds(store: Store) -> None:
    for per_page in (0, 101):
        response = await store.client.get("/products", params={"per_page": per_page})
        assert response.status_code == 400
        details = response.json()["data"]["details"]["per_page"]
        assert details["code"] == "rest_out_of_bounds"


async def test_basic_auth_is_ignored_over_plain_http_but_oauth_works(store: Store) -> None:
    sandbox_only(store, "the real store is reached over one scheme only")
    app = create_sandbox_app()
    transport = httpx.ASGITransport(app=app)
    base = "http://shop.test" + API
    async with httpx.AsyncClient(
        transport=transport, base_url=base, auth=(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET)
    ) as basic:
        refused = await basic.get("/products")
    async with httpx.AsyncClient(
        transport=transport,
        base_url=base,
        auth=OAuth1QueryAuth(DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET),
    ) as oauth:
        accepted = await oauth.get("/products", params={"per_page": 2, "_fields": "id,sku"})
    app.state.sandbox.close()
    assert refused.status_code == 401
    assert refused.json()["code"] == "woocommerce_rest_cannot_view"
    assert accepted.status_code == 200


def test_the_oauth_signature_matches_the_reference_vector() -> None:
    params = [
        ("per_page", "2"),
        ("oauth_consumer_key", "ck_test"),
        ("oauth_nonce", "abc123"),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", "1700000000"),
    ]
    signature = oauth_signature("GET", "http://shop.test/wp-json/wc/v3/products", params, "cs_test")
    assert signature == "uRjG22IFUNp7CWOuDW5eKKUdFOE6eDi2na17xP//S0s="
