"""Product links: the stored join between a POS SKU and a WooCommerce product.

A link is found by SKU (compared as `domain.model.sku_key`) or by WooCommerce
id, remembers what was last pushed so unchanged values are not sent again,
and records trouble: a *broken* link (the SKU was edited by hand in
WooCommerce), a *deleted* product, or a *parked* item that keeps failing.
Writers for one store are serialised by that store's job lock; `upsert_link`
is nevertheless safe against a concurrent insert of the same SKU.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.domain.model import sku_key
from storebridge.persistence.repositories._sql import insert_for, now_or, rowcount
from storebridge.persistence.tables import ProductLink

__all__ = [
    "LinkKind",
    "LinkOrigin",
    "LinkState",
    "PushedPrices",
    "get_link",
    "get_link_by_woo_id",
    "iter_links",
    "mark_broken",
    "mark_deleted",
    "mark_pushed",
    "park",
    "record_failure",
    "record_on_hand",
    "upsert_link",
]

LinkKind = Literal["simple", "variable", "variation"]
LinkOrigin = Literal["created", "adopted"]
LinkState = Literal["linked", "broken", "deleted", "parked"]


@dataclass(frozen=True, slots=True)
class PushedPrices:
    """The POS-owned price fields as last written to WooCommerce."""

    regular: Decimal | None
    sale: Decimal | None = None
    sale_from: datetime | None = None
    sale_to: datetime | None = None


def get_link(session: Session, *, store: str, sku: str) -> ProductLink | None:
    """The link of `sku` (any spelling that normalises to the same key), if any."""
    return session.scalars(
        select(ProductLink)
        .where(ProductLink.store == store, ProductLink.sku_key == sku_key(sku))
        .execution_options(populate_existing=True)
    ).one_or_none()


def get_link_by_woo_id(session: Session, *, store: str, woo_id: int) -> ProductLink | None:
    """The link pointing at WooCommerce product or variation `woo_id`, if any."""
    return session.scalars(
        select(ProductLink).where(ProductLink.store == store, ProductLink.woo_id == woo_id)
    ).first()


def iter_links(
    session: Session, *, store: str, states: Collection[LinkState] | None = None
) -> Iterator[ProductLink]:
    """Every link of `store` (optionally only in `states`), by SKU key, streamed in chunks."""
    query = select(ProductLink).where(ProductLink.store == store)
    if states is not None:
        query = query.where(ProductLink.state.in_(list(states)))
    query = query.order_by(ProductLink.sku_key).execution_options(yield_per=1000)
    yield from session.scalars(query)


def _require(session: Session, store: str, sku: str) -> ProductLink:
    link = get_link(session, store=store, sku=sku)
    if link is None:
        raise LookupError(f"store {store!r} has no link for SKU {sku!r}")
    return link


def upsert_link(
    session: Session,
    *,
    store: str,
    sku: str,
    woo_id: int,
    kind: LinkKind,
    origin: LinkOrigin,
    woo_parent_id: int | None = None,
    now: datetime | None = None,
) -> ProductLink:
    """Link `sku` to `woo_id`: create the link, or repair it and mark it `linked`.

    Pointing an existing link at a different WooCommerce id forgets the
    last-pushed values, because nothing has been pushed to the new product yet.
    """
    at = now_or(now)
    link = get_link(session, store=store, sku=sku)
    if link is None:
        inserted = rowcount(
            session,
            insert_for(session, ProductLink)
            .values(
                store=store,
                sku_key=sku_key(sku),
                sku=sku.strip(),
                woo_id=woo_id,
                woo_parent_id=woo_parent_id,
                kind=kind,
                origin=origin,
                state="linked",
                failures=0,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["store", "sku_key"]),
        )
        link = _require(session, store, sku)
        if inserted:
            return link
    if link.woo_id != woo_id:
        link.pushed_regular_price = link.pushed_sale_price = None
        link.pushed_sale_from = link.pushed_sale_to = None
        link.pushed_stock = None
        link.pushed_at = None
    link.sku = sku.strip()
    link.woo_id = woo_id
    link.woo_parent_id = woo_parent_id
    link.kind = kind
    link.origin = origin
    link.state = "linked"
    link.problem = None
    link.failures = 0
    link.last_error = None
    link.updated_at = at
    session.flush()
    return link


def mark_pushed(
    session: Session,
    *,
    store: str,
    sku: str,
    prices: PushedPrices | None = None,
    stock: int | None = None,
    now: datetime | None = None,
) -> ProductLink:
    """Remember what WooCommerce now holds for `sku` (only the parts that were sent).

    A successful push also clears the failure count and last error.
    """
    at = now_or(now)
    link = _require(session, store, sku)
    if prices is not None:
        link.pushed_regular_price = prices.regular
        link.pushed_sale_price = prices.sale
        link.pushed_sale_from = prices.sale_from
        link.pushed_sale_to = prices.sale_to
    if stock is not None:
        link.pushed_stock = stock
    link.pushed_at = at
    link.failures = 0
    link.last_error = None
    link.updated_at = at
    session.flush()
    return link


def record_on_hand(
    session: Session, *, store: str, sku: str, on_hand: int, now: datetime | None = None
) -> ProductLink:
    """Store the POS on-hand (summed over the store's locations) last read for `sku`."""
    at = now_or(now)
    link = _require(session, store, sku)
    link.on_hand = on_hand
    link.on_hand_at = at
    link.updated_at = at
    session.flush()
    return link


def _set_state(
    session: Session, store: str, sku: str, state: LinkState, problem: str, at: datetime
) -> ProductLink:
    link = _require(session, store, sku)
    link.state = state
    link.problem = problem
    link.updated_at = at
    session.flush()
    return link


def mark_broken(
    session: Session, *, store: str, sku: str, problem: str, now: datetime | None = None
) -> ProductLink:
    """The WooCommerce product no longer carries this SKU (edited by hand): stop writing to it."""
    return _set_state(session, store, sku, "broken", problem, now_or(now))


def mark_deleted(
    session: Session, *, store: str, sku: str, problem: str, now: datetime | None = None
) -> ProductLink:
    """The WooCommerce product was deleted or trashed: stop writing to it."""
    return _set_state(session, store, sku, "deleted", problem, now_or(now))


def record_failure(
    session: Session,
    *,
    store: str,
    sku: str,
    error: str,
    park_after: int,
    now: datetime | None = None,
) -> ProductLink:
    """Count one more failed write for `sku`; park the link once `park_after` is reached."""
    at = now_or(now)
    link = _require(session, store, sku)
    link.failures += 1
    link.last_error = error
    if link.failures >= park_after:
        link.state = "parked"
        link.problem = error
    link.updated_at = at
    session.flush()
    return link


def park(
    session: Session,
    *,
    store: str,
    sku: str,
    error: str,
    kind: LinkKind = "simple",
    now: datetime | None = None,
) -> ProductLink:
    """Park `sku` with `error`, creating a link without WooCommerce id if none exists.

    Used when creating the product itself keeps failing: the parked row keeps
    the item visible (and skipped) until an operator fixes it.
    """
    at = now_or(now)
    link = get_link(session, store=store, sku=sku)
    if link is None:
        rowcount(
            session,
            insert_for(session, ProductLink)
            .values(
                store=store,
                sku_key=sku_key(sku),
                sku=sku.strip(),
                woo_id=None,
                kind=kind,
                origin="created",
                state="parked",
                failures=0,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["store", "sku_key"]),
        )
        link = _require(session, store, sku)
    link.state = "parked"
    link.problem = error
    link.last_error = error
    link.failures += 1
    link.updated_at = at
    session.flush()
    return link
