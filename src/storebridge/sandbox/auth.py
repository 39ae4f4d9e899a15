"""Who is calling: WooCommerce's REST authentication, step for step.

Over HTTPS (real, or assumed behind a TLS-terminating proxy) the consumer
key and secret come from the query string or HTTP Basic. An unknown key is
not an error there: the request simply stays anonymous and the endpoint
answers `woocommerce_rest_cannot_*`. A known key with a wrong secret is 401
"Consumer secret is invalid.". Then, and over plain HTTP only this, OAuth
1.0a one-legged is tried, with signature, ±15-minute timestamp and nonce
replay checks. Finally the key's permission must allow the HTTP method.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from storebridge.sandbox.config import ApiKey
from storebridge.sandbox.db import Database
from storebridge.sandbox.errors import WooError, authentication_error
from storebridge.sandbox.oauth import ALGORITHMS, base_string, signature

OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
NONCE_WINDOW = 15 * 60
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))')


@dataclass(frozen=True)
class Caller:
    """An authenticated key."""

    key: ApiKey

    @property
    def user_name(self) -> str:
        """The WordPress user behind the key."""
        return self.key.user_name


@dataclass(frozen=True)
class RequestFacts:
    """What authentication needs to know about a request."""

    method: str
    is_https: bool
    base_url: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    authorization: str


class Authenticator:
    """Checks credentials against the configured keys."""

    def __init__(
        self, keys: tuple[ApiKey, ...], db: Database, now: Callable[[], float] = time.time
    ) -> None:
        self._keys = {key.consumer_key: key for key in keys}
        self._db = db
        self._now = now

    def authenticate(self, facts: RequestFacts) -> Caller | None:
        """The caller, None for an anonymous request, or a 401 WooError."""
        if facts.is_https:
            caller = self._basic(facts)
            if caller is not None:
                return caller
        return self._oauth(facts)

    @staticmethod
    def check_permission(caller: Caller, method: str) -> None:
        """The key's read/write permission against the HTTP method."""
        permissions = caller.key.permissions
        if method in ("GET", "HEAD"):
            if permissions not in ("read", "read_write"):
                raise authentication_error("The API key provided does not have read permissions.")
        elif method in ("POST", "PUT", "PATCH", "DELETE"):
            if permissions not in ("write", "read_write"):
                raise authentication_error("The API key provided does not have write permissions.")
        elif method != "OPTIONS":
            raise authentication_error("Unknown request method.")

    def _basic(self, facts: RequestFacts) -> Caller | None:
        query = dict(facts.query)
        consumer_key, secret = query.get("consumer_key", ""), query.get("consumer_secret", "")
        if not (consumer_key and secret):
            consumer_key, secret = _basic_credentials(facts.authorization)
        if not (consumer_key and secret):
            return None
        key = self._keys.get(consumer_key)
        if key is None:
            return None
        if not hmac.compare_digest(key.consumer_secret.get_secret_value(), secret):
            raise authentication_error("Consumer secret is invalid.")
        return Caller(key)

    def _oauth(self, facts: RequestFacts) -> Caller | None:
        params = [*facts.query, *facts.form]
        header = _header_params(facts.authorization)
        merged = dict(params) | header
        present = [name for name in OAUTH_PARAMS if merged.get(name)]
        if not present:
            return None
        missing = [name for name in OAUTH_PARAMS if not merged.get(name)]
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            raise WooError(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {noun} {', '.join(missing)}",
                401,
            )
        key = self._keys.get(merged["oauth_consumer_key"])
        if key is None:
            raise authentication_error("Consumer key is invalid.")
        method_name = merged["oauth_signature_method"]
        # PHP's $_GET keeps the last value of a repeated key, and WooCommerce signs
        # what PHP parsed: a client that repeats a query key (the `woocommerce`
        # package does) signs one value per key.
        last_values = {k: v for k, v in params if k not in header}
        signed = list(last_values.items()) + list(header.items())
        text = base_string(facts.method, facts.base_url + facts.path, signed)
        if method_name not in ALGORITHMS:
            raise authentication_error("Invalid signature - signature method is invalid.")
        expected = signature(method_name, key.consumer_secret.get_secret_value(), text)
        provided = merged["oauth_signature"].replace(" ", "+")
        if not hmac.compare_digest(expected, provided):
            raise authentication_error("Invalid signature - provided signature does not match.")
        self._check_timestamp_and_nonce(key, merged["oauth_timestamp"], merged["oauth_nonce"])
        return Caller(key)

    def _check_timestamp_and_nonce(self, key: ApiKey, timestamp: str, nonce: str) -> None:
        now = int(self._now())
        try:
            moment = int(timestamp)
        except ValueError:
            moment = 0
        if moment < now - NONCE_WINDOW or moment > now + NONCE_WINDOW:
            raise authentication_error("Invalid timestamp.")
        with self._db.transaction():
            self._db.execute("DELETE FROM oauth_nonces WHERE timestamp < ?", (now - NONCE_WINDOW,))
            used = self._db.one(
                "SELECT 1 FROM oauth_nonces WHERE consumer_key = ? AND nonce = ?",
                (key.consumer_key, nonce),
            )
            if used is not None:
                raise authentication_error("Invalid nonce - nonce has already been used.")
            self._db.execute(
                "INSERT INTO oauth_nonces(consumer_key, nonce, timestamp) VALUES (?, ?, ?)",
                (key.consumer_key, nonce, moment),
            )


def _basic_credentials(authorization: str) -> tuple[str, str]:
    if not authorization.lower().startswith("basic "):
        return "", ""
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password


def _header_params(authorization: str) -> dict[str, str]:
    """Parameters of an `Authorization: OAuth ...` header."""
    header = authorization.strip()
    if not header.startswith("OAuth "):
        return {}
    return {
        name: unquote(quoted if quoted else bare)
        for name, quoted, bare in _HEADER_PARAM.findall(header)
    }
