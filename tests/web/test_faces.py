"""The dashboard and the webhook receiver as separate faces; proxy trust; session key rotation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from tests.web.web_support import WebWorld

from storebridge.cli.run import listener_config
from storebridge.settings.models import WebSettings
from storebridge.web import create_web_app
from storebridge.web.app import SESSION_COOKIE

KEY = "k" * 40


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_the_webhook_face_serves_only_webhooks_and_healthz(world: WebWorld) -> None:
    async with _client(create_web_app(world.services, face="webhooks")) as client:
        assert (await client.get("/healthz")).status_code == 200
        unsigned = await client.post("/webhooks/woocommerce/main", content=b"{}")
        assert unsigned.status_code == 401
        for path in ["/", "/login", "/orders", "/activity", "/metrics", "/static/style.css"]:
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/login")).status_code == 404


async def test_the_dashboard_face_serves_no_webhook(world: WebWorld) -> None:
    async with _client(create_web_app(world.services, face="dashboard")) as client:
        assert (await client.post("/webhooks/woocommerce/main", content=b"{}")).status_code == 404
        assert (await client.get("/login")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


def test_forwarded_headers_are_trusted_only_from_configured_proxies() -> None:
    default = listener_config(FastAPI(), WebSettings(secret_key=KEY), host="127.0.0.1", port=1)
    proxied = listener_config(
        FastAPI(),
        WebSettings(secret_key=KEY, forwarded_allow_ips=("10.0.0.5",)),
        host="127.0.0.1",
        port=1,
    )

    assert default.proxy_headers is False
    assert proxied.proxy_headers is True and proxied.forwarded_allow_ips == ["10.0.0.5"]


def test_the_defaults_keep_everything_on_localhost_on_one_listener() -> None:
    web = WebSettings(secret_key=KEY)

    assert web.host == "127.0.0.1" and web.webhook_host == "127.0.0.1"
    assert not web.separate_webhooks and not web.behind_proxy


def test_the_webhook_listener_cannot_take_the_dashboards_port() -> None:
    with pytest.raises(ValidationError, match="webhook_port must differ"):
        WebSettings(secret_key=KEY, port=8000, webhook_port=8000)


async def test_a_session_signed_with_the_previous_key_stays_valid_during_a_rotation(
    world: WebWorld,
) -> None:
    assert (await world.login()).status_code == 303
    old_cookie = world.client.cookies[SESSION_COOKIE]
    old_key = world.services.settings.web.secret_key
    new_key = SecretStr("n" * 40)
    rotated = world.services.settings.model_copy(
        update={
            "web": world.services.settings.web.model_copy(
                update={"secret_key": new_key, "secret_key_previous": old_key}
            )
        }
    )
    world.services.settings = rotated
    rotated_app = create_web_app(world.services)
    async with _client(rotated_app) as client:
        client.cookies.set(SESSION_COOKIE, old_cookie)
        assert (await client.get("/")).status_code == 200

    without_previous = rotated.model_copy(
        update={"web": rotated.web.model_copy(update={"secret_key_previous": None})}
    )
    world.services.settings = without_previous
    async with _client(create_web_app(world.services)) as client:
        client.cookies.set(SESSION_COOKIE, old_cookie)
        assert (await client.get("/")).status_code == 303
