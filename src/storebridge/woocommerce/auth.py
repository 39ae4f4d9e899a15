"""httpx authentication flows for WooCommerce REST keys (woocommerce-rest-api.md §1).

Three `httpx.Auth` subclasses, chosen by `build_auth(connection)`:

- `WooBasicAuth`: the `Authorization: Basic` header (HTTPS);
- `WooQueryAuth`: `consumer_key` and `consumer_secret` in the query string
  (HTTPS, for hosts that drop the `Authorization` header);
- `WooOAuth1Auth`: one-legged OAuth 1.0a, the only scheme WooCommerce accepts
  over plain HTTP.  There is no token; the signing key is `secret + "&"`.

OAuth 1.0a signing, as WooCommerce verifies it (§1.3)::

    base  = METHOD "&" enc(scheme://host[:port]/path) "&" enc(k1=v1&k2=v2...)
    pairs = every query parameter + oauth_consumer_key, oauth_nonce,
            oauth_signature_method, oauth_timestamp; each key and value RFC 3986
            encoded, sorted by encoded key then value (RFC 5849 §3.4.1.3.2)
    oauth_signature = base64(HMAC-SHA256(consumer_secret + "&", base))

The RFC 5849 steps (encoding, the base string URI, parameter normalisation,
the base string and the HMAC) are oauthlib's (`oauthlib.oauth1.rfc5849.signature`).
Which parameters are signed and where they travel stay ours, because
WooCommerce's profile is narrower than oauthlib's `Client.sign`: that adds
``oauth_version`` and, for a JSON body, ``oauth_body_hash``, neither of which
WooCommerce asks for (the golden captures and tests/woocommerce/test_woo_auth.py
pin the exact set).  The oauth parameters travel in the query string, because
that is where the server merges them from.  A JSON body is never signed.
WooCommerce sorts the raw keys with `strcmp` before encoding; for the plain
ASCII keys the client sends the two orders are the same.  Lists must go out as
comma-separated strings (`include=1,2`): the server signs `include[]` arrays
its own way.

Secrets stay in `SecretStr` until the moment a header or signature is built.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Generator, Iterable

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client
from oauthlib.oauth1.rfc5849 import signature as rfc5849
from oauthlib.oauth1.rfc5849.utils import escape
from pydantic import SecretStr

from storebridge.woocommerce.connection import WooConnection

__all__ = [
    "SENSITIVE_QUERY_KEYS",
    "WooBasicAuth",
    "WooOAuth1Auth",
    "WooQueryAuth",
    "build_auth",
    "oauth_base_string",
    "oauth_signature",
    "percent_encode",
]

#: Query parameters that carry credentials and must never be logged.
SENSITIVE_QUERY_KEYS = frozenset(
    {"consumer_key", "consumer_secret", "oauth_consumer_key", "oauth_signature", "oauth_nonce"}
)

_OAUTH_METHOD = SIGNATURE_HMAC_SHA256  # "HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding: everything but ALPHA / DIGIT / "-" / "." / "_" / "~"."""
    return str(escape(value))


def oauth_base_string(method: str, url: httpx.URL, params: Iterable[tuple[str, str]]) -> str:
    """The OAuth 1.0a signature base string (RFC 5849 §3.4.1).

    Args:
        method: the HTTP method.
        url: the request URL; its query string is ignored (pass its pairs in `params`).
        params: every parameter to sign, oauth_* included, oauth_signature excluded.
    """
    return str(
        rfc5849.signature_base_string(
            method.upper(),
            rfc5849.base_string_uri(str(url.copy_with(query=None, fragment=None))),
            rfc5849.normalize_parameters(list(params)),
        )
    )


def oauth_signature(base_string: str, consumer_secret: str) -> str:
    """base64(HMAC-SHA256(secret + "&", base string)); there is no token secret."""
    # WooCommerce appends "&" to the raw secret, RFC 5849 (and oauthlib) to the
    # encoded one; WooCommerce secrets are "cs_" + hex, where the two agree.
    signer = Client("", client_secret=consumer_secret, signature_method=_OAUTH_METHOD)
    return str(rfc5849.sign_hmac_sha256_with_client(base_string, signer))


class WooBasicAuth(httpx.Auth):
    """HTTP Basic with the consumer key as user and the secret as password."""

    def __init__(self, consumer_key: SecretStr, consumer_secret: SecretStr) -> None:
        self._key = consumer_key
        self._secret = consumer_secret

    def __repr__(self) -> str:
        return "WooBasicAuth(consumer_key=**********)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        pair = f"{self._key.get_secret_value()}:{self._secret.get_secret_value()}"
        token = base64.b64encode(pair.encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
        yield request


class WooQueryAuth(httpx.Auth):
    """`consumer_key`/`consumer_secret` in the query string (HTTPS only)."""

    def __init__(self, consumer_key: SecretStr, consumer_secret: SecretStr) -> None:
        self._key = consumer_key
        self._secret = consumer_secret

    def __repr__(self) -> str:
        return "WooQueryAuth(consumer_key=**********)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(
            {
                "consumer_key": self._key.get_secret_value(),
                "consumer_secret": self._secret.get_secret_value(),
            }
        )
        yield request


class WooOAuth1Auth(httpx.Auth):
    """One-legged OAuth 1.0a with HMAC-SHA256, parameters in the query string.

    `clock` and `nonce_factory` are seams for tests; the server rejects a
    timestamp more than 15 minutes off its clock and a nonce it has already
    seen for this key in that window.
    """

    def __init__(
        self,
        consumer_key: SecretStr,
        consumer_secret: SecretStr,
        *,
        clock: Callable[[], float] = time.time,
        nonce_factory: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        self._key = consumer_key
        self._secret = consumer_secret
        self._clock = clock
        self._nonce_factory = nonce_factory

    def __repr__(self) -> str:
        return "WooOAuth1Auth(consumer_key=**********)"

    def sign(self, method: str, url: httpx.URL) -> httpx.URL:
        """Return `url` with the oauth_* parameters and the signature appended."""
        oauth = [
            ("oauth_consumer_key", self._key.get_secret_value()),
            ("oauth_nonce", self._nonce_factory()),
            ("oauth_signature_method", _OAUTH_METHOD),
            ("oauth_timestamp", str(int(self._clock()))),
        ]
        pairs = [*url.params.multi_items(), *oauth]
        base = oauth_base_string(method, url, pairs)
        signature = oauth_signature(base, self._secret.get_secret_value())
        return url.copy_with(params=httpx.QueryParams([*pairs, ("oauth_signature", signature)]))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = self.sign(request.method, request.url)
        yield request


def build_auth(
    connection: WooConnection,
    *,
    clock: Callable[[], float] = time.time,
    nonce_factory: Callable[[], str] | None = None,
) -> httpx.Auth:
    """The auth flow `connection.effective_auth` calls for."""
    mode = connection.effective_auth
    if mode == "basic":
        return WooBasicAuth(connection.consumer_key, connection.consumer_secret)
    if mode == "query":
        return WooQueryAuth(connection.consumer_key, connection.consumer_secret)
    if nonce_factory is None:
        return WooOAuth1Auth(connection.consumer_key, connection.consumer_secret, clock=clock)
    return WooOAuth1Auth(
        connection.consumer_key,
        connection.consumer_secret,
        clock=clock,
        nonce_factory=nonce_factory,
    )
