"""OAuth 1.0a one-legged signatures, computed the way WooCommerce checks them.

The string to sign is `METHOD & enc(base URL) & enc(sorted k=v pairs)`, where
the base URL has the scheme the server sees and no query string, every query
and form parameter except `oauth_signature` is signed, and keys and values
are RFC 3986-encoded before the pairs are encoded again. The key is the
consumer secret followed by "&" (there is no token secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import quote

ALGORITHMS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def rfc3986(value: str) -> str:
    """rawurlencode()."""
    return quote(value, safe="~")


def base_string(method: str, base_url: str, params: Iterable[tuple[str, str]]) -> str:
    """The OAuth signature base string."""
    pairs = sorted(
        ((key, value) for key, value in params if key != "oauth_signature"),
        key=lambda pair: pair[0].encode(),
    )
    encoded = [rfc3986(f"{rfc3986(key)}={rfc3986(value)}") for key, value in pairs]
    return f"{method.upper()}&{rfc3986(base_url)}&{'%26'.join(encoded)}"


def signature(method_name: str, secret: str, text: str) -> str:
    """base64(HMAC(secret + "&", text)) for HMAC-SHA1 or HMAC-SHA256."""
    digest = hmac.new(f"{secret}&".encode(), text.encode(), ALGORITHMS[method_name]).digest()
    return base64.b64encode(digest).decode()
