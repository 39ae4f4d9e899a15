"""Where a WooCommerce store lives and how to authenticate to it.

`WooConnection` is the value the settings module embeds in each store's
configuration and the only input `WooClient` needs besides optional test
seams.  The consumer key and secret are `SecretStr`, so neither `repr()`,
`str()` nor a pydantic dump (without `mode="json"` tricks) shows them.

Authentication follows what WooCommerce itself accepts (woocommerce-rest-api.md §1):

- ``basic``: HTTP Basic with key and secret, HTTPS only;
- ``query``: `consumer_key`/`consumer_secret` in the query string, HTTPS only,
  for hosts that strip the `Authorization` header;
- ``oauth1``: one-legged OAuth 1.0a (HMAC-SHA256) in the query string, the only
  scheme WooCommerce honours over plain HTTP;
- ``auto``: ``basic`` over https, ``oauth1`` over http.

Basic and query-string keys over plain HTTP are refused at validation time:
WooCommerce silently ignores them there and every call would fail with a
misleading "cannot view" 401.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = ["API_PREFIX", "AuthMode", "WooConnection"]

#: The REST namespace the client talks to, appended to the store URL.
API_PREFIX = "/wp-json/wc/v3"

AuthMode = Literal["auto", "basic", "oauth1", "query"]


class WooConnection(BaseModel):
    """Connection settings for one WooCommerce store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        description="Store home URL, e.g. https://shop.example (a /wp-json/wc/v3 "
        "suffix is accepted and ignored)"
    )
    consumer_key: SecretStr
    consumer_secret: SecretStr
    auth: AuthMode = "auto"
    verify_tls: bool = True
    timeout_s: float = Field(default=30.0, gt=0)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    max_retries: int = Field(default=5, ge=0, le=20)

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        text = value.strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"store url must be an absolute http(s) URL, got {text!r}")
        if parts.query or parts.fragment:
            raise ValueError("store url must not carry a query string or fragment")
        text = text.rstrip("/")
        if text.endswith(API_PREFIX):
            text = text[: -len(API_PREFIX)]
        return text

    @field_validator("consumer_key", "consumer_secret", mode="before")
    @classmethod
    def _clean_key(cls, value: object) -> object:
        # Unwrap a SecretStr (possibly nested by a caller) and drop the stray whitespace
        # or newline that copy-pasted keys often carry; WooCommerce compares them exactly.
        while isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _check_auth_against_scheme(self) -> WooConnection:
        if self.auth in ("basic", "query") and not self.is_https:
            raise ValueError(
                f"auth={self.auth!r} needs an https store url: WooCommerce ignores Basic and "
                "query-string keys over plain http; use auth='oauth1' (or 'auto') there"
            )
        return self

    @property
    def is_https(self) -> bool:
        """Whether the store URL uses TLS."""
        return self.url.startswith("https://")

    @property
    def api_base(self) -> str:
        """The REST base URL, e.g. ``https://shop.example/wp-json/wc/v3``."""
        return self.url + API_PREFIX

    @property
    def effective_auth(self) -> Literal["basic", "oauth1", "query"]:
        """The scheme actually used once ``auto`` is resolved against the URL scheme."""
        if self.auth == "auto":
            return "basic" if self.is_https else "oauth1"
        return self.auth
