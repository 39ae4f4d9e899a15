"""Webhook deliveries: each delivery id is recorded once per store.

WooCommerce retries a delivery it thinks failed, with the same
``X-WC-Webhook-Delivery-ID``; recording it with an INSERT guarded by the
unique constraint tells the receiver atomically whether it is new, even when
two redeliveries race.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storebridge.persistence.repositories._sql import insert_for, inserted, now_or, rowcount
from storebridge.persistence.tables import WebhookDelivery

__all__ = ["get_delivery", "mark_processed", "record_delivery"]


def record_delivery(
    session: Session,
    *,
    store: str,
    delivery_id: str,
    topic: str,
    resource_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a received delivery; True if it is new, False if it was seen before."""
    added = inserted(
        session,
        insert_for(session, WebhookDelivery)
        .values(
            store=store,
            delivery_id=delivery_id,
            topic=topic,
            resource_id=resource_id,
            received_at=now_or(now),
        )
        .on_conflict_do_nothing(index_elements=["store", "delivery_id"]),
    )
    return added == 1


def mark_processed(
    session: Session,
    *,
    store: str,
    delivery_id: str,
    outcome: str,
    now: datetime | None = None,
) -> bool:
    """Note how a delivery was handled (e.g. "ok", "ignored", "failed"); False if unknown."""
    return (
        rowcount(
            session,
            update(WebhookDelivery)
            .where(WebhookDelivery.store == store, WebhookDelivery.delivery_id == delivery_id)
            .values(processed_at=now_or(now), outcome=outcome),
        )
        == 1
    )


def get_delivery(session: Session, *, store: str, delivery_id: str) -> WebhookDelivery | None:
    """The recorded delivery, if any."""
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.store == store, WebhookDelivery.delivery_id == delivery_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
