"""One HTTP conversation with a store: auth, concurrency limit, retries, counters, logs.

`WooSession` wraps a single `httpx.AsyncClient` rooted at `.../wp-json/wc/v3`
and turns every failure into the typed tree of `errors.py`.  Its retry rule:

- 429, 500, 502, 503, 504 and transport failures are retried with the
  `RetryPolicy` (capped exponential backoff with full jitter; a `Retry-After`
  header, in seconds or as an HTTP date, wins over the formula);
- a request that is *not idempotent* (a POST that creates) is retried only
  when the server surely did not act on it: a 429 or a failure to connect.
  After an *ambiguous* failure (timeout once sent, dropped connection, 5xx)
  the error is raised so that the caller can look the object up instead of
  creating it twice (see `batch.create_products_safely`).

Concurrency has two bounds.  A fixed semaphore of `max_concurrency` holds
every request; batch writes, the requests that keep the store's PHP workers
busy for seconds, are also admitted by an adaptive limit (`concurrency`:
AIMD between 1 and `max_concurrency`, see `ConcurrencyController`) that each
attempt's outcome feeds: a batch's latency per item, and any 429, 5xx or
timeout.  A `Retry-After` pauses every new request, not only the one that
got it.  Both are held for one HTTP attempt only, never across a backoff
sleep, so a throttled request does not block its siblings.  Sleeping goes
through an injectable coroutine so tests never wait.

Logs (logger ``storebridge.woocommerce``) and the `on_request` hook see the
method, the path and a query string whose credentials are redacted.  httpx
itself logs every full URL at INFO, so the session also attaches a redacting
filter to the ``httpx`` logger (once per process, when the first session is built).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

import httpx

from storebridge import __version__
from storebridge.retry import RetryPolicy, parse_retry_after
from storebridge.woocommerce.auth import SENSITIVE_QUERY_KEYS, build_auth
from storebridge.woocommerce.concurrency import (
    AimdPolicy,
    ConcurrencyController,
    ConcurrencyLevel,
    Ticket,
)
from storebridge.woocommerce.connection import WooConnection
from storebridge.woocommerce.errors import (
    WooError,
    WooInvalidResponse,
    WooTransportError,
    error_from_response,
)
from storebridge.woocommerce.params import Params, encode_params
from storebridge.woocommerce.stats import (
    RequestHook,
    RequestStats,
    endpoint_template,
    install_httpx_log_redaction,
    redact_query,
)
from storebridge.woocommerce.throttle import BatchGate

__all__ = ["USER_AGENT", "SleepFn", "WooSession", "batch_shape", "decode_json"]

USER_AGENT = f"StoreBridge/{__version__}"

SleepFn = Callable[[float], Awaitable[None]]


class SessionOptions(TypedDict, total=False):
    """What a caller may choose of a `WooSession` besides its connection (see its `__init__`)."""

    transport: httpx.AsyncBaseTransport | None
    auth: httpx.Auth | None
    retry_policy: RetryPolicy | None
    sleep: SleepFn
    rng: random.Random | None
    on_request: RequestHook | None
    concurrency_policy: AimdPolicy | None


class RequestOptions(TypedDict, total=False):
    """The keyword arguments of `WooSession.request_json` (see `WooSession.request`)."""

    params: Params | None
    json: Any
    idempotent: bool | None


logger = logging.getLogger("storebridge.woocommerce")

# The request never left: sending it again cannot duplicate anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# Our own mistakes (bad URL scheme, malformed request): retrying cannot help.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def decode_json(response: httpx.Response, method: str, endpoint: str) -> Any:
    """The JSON body of a successful response (None when it is empty).

    Raises:
        WooInvalidResponse: when the body is not JSON (a cache page, PHP notices).
    """
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise WooInvalidResponse(
            f"expected JSON, got {response.headers.get('content-type', 'no content type')}",
            status=response.status_code,
            code="invalid_json",
            method=method,
            endpoint=endpoint,
        ) from None


class WooSession:
    """The retrying, counted, concurrency-limited HTTP layer under `WooClient`."""

    def __init__(
        self,
        connection: WooConnection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: httpx.Auth | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: SleepFn = asyncio.sleep,
        rng: random.Random | None = None,
        on_request: RequestHook | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        concurrency_policy: AimdPolicy | None = None,
    ) -> None:
        """Build the session (no I/O happens until the first request).

        Args:
            connection: URL, keys and limits of the store.
            transport: an httpx transport (e.g. `ASGITransport` over the sandbox).
            auth: an explicit httpx auth flow instead of the one the connection implies.
            retry_policy: backoff settings; defaults to `connection.max_retries` retries.
            sleep: the coroutine used to wait between retries (tests inject a recorder).
            rng: random source for the retry jitter.
            on_request: called after each attempt with (method, path, status, elapsed).
            concurrency_policy: the constants of the adaptive batch concurrency.
            now, monotonic: clocks (for Retry-After dates and request timings).
        """
        self.connection = connection
        self.policy = retry_policy or RetryPolicy(max_attempts=connection.max_retries + 1)
        self.stats = RequestStats()
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter only; not security-sensitive
        self._on_request = on_request
        self._now = now
        self._monotonic = monotonic
        self._semaphore = asyncio.Semaphore(connection.max_concurrency)
        self.concurrency = ConcurrencyController(
            connection.max_concurrency, concurrency_policy or AimdPolicy(), monotonic
        )
        self._gate = BatchGate(self.concurrency, sleep)
        self._secrets = tuple(
            s
            for s in (
                connection.consumer_key.get_secret_value(),
                connection.consumer_secret.get_secret_value(),
            )
            if s
        )
        install_httpx_log_redaction()
        self._http = httpx.AsyncClient(
            base_url=connection.api_base,
            auth=auth or build_auth(connection),
            timeout=connection.timeout_s,
            verify=connection.verify_tls,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one logical request, retrying as the module docstring describes.

        Args:
            method: HTTP method.
            path: path below /wp-json/wc/v3, e.g. ``/products/726``.
            params: query parameters (lists become comma strings, datetimes naive UTC).
            json: the JSON body, if any.
            idempotent: whether re-sending after an ambiguous failure is harmless;
                defaults to False for POST and True for every other method.
            retry: False sends one attempt only (a probe whose failure is not worth waiting for).

        Returns:
            The 2xx response.

        Raises:
            WooError: the typed failure once retries are exhausted or not allowed.
        """
        verb = method.upper()
        safe_to_resend = verb != "POST" if idempotent is None else idempotent
        query = encode_params(params)
        attempt = 1
        waited_until: float | None = None
        while True:
            outcome = await self._attempt(verb, path, query, json, waited_until)
            if isinstance(outcome, httpx.Response):
                return outcome
            if not retry or not self._may_retry(outcome, attempt, safe_to_resend):
                raise outcome
            retry_after = getattr(outcome, "retry_after", None)
            delay = self.policy.delay_for(attempt, retry_after, self._rng)
            # This request's own delay honours the pause its Retry-After began.
            waited_until = self.concurrency.paused_until if retry_after is not None else None
            self.stats.record_retry()
            logger.warning(
                "retrying %s %s in %.2fs after %s (attempt %d of %d)",
                verb,
                path,
                delay,
                outcome.code or outcome.status or type(outcome).__name__,
                attempt + 1,
                self.policy.max_attempts,
            )
            await self._sleep(delay)
            attempt += 1

    async def request_json(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """`request()` and decode the JSON body."""
        response = await self.request(method, path, **options)
        return decode_json(response, method.upper(), path)

    def _may_retry(self, error: WooError, attempt: int, safe_to_resend: bool) -> bool:
        if not error.is_retryable or not self.policy.can_retry(attempt):
            return False
        return safe_to_resend or not error.ambiguous

    async def _attempt(
        self,
        verb: str,
        path: str,
        query: list[tuple[str, str]],
        body: Any,
        waited_until: float | None = None,
    ) -> httpx.Response | WooError:
        shape = batch_shape(verb, path, body)
        ticket = await self._gate.admit(batch=shape is not None, waited_until=waited_until)
        started = self._monotonic()
        outcome: httpx.Response | WooError
        try:
            async with self._semaphore:
                params = httpx.QueryParams(tuple(query)) if query else None
                response = await self._http.request(verb, path, params=params, json=body)
        except httpx.TransportError as exc:
            self._observe(verb, path, query, None, self._monotonic() - started)
            outcome = self._transport_error(exc, verb, path)
        except BaseException:
            # Cancelled (or a bug): the place must not stay taken for the client's lifetime.
            if ticket is not None:
                self.concurrency.release(ticket)
                self._gate.finished()
            raise
        else:
            self._observe(verb, path, query, response.status_code, self._monotonic() - started)
            outcome = response if response.is_success else self._http_error(response, verb, path)
        self._feed_back(outcome, started, ticket, shape)
        return outcome

    def _feed_back(
        self,
        outcome: httpx.Response | WooError,
        started: float,
        ticket: Ticket | None,
        shape: tuple[int, str] | None,
    ) -> None:
        """Tell the concurrency controller what this attempt says about the store's load."""
        before = self.concurrency.level()
        try:
            if isinstance(outcome, WooError) and outcome.is_retryable:
                retry_after = getattr(outcome, "retry_after", None)
                self.concurrency.overloaded(
                    ticket.started_at if ticket else started, retry_after=retry_after
                )
            if ticket is None:
                return
            if isinstance(outcome, httpx.Response) and shape is not None:
                items, kind = shape
                self.concurrency.succeeded(ticket, items=items, kind=kind)
            else:
                self.concurrency.release(ticket)
            self._gate.finished()
        finally:
            self._log_level(before)

    def _log_level(self, before: ConcurrencyLevel) -> None:
        after = self.concurrency.level()
        if after.backoffs > before.backoffs:
            logger.info(
                "batch concurrency %d -> %d (the store pushed back)", before.current, after.current
            )
        elif after.current != before.current:
            logger.debug("batch concurrency %d -> %d", before.current, after.current)

    def _observe(
        self, verb: str, path: str, query: list[tuple[str, str]], status: int | None, elapsed: float
    ) -> None:
        self.stats.record(verb, path, status)
        shown = path
        if query:
            # Only caller params are shown; auth params are added later by the auth flow,
            # and redacting here guards against a caller passing credentials by hand.
            shown = f"{path}?{redact_query(_urlencode(query), SENSITIVE_QUERY_KEYS)}"
        logger.debug("%s %s -> %s in %.3fs", verb, shown, status or "no response", elapsed)
        if self._on_request is not None:
            self._on_request(verb, path, status, elapsed)

    def _http_error(self, response: httpx.Response, verb: str, path: str) -> WooError:
        if response.is_redirect:
            # Following would replay credentials elsewhere; a redirect means the URL is wrong.
            return WooError(
                "unexpected redirect; check the store url's scheme, host and permalinks",
                status=response.status_code,
                code="unexpected_redirect",
                method=verb,
                endpoint=path,
            )
        body: object
        try:
            body = response.json()
        except ValueError:
            body = self._scrub(response.text)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._now())
        error = error_from_response(
            response.status_code, body, method=verb, endpoint=path, retry_after=retry_after
        )
        error.message = self._scrub(error.message)
        error.args = (error.message,)
        return error

    def _transport_error(self, exc: httpx.TransportError, verb: str, path: str) -> WooError:
        ambiguous = not isinstance(exc, _NOT_SENT + _NOT_RETRYABLE)
        detail = self._scrub(str(exc)) or "no detail"
        return WooTransportError(
            f"{type(exc).__name__}: {detail}",
            ambiguous=ambiguous,
            retryable=not isinstance(exc, _NOT_RETRYABLE),
            code="transport_error",
            method=verb,
            endpoint=path,
        )

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "**********")
        return text


def batch_shape(verb: str, path: str, body: Any) -> tuple[int, str] | None:
    """For a batch write, its object count and kind (``"/products/batch create"``), else None.

    The kind is the costliest action present (creates cost WooCommerce most), so that
    latencies are compared between like batches.
    """
    if verb != "POST" or not path.rstrip("/").endswith("/batch") or not isinstance(body, dict):
        return None
    sizes = {action: body.get(action) for action in ("create", "update", "delete")}
    counts = {a: len(v) for a, v in sizes.items() if isinstance(v, list) and v}
    if not counts:
        return None
    kind = next(a for a in ("create", "update", "delete") if a in counts)
    return sum(counts.values()), f"{endpoint_template(path)} {kind}"


def _urlencode(pairs: list[tuple[str, str]]) -> str:
    return str(httpx.QueryParams(tuple(pairs)))
