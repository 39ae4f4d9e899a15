"""What the contract suite needs to talk to a store: signing and bookkeeping.

The suite never imports the StoreBridge client: it signs its own requests
(HTTP Basic over https, OAuth 1.0a one-legged HMAC-SHA256 over plain http,
as WooCommerce requires) and remembers what it created so a real store is
cleaned up afterwards. `Store` hides whether the other side is the
in-process sandbox or a real WooCommerce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

API = "/wp-json/wc/v3"


def rfc3986(text: str) -> str:
    """rawurlencode()."""
    return quote(text, safe="~")


def oauth_signature(method: str, base_url: str, params: list[tuple[str, str]], secret: str) -> str:
    """HMAC-SHA256 OAuth 1.0a signature of a request (key = secret + "&")."""
    pairs = sorted((p for p in params if p[0] != "oauth_signature"), key=lambda p: p[0].encode())
    normalized = "%26".join(rfc3986(f"{rfc3986(k)}={rfc3986(v)}") for k, v in pairs)
    text = f"{method.upper()}&{rfc3986(base_url)}&{normalized}"
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class OAuth1QueryAuth(httpx.Auth):
    """One-legged OAuth 1.0a with the parameters in the query string."""

    def __init__(self, key: str, secret: str) -> None:
        self._key = key
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request in place."""
        oauth = [
            ("oauth_consumer_key", self._key),
            ("oauth_nonce", secrets.token_hex(16)),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", str(int(time.time()))),
        ]
        params = list(request.url.params.multi_items()) + oauth
        base = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        signature = oauth_signature(request.method, base, params, self._secret)
        request.url = request.url.copy_merge_params(dict([*oauth, ("oauth_signature", signature)]))
        yield request


def credentials_for(url: str, key: str, secret: str) -> httpx.Auth:
    """Basic over https, OAuth 1.0a over plain http (Basic is ignored there)."""
    if url.startswith("https://"):
        return httpx.BasicAuth(key, secret)
    return OAuth1QueryAuth(key, secret)


@dataclass
class Store:
    """One store under contract: the sandbox or a real WooCommerce."""

    name: str
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    with_secret: Callable[[str], httpx.AsyncClient]
    readonly: httpx.AsyncClient | None
    advance: Callable[[float], Awaitable[None]]
    prefix: str
    flush_webhooks: Callable[[], Awaitable[list[dict[str, Any]]]] | None = None
    # Webhook requests the sandbox's listener received (sandbox only).
    received: list[httpx.Request] = field(default_factory=list)
    created: list[tuple[str, int]] = field(default_factory=list)

    @property
    def is_sandbox(self) -> bool:
        """True for the in-process sandbox."""
        return self.name == "sandbox"

    def sku(self, label: str) -> str:
        """A SKU unique to this run, so a real store's catalogue cannot clash."""
        return f"{self.prefix}-{label}"

    def track(self, path: str, item_id: int) -> None:
        """Remember something to delete (force) at the end."""
        self.created.append((path, item_id))

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST and track; fails the test on a non-201."""
        response = await self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        self.track(path, int(data["id"]))
        return data

    async def cleanup(self) -> None:
        """Delete, newest first, everything the test created."""
        for path, item_id in reversed(self.created):
            await self.client.delete(f"{path}/{item_id}", params={"force": "true"})
        self.created.clear()
