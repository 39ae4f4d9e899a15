"""What the alerts job observes in StoreBridge's database (reads only, no WooCommerce call).

* `store_red`: the dashboard's health verdict (`web.health.judge` over the
  overview's figures) is red; the message gives its reasons;
* `export_parked`: one per parked order export (failed with no retry left);
* `link_broken`: one per product link marked broken (SKU edited in
  WooCommerce) or deleted (product trashed or deleted), by the link check or
  a write's answer (`sync.catalogue.link_check`);
* `quarantine_grew`: open quarantined POS rows reached
  ``[alerts].quarantine_min_rows``; its level is their number, so it is
  announced again each time it grows.

Webhooks are checked elsewhere; their checker calls `alerts.raise_alert`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.alerts.conditions import (
    EXPORT_PARKED,
    LINK_BROKEN,
    QUARANTINE_GREW,
    STORE_RED,
    Condition,
)
from storebridge.persistence.tables import Export, ProductLink, QuarantineRow
from storebridge.settings import Settings
from storebridge.web.views.overview import store_overview

__all__ = ["observe"]

#: Quarantine reasons named in the message (the dashboard lists them all).
_REASONS_SHOWN = 3


def observe(session: Session, settings: Settings, store: str, now: datetime) -> list[Condition]:
    """Every evaluated condition of `store` that holds at `now`."""
    found: list[Condition] = []
    health = store_overview(session, settings, store, now).health
    if health.level == "red":
        found.append(Condition(STORE_RED, "", "; ".join(health.reasons)))
    found.extend(_parked_exports(session, store))
    found.extend(_lost_links(session, store))
    quarantine = _quarantine(session, store, settings.alerts.quarantine_min_rows)
    if quarantine is not None:
        found.append(quarantine)
    return found


def _parked_exports(session: Session, store: str) -> list[Condition]:
    rows = session.execute(
        select(Export.woo_order_id, Export.attempts, Export.last_error)
        .where(Export.store == store, Export.state == "failed", Export.next_retry_at.is_(None))
        .order_by(Export.woo_order_id)
    )
    return [
        Condition(
            EXPORT_PARKED,
            str(order),
            f"order {order} was not exported after {attempts} attempt(s): "
            f"{error or 'no error recorded'}; retry it (storebridge orders retry {order}) "
            "or skip it",
        )
        for order, attempts, error in rows
    ]


def _lost_links(session: Session, store: str) -> list[Condition]:
    rows = session.execute(
        select(ProductLink.sku_key, ProductLink.sku, ProductLink.state, ProductLink.problem)
        .where(ProductLink.store == store, ProductLink.state.in_(("broken", "deleted")))
        .order_by(ProductLink.sku_key)
    )
    return [
        Condition(LINK_BROKEN, key, f"SKU {sku}: link {state}: {problem or 'no detail recorded'}")
        for key, sku, state, problem in rows
    ]


def _quarantine(session: Session, store: str, minimum: int) -> Condition | None:
    open_rows = (QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None))
    count = session.scalar(select(func.count()).where(*open_rows)) or 0
    if count < minimum:
        return None
    reasons = session.execute(
        select(QuarantineRow.reason, func.count())
        .where(*open_rows)
        .group_by(QuarantineRow.reason)
        .order_by(func.count().desc(), QuarantineRow.reason)
        .limit(_REASONS_SHOWN)
    )
    why = ", ".join(f"{reason} {n}" for reason, n in reasons)
    return Condition(
        QUARANTINE_GREW,
        "",
        f"{count} POS row(s) quarantined ({why}); see `storebridge quarantine list`",
        level=count,
    )
