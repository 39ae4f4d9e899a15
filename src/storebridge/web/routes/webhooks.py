"""The WooCommerce webhook receiver: ``POST /webhooks/woocommerce/{store}``.

What it accepts (woocommerce-rest-api.md §8.2):

* the **ping** WooCommerce sends when a webhook is created: a form body
  ``webhook_id=<id>`` without ``X-WC-*`` headers or signature: 200, nothing done;
* a **delivery** whose ``X-WC-Webhook-Signature`` is base64(HMAC-SHA256(store's
  webhook_secret, raw body)), checked on the exact bytes before any parsing,
  in constant time (`woocommerce.webhooks.verify_signature`).

Everything else is refused and changes nothing: a missing or wrong signature
(or a store without ``webhook_secret``) gets 401, a body over 1 MiB 413 (before
reading it when its Content-Length says so), a signed delivery that is not
``application/json`` 415, a body that is not a JSON object 400, an unknown
store 404, a topic outside the store's ``webhook_topics`` 400, more than the
store's ``webhook_rate_per_minute`` requests a minute 429
(`web.webhook_limits`).  During a secret rotation a delivery signed with
``webhook_secret_previous`` is accepted too.  A valid delivery is answered 200 at once and handed to
the ingest function (`sync.orders.webhook_ingest` by default) in a background task;
the ingest records each ``X-WC-Webhook-Delivery-ID`` once, so a redelivery is
processed once.  Bodies and signatures are never logged; the lines logged while
a known store's request or delivery is handled carry the store
(`runner.logs.store_context`: a ``store`` field in JSON logs).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import JSONResponse

from storebridge.bootstrap import Services
from storebridge.runner.logs import store_context
from storebridge.sync.orders.webhook_ingest import WebhookDelivery
from storebridge.web.webhook_limits import StoreRateLimit
from storebridge.woocommerce import parse_ping, parse_webhook_headers, verify_signature

__all__ = ["MAX_BODY_BYTES", "WebhookIngest", "router"]

router = APIRouter()
logger = logging.getLogger("storebridge.webhooks")

MAX_BODY_BYTES = 1024 * 1024


#: Processes a verified delivery: record it once, apply it, push stock (`sync.orders.webhook_ingest`).
WebhookIngest = Callable[[Services, str, WebhookDelivery], Awaitable[object]]


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (parameters such as charset aside)."""
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _process(
    ingest: WebhookIngest, services: Services, store: str, delivery: WebhookDelivery
) -> None:
    with store_context(store):
        try:
            await ingest(services, store, delivery)
        except Exception:  # a background task has nobody to report to: log it, the poll catches up
            logger.exception(
                "store %s: webhook delivery %s (%s) could not be processed; the next orders run"
                " reads the change instead",
                store,
                delivery.delivery_id,
                delivery.topic,
            )


@router.post("/webhooks/woocommerce/{store}")
async def receive(store: str, request: Request, background: BackgroundTasks) -> JSONResponse:
    """Verify a delivery and queue it; see the module docstring."""
    services: Services = request.app.state.services
    if store not in services.stores:
        raise HTTPException(404, f"no store named {store!r}")
    with store_context(store):
        return await _receive(services, store, request, background)


async def _receive(
    services: Services, store: str, request: Request, background: BackgroundTasks
) -> JSONResponse:
    store_settings = services.store(store).settings
    rate: StoreRateLimit = request.app.state.webhook_rate
    wait = rate.hit(store, store_settings.webhook_rate_per_minute)
    if wait > 0:
        logger.warning("store %s: webhook refused: over its rate limit", store)
        refused = _refuse(429, "too many deliveries; the next orders run catches up")
        refused.headers["Retry-After"] = str(int(wait + 0.999))
        return refused
    try:
        raw = await _read_body(request)
    except _TooLarge:
        logger.warning("store %s: webhook body over %d bytes refused", store, MAX_BODY_BYTES)
        return _refuse(413, f"body larger than {MAX_BODY_BYTES} bytes")
    headers = parse_webhook_headers(request.headers)
    if not headers.topic and not headers.signature:
        webhook_id = parse_ping(request.headers, raw)
        if webhook_id is not None:
            logger.info("store %s: webhook %s pinged", store, webhook_id)
            return JSONResponse({"ok": True, "ping": webhook_id})
    secret = store_settings.webhook_secret
    if secret is None:
        logger.warning(
            "store %s: webhook refused: set webhook_secret in [stores.%s] to accept them",
            store,
            store,
        )
        return _refuse(401, "webhooks are not enabled for this store")
    previous = store_settings.webhook_secret_previous
    if not (
        verify_signature(secret, raw, headers.signature or None)
        or (previous is not None and verify_signature(previous, raw, headers.signature or None))
    ):
        logger.warning("store %s: webhook with a missing or wrong signature refused", store)
        return _refuse(401, "invalid signature")
    if not _is_json(request.headers.get("content-type", "")):
        # WooCommerce sends every delivery as JSON; anything else was not sent by it.
        return _refuse(415, "a delivery must be sent with Content-Type: application/json")
    if not headers.topic or not headers.delivery_id:
        return _refuse(400, "missing X-WC-Webhook-Topic or X-WC-Webhook-Delivery-ID")
    if headers.topic not in store_settings.webhook_topics:
        logger.warning("store %s: webhook topic %r refused: not configured", store, headers.topic)
        return _refuse(400, f"topic {headers.topic!r} is not accepted by this store")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _refuse(400, "the body is not JSON")
    if not isinstance(body, dict):
        return _refuse(400, "the body is not a JSON object")
    raw_id = body.get("id")
    delivery = WebhookDelivery(
        topic=headers.topic,
        resource_id=raw_id if isinstance(raw_id, int) else None,
        body=raw,
        delivery_id=headers.delivery_id,
    )
    ingest: WebhookIngest = request.app.state.ingest
    background.add_task(_process, ingest, services, store, delivery)
    return JSONResponse({"ok": True, "delivery": headers.delivery_id})
