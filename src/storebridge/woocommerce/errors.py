"""Typed WooCommerce failures, and the one function that maps a response onto them.

    StoreBridgeError
    └── WooError                 any failed call: status, code, message, data, method, endpoint
        ├── WooAuthError         401/403: bad key or secret, read-only key, missing capability
        ├── WooNotFound          404, or any `*_invalid_id` code (a PUT of a missing id is a 400)
        ├── WooBadRequest        400: WooCommerce refused the input; fix the payload, do not retry
        │   └── WooDuplicateSku  product_invalid_sku / "already present in the lookup table";
        │                        `resource_id` names the product or variation holding the SKU
        ├── WooBatchTooLarge     413: more than the batch limit in one request
        ├── WooRateLimited       429 from the host, WAF or CDN; `retry_after` when one was sent
        ├── WooServerError       5xx; retryable for 500/502/503/504, `ambiguous` for writes
        ├── WooTransportError    no HTTP answer: timeout, refused or dropped connection
        └── WooInvalidResponse   an HTTP success whose body is not the JSON we expected

`is_retryable` says whether sending the same request again may succeed;
`ambiguous` says whether the server may already have acted on it (a
timeout after the request was sent, a dropped connection, a 5xx).  A write
that failed ambiguously must not be re-sent blindly: look the object up
first (see `batch.create_products_safely`).

Exceptions carry the request method and the endpoint *path* only, never the
query string (where query or OAuth credentials travel) nor any secret.
"""

from __future__ import annotations

from typing import Any

from storebridge.errors import StoreBridgeError

__all__ = [
    "RETRYABLE_STATUSES",
    "WooAuthError",
    "WooBadRequest",
    "WooBatchTooLarge",
    "WooDuplicateSku",
    "WooError",
    "WooInvalidResponse",
    "WooNotFound",
    "WooRateLimited",
    "WooServerError",
    "WooTransportError",
    "error_from_response",
    "is_duplicate_sku",
]

#: HTTP statuses worth retrying (for idempotent requests, and 429 for any request).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

_DUPLICATE_SKU_CODES = frozenset({"product_invalid_sku", "woocommerce_rest_product_not_created"})


class WooError(StoreBridgeError):
    """A WooCommerce REST call failed.

    Attributes:
        status: the HTTP status, or None when no response arrived.
        code: WooCommerce's error code (`woocommerce_rest_product_invalid_id`...).
        message: WooCommerce's human-readable message.
        data: the error's `data` object (always a dict; a bare number becomes `{"status": n}`).
        method: the HTTP method of the failed request.
        endpoint: the request path below /wp-json/wc/v3, without its query string.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        data: dict[str, Any] | None = None,
        method: str = "",
        endpoint: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.data: dict[str, Any] = dict(data or {})
        self.method = method
        self.endpoint = endpoint
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.method} {self.endpoint}".strip()
        status = "no response" if self.status is None else f"HTTP {self.status}"
        code = f" {self.code}" if self.code else ""
        return f"{where}: {status}{code}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"method={self.method!r}, endpoint={self.endpoint!r}, message={self.message!r})"
        )

    @property
    def is_retryable(self) -> bool:
        """Whether the same request may succeed if sent again later."""
        return False

    @property
    def ambiguous(self) -> bool:
        """Whether the server may have acted on the request although it failed."""
        return False


class WooAuthError(WooError):
    """401/403: the key is unknown, the secret wrong, or the key/user lacks a permission."""


class WooNotFound(WooError):
    """The object or route does not exist (404, or a `*_invalid_id` code)."""


class WooBadRequest(WooError):
    """400: WooCommerce rejected the request's content."""


class WooDuplicateSku(WooBadRequest):
    """The SKU is already held by another product or variation (maybe a trashed one).

    `resource_id` is the holder's id when WooCommerce says it (`product_invalid_sku`);
    it is None for the "lookup table" variant raised for trashed holders.
    """

    @property
    def resource_id(self) -> int | None:
        """The id of the product or variation that owns the SKU, when known."""
        value = self.data.get("resource_id")
        return value if isinstance(value, int) and value > 0 else None


class WooBatchTooLarge(WooError):
    """413: the batch held more items than the store accepts in one request."""


class WooRateLimited(WooError):
    """429: slow down; `retry_after` is the wait in seconds the server asked for, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        return True


class WooServerError(WooError):
    """5xx: the server failed; it may have done part or all of the work first."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    @property
    def ambiguous(self) -> bool:
        # 501 is a refusal (trash not supported, ModSecurity blocking a verb), not a crash.
        return self.status != 501


class WooTransportError(WooError):
    """No HTTP response: connect failure, timeout, or a connection dropped mid-request.

    `ambiguous` is True when the request may have reached the server (read timeout,
    connection dropped after sending); False when it surely did not (connect error).
    """

    def __init__(
        self, message: str, *, ambiguous: bool, retryable: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self._ambiguous = ambiguous
        self._retryable = retryable

    @property
    def is_retryable(self) -> bool:
        return self._retryable

    @property
    def ambiguous(self) -> bool:
        return self._ambiguous


class WooInvalidResponse(WooError):
    """A success status whose body could not be read as the expected JSON."""

    @property
    def ambiguous(self) -> bool:
        # The server answered "success": for a write, it most likely acted.
        return True


def _normalise_data(raw: object, status: int) -> dict[str, Any]:
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, int):
        # Refund errors carry `"data": 500` instead of `{"status": 500}` (golden 095).
        return {"status": raw}
    return {"status": status}


def error_from_response(
    status: int,
    body: object,
    *,
    method: str,
    endpoint: str,
    retry_after: float | None = None,
) -> WooError:
    """Map an HTTP error status and its body onto the exception tree.

    Args:
        status: the HTTP status code (>= 400).
        body: the parsed JSON body, or the raw text when it was not JSON.
        method: the request method, for the message.
        endpoint: the request path without query string.
        retry_after: the `Retry-After` wait in seconds, when the response had one.
    """
    code: str | None = None
    data: dict[str, Any] = {"status": status}
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code = body["code"]
        message = str(body.get("message") or code)
        data = _normalise_data(body.get("data"), status)
    elif isinstance(body, str) and body.strip():
        # A proxy or PHP fatal page: keep a short, single-line excerpt.
        message = " ".join(body.split())[:200]
    else:
        message = f"HTTP {status}"
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "data": data,
        "method": method,
        "endpoint": endpoint,
    }
    if status in (401, 403):
        return WooAuthError(message, **common)
    if status == 404 or (code is not None and code.endswith("_invalid_id")):
        return WooNotFound(message, **common)
    if status == 429:
        return WooRateLimited(message, retry_after=retry_after, **common)
    if status == 413:
        return WooBatchTooLarge(message, **common)
    if status == 400:
        if is_duplicate_sku(code, message):
            return WooDuplicateSku(message, **common)
        return WooBadRequest(message, **common)
    if status >= 500:
        return WooServerError(message, retry_after=retry_after, **common)
    return WooError(message, **common)


def is_duplicate_sku(code: str | None, message: str) -> bool:
    """Whether a (batch item) error means "this SKU already belongs to another object"."""
    if code == "product_invalid_sku":
        return True
    # A trashed product keeps its SKU in the lookup table (golden 040).
    return code in _DUPLICATE_SKU_CODES and "lookup table" in message
