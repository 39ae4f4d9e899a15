"""Counters of the HTTP traffic one `WooClient` sent, for the dashboard and benchmarks.

Every attempt (retries included) is counted under `(method, endpoint
template)`, where the template replaces numeric path segments with `{id}`:
`PUT /products/726` counts as `("PUT", "/products/{id}")`.  Reads (GET, HEAD,
OPTIONS) and writes are totalled apart, retries are counted separately, and
failures are counted by HTTP status, with 0 standing for "no response"
(timeout, refused or dropped connection).

`RequestStats` is mutable and owned by one client; `snapshot()` returns an
immutable copy that can be compared, stored or rendered.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "READ_METHODS",
    "CredentialRedactingFilter",
    "RequestHook",
    "RequestStats",
    "StatsSnapshot",
    "endpoint_template",
    "install_httpx_log_redaction",
    "redact_query",
]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_NUMERIC_SEGMENT = re.compile(r"/\d+(?=/|$)")
_CREDENTIAL_PARAM = re.compile(
    r"(?<![A-Za-z0-9_])"
    r"(consumer_key|consumer_secret|oauth_consumer_key|oauth_signature|oauth_nonce)"
    r"=[^&\s\"'>]*"
)


class RequestHook(Protocol):
    """Called after every attempt; `endpoint` is the path without query, `status` None
    when no response arrived, `elapsed` in seconds.  Must not raise."""

    def __call__(self, method: str, endpoint: str, status: int | None, elapsed: float) -> None:
        """Observe one finished attempt."""


def endpoint_template(path: str) -> str:
    """`/products/726/variations/9?x=1` -> `/products/{id}/variations/{id}`."""
    bare = path.split("?", 1)[0]
    if not bare.startswith("/"):
        bare = "/" + bare
    return _NUMERIC_SEGMENT.sub("/{id}", bare.rstrip("/") or "/")


def redact_query(query: str, sensitive: frozenset[str]) -> str:
    """A query string with the values of `sensitive` keys replaced, for logs."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "REDACTED" if k in sensitive else v) for k, v in pairs], safe=",")


def _redact_text(text: str) -> str:
    return _CREDENTIAL_PARAM.sub(r"\1=REDACTED", text)


class CredentialRedactingFilter(logging.Filter):
    """Masks credential query parameters in log records (httpx logs every full URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _redact_text(str(arg)) if _CREDENTIAL_PARAM.search(str(arg)) else arg
                for arg in record.args
            )
        return True


def install_httpx_log_redaction() -> None:
    """Attach `CredentialRedactingFilter` to the ``httpx`` logger, once.

    With query-string keys or OAuth, credentials travel in the URL, and httpx
    logs each request's URL; the filter keeps them out of every log handler.
    """
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, CredentialRedactingFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(CredentialRedactingFilter())


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """An immutable copy of the counters at one moment."""

    by_endpoint: MappingProxyType[tuple[str, str], int]
    reads: int
    writes: int
    retries: int
    errors_by_status: MappingProxyType[int, int]

    @property
    def total(self) -> int:
        """Every attempt sent, retries included."""
        return self.reads + self.writes

    def count(self, method: str, template: str) -> int:
        """Attempts sent to one endpoint template, e.g. `count("POST", "/products/batch")`."""
        return self.by_endpoint.get((method.upper(), template), 0)


@dataclass
class RequestStats:
    """Mutable counters, updated by the client after each attempt."""

    _by_endpoint: Counter[tuple[str, str]] = field(default_factory=Counter)
    _errors: Counter[int] = field(default_factory=Counter)
    _reads: int = 0
    _writes: int = 0
    _retries: int = 0

    def record(self, method: str, path: str, status: int | None) -> None:
        """Count one attempt and, when it failed, its status (None -> 0)."""
        verb = method.upper()
        self._by_endpoint[(verb, endpoint_template(path))] += 1
        if verb in READ_METHODS:
            self._reads += 1
        else:
            self._writes += 1
        if status is None or status >= 400:
            self._errors[status or 0] += 1

    def record_retry(self) -> None:
        """Count one decision to send a request again."""
        self._retries += 1

    def snapshot(self) -> StatsSnapshot:
        """The counters as they are now."""
        return StatsSnapshot(
            by_endpoint=MappingProxyType(dict(self._by_endpoint)),
            reads=self._reads,
            writes=self._writes,
            retries=self._retries,
            errors_by_status=MappingProxyType(dict(self._errors)),
        )

    def reset(self) -> None:
        """Start counting from zero."""
        self._by_endpoint.clear()
        self._errors.clear()
        self._reads = self._writes = self._retries = 0
