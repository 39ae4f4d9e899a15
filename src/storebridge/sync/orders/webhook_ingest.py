"""Webhook ingest: a verified ``order.*`` delivery reaches the ledger and the web stock at once.

The HTTP receiver (web layer) verifies the signature on the raw body, answers
pings, and hands every signed delivery to `ingest_webhook`, which

1. records the delivery once in ``webhook_deliveries`` **in the same
   transaction** as its effect on the ledger and the mark of the stock it made
   due (`stock_due`), so a crash cannot leave a delivery marked as seen but not
   applied, nor its stock unpushed, and a redelivery changes nothing;
2. applies the body through `ledger.apply_webhook` (the same code path as
   polling: an older body than the ledger's is ignored, the same body twice is
   a no-op), places or releases the order's POS reservation
   (`reservations.settle_reservations`, with ``reservations = true``), then
   releases exported orders, marking the stock that made due
   (`allocation.settle_ledger`);
3. pushes stock for the order's SKUs right away (`sync.stock.push_stock`),
   so the shop shows the allocation within seconds, not at the next run —
   under the store's ``catalog`` lock (`sync.locks`), like every other stock
   writer, so it never interleaves with a products run.

WooCommerce's ``X-WC-Webhook-Delivery-ID`` is a hash of the webhook id and
the time, so two different deliveries in the same second can share it
(woocommerce-rest-api.md §8.2).  The recorded id therefore also carries a
digest of the body: a true redelivery (same id, same body) is recognised,
two distinct events are both applied.  Either way the ledger is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.persistence.repositories import webhooks as delivery_repo
from storebridge.persistence.types import utcnow
from storebridge.sync.locks import CATALOG_LOCK, unique_holder, waiting_for_lock
from storebridge.sync.orders.allocation import forget_pushed_stock, settle_ledger
from storebridge.sync.orders.applied import note_applied
from storebridge.sync.orders.ledger import LedgerChange, apply_webhook, write_with_retry
from storebridge.sync.orders.reservations import settle_reservations
from storebridge.sync.orders.stock import push_stock
from storebridge.sync.orders.stock_due import note_ledger_changes
from storebridge.sync.report import RunReport

__all__ = [
    "DEFAULT_LOCK_WAIT",
    "IngestOutcome",
    "IngestResult",
    "WebhookDelivery",
    "delivery_key",
    "ingest_webhook",
]

logger = logging.getLogger("storebridge.webhooks")

#: How long a webhook's stock push waits for a running products/orders/reconcile run.
DEFAULT_LOCK_WAIT = timedelta(seconds=60)

IngestOutcome = Literal["applied", "unchanged", "stale", "duplicate", "ignored"]


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A delivery whose signature the receiver has already verified."""

    topic: str  # X-WC-Webhook-Topic, e.g. "order.updated"
    resource_id: int | None  # the order id (body "id"), when known
    body: bytes | Mapping[str, Any]  # the raw body, or its decoded JSON object
    delivery_id: str  # X-WC-Webhook-Delivery-ID


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What became of one delivery."""

    outcome: IngestOutcome
    change: LedgerChange | None = None
    push: RunReport | None = None

    @property
    def pushed(self) -> int:
        """Stock figures written to WooCommerce because of this delivery."""
        return 0 if self.push is None else self.push.counts.get("updated", 0)


def _decoded(body: bytes | Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    if isinstance(body, bytes | bytearray):
        raw = bytes(body)
        parsed = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    else:
        parsed = dict(body)
        raw = json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str).encode()
    if not isinstance(parsed, dict):
        raise ValueError("a webhook body must be a JSON object")
    return parsed, raw


def _outcome(change: LedgerChange | None) -> IngestOutcome:
    if change is None:
        return "ignored"
    if change.outcome == "stale":
        return "stale"
    if change.outcome == "unchanged":
        return "unchanged"
    return "applied"


def delivery_key(delivery_id: str, raw_body: bytes) -> str:
    """The id a delivery is recorded under: WooCommerce's id plus a digest of the body."""
    digest = hashlib.sha256(raw_body).hexdigest()[:16]
    return f"{delivery_id.strip()[:100]}:{digest}"


async def ingest_webhook(
    services: Services,
    store: str,
    delivery: WebhookDelivery,
    *,
    now: datetime | None = None,
    push: bool = True,
    lock_wait: timedelta = DEFAULT_LOCK_WAIT,
) -> IngestResult:
    """Record, apply and act on one verified delivery; see the module docstring.

    Args:
        services: the wired application.
        store: the store the delivery was addressed to.
        delivery: the verified delivery.
        now: the time of receipt (aware; the wall clock by default).
        push: push stock for the affected SKUs right away.
        lock_wait: how long the push waits for a products/orders/reconcile run to finish.

    Raises:
        ValueError: the body is not a JSON object (or an order body lacks its id).
    """
    at = now or utcnow()
    settings = services.store(store).settings
    body, raw = _decoded(delivery.body)
    key = delivery_key(delivery.delivery_id, raw)
    resource_id = delivery.resource_id
    if resource_id is None and isinstance(body.get("id"), int):
        resource_id = body["id"]

    def record_and_apply(session: Session) -> tuple[IngestOutcome, LedgerChange | None]:
        fresh = delivery_repo.record_delivery(
            session,
            store=store,
            delivery_id=key,
            topic=delivery.topic,
            resource_id=resource_id,
            now=at,
        )
        if not fresh:
            return "duplicate", None
        change = apply_webhook(session, store=store, topic=delivery.topic, body=body, now=at)
        if change is not None and change.outcome in ("new", "changed"):
            # With the change: a process killed before the push below leaves them due.
            note_ledger_changes(session, store=store, settings=settings, changes=[change])
        outcome = _outcome(change)
        delivery_repo.mark_processed(session, store=store, delivery_id=key, outcome=outcome, now=at)
        return outcome, change

    outcome, change = write_with_retry(services.sessions, record_and_apply)
    if change is None or outcome != "applied":
        return IngestResult(outcome, change)
    # A new open order is held in the POS within seconds (reservations = true), not next cycle.
    await settle_reservations(services, store)
    await note_applied(services, store)
    released = settle_ledger(services.sessions, store, settings)
    skus = set(change.skus) | {sku for keys in released.values() for sku in keys}
    report = await _push_under_catalog_lock(services, store, skus, lock_wait) if push else None
    return IngestResult(outcome, change, report)


async def _push_under_catalog_lock(
    services: Services, store: str, skus: set[str], lock_wait: timedelta
) -> RunReport | None:
    """Push the SKUs' stock once no products/orders/reconcile run is writing the catalogue.

    Should that run outlast `lock_wait`, its figures for these SKUs may predate
    this order, so their last push is forgotten: the next run pushes them
    whatever it computes.
    """
    if not skus:
        return None
    async with waiting_for_lock(
        services.sessions,
        store=store,
        job=CATALOG_LOCK,
        holder=unique_holder("webhook"),
        wait=lock_wait,
    ) as held:
        if held:
            return await push_stock(services, store, sorted(skus))
    with services.sessions.begin() as session:
        forget_pushed_stock(session, store=store, sku_keys=skus)
    logger.warning(
        "store %s: the catalogue stayed busy for %s; the stock of %d SKU(s) is pushed by the next run",
        store,
        lock_wait,
        len(skus),
    )
    return None
