"""Products and quarantine pages: links by SKU, one SKU's story, invalid POS rows.

A product page answers "why is stock 7": the link (which WooCommerce product,
in which state), what was last pushed, the explanation of the figure as it
stands now (stored on-hand - allocated - safety = available) and the history
of every figure computed for the SKU (`stock_history`), plus the orders
holding units of it and which step each waits for ("exported, waiting for
the POS/ERP to import it").

Names live in WooCommerce and the POS, not in StoreBridge's database, so the
name search asks WooCommerce (`search_names`) and so does the product list
for the names and statuses of the page it shows (`views.woo_products`);
everything else, the list's filters included (`ProductFilters`), is local.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.orm import Session

from storebridge.domain.allocation import (
    StockExplanation,
    hold_reason,
    pos_knows_since,
    release_due,
)
from storebridge.domain.model import sku_key
from storebridge.domain.reservation_state import HOLDING
from storebridge.persistence.tables import (
    Export,
    Order,
    OrderLine,
    ProductLink,
    QuarantineRow,
    Reservation,
    StockHistory,
)
from storebridge.settings import StoreSettings
from storebridge.sync.orders.ledger_view import allocated_for_store, latest_snapshot_start
from storebridge.woocommerce import WooClient

__all__ = [
    "LINK_STATES",
    "PAGE_SIZE",
    "HoldingOrder",
    "ProductDetail",
    "ProductFilters",
    "find_links",
    "open_quarantine",
    "product_detail",
    "search_names",
]

PAGE_SIZE = 50
_HISTORY = 50
#: The states a product link can be in (`persistence.tables.ProductLink.state`).
LINK_STATES = ("linked", "broken", "deleted", "parked")
#: Link states meaning the link no longer leads to the right WooCommerce product.
BROKEN_STATES = ("broken", "deleted")


@dataclass(frozen=True, slots=True)
class ProductFilters:
    """The product list's filters; each one set narrows the list (they combine with AND).

    Attributes:
        state: only links in this state (one of `LINK_STATES`).
        quarantined: only SKUs with an open quarantined POS row.
        broken: only links that lost their product (SKU edited, product deleted).
        out_of_stock: only products whose last pushed stock is 0.
    """

    state: str | None = None
    quarantined: bool = False
    broken: bool = False
    out_of_stock: bool = False

    def criteria(self) -> list[ColumnElement[bool]]:
        """The WHERE terms on `ProductLink` these filters add."""
        terms: list[ColumnElement[bool]] = []
        if self.state:
            terms.append(ProductLink.state == self.state)
        if self.broken:
            terms.append(ProductLink.state.in_(BROKEN_STATES))
        if self.out_of_stock:
            terms.append(ProductLink.pushed_stock == 0)
        if self.quarantined:
            # Not a correlated EXISTS: the open rows are few, so they are read once and each
            # link is found by its unique (store, sku_key) (13 s -> ms over 100,000 links).
            terms.append(
                tuple_(ProductLink.store, ProductLink.sku_key).in_(
                    select(QuarantineRow.store, func.lower(QuarantineRow.sku)).where(
                        QuarantineRow.resolved_at.is_(None), QuarantineRow.sku.is_not(None)
                    )
                )
            )
        return terms


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_links(
    session: Session,
    *,
    stores: list[str],
    query: str = "",
    woo_ids: dict[str, set[int]] | None = None,
    page: int = 1,
    filters: ProductFilters | None = None,
) -> tuple[list[ProductLink], int]:
    """Links whose SKU contains `query` (or whose WooCommerce id was found by name).

    Returns one page of links (by store, then SKU) that also pass `filters`,
    and the total matching.
    """
    criteria: list[ColumnElement[bool]] = [ProductLink.store.in_(stores)]
    criteria.extend((filters or ProductFilters()).criteria())
    key = sku_key(query)
    if key:
        matches: list[ColumnElement[bool]] = [ProductLink.sku_key.like(_like(key), escape="\\")]
        for store, ids in (woo_ids or {}).items():
            if ids:
                matches.append((ProductLink.store == store) & ProductLink.woo_id.in_(sorted(ids)))
        criteria.append(or_(*matches))
    total = session.scalar(select(func.count()).select_from(ProductLink).where(*criteria)) or 0
    rows = session.scalars(
        select(ProductLink)
        .where(*criteria)
        .order_by(ProductLink.store, ProductLink.sku_key)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return list(rows), total


async def search_names(woo: WooClient, query: str, limit: int = PAGE_SIZE) -> dict[int, str]:
    """WooCommerce products whose name (or text) matches `query`: id -> name (one request)."""
    page = await woo.request_json(
        "GET",
        "/products",
        params={"search": query, "per_page": limit, "_fields": "id,name", "status": "any"},
    )
    found: dict[int, str] = {}
    if isinstance(page, list):
        for item in page:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                found[item["id"]] = str(item.get("name", ""))
    return found


@dataclass(frozen=True, slots=True)
class HoldingOrder:
    """An order whose line holds units of the SKU."""

    woo_order_id: int
    number: str
    status: str
    quantity: int
    reason: str  # which step it waits for (`domain.allocation.hold_reason`)


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """One SKU's page."""

    link: ProductLink
    now: StockExplanation | None
    history: list[StockHistory]
    orders: list[HoldingOrder]
    quarantine: list[QuarantineRow]

    @property
    def pushed_prices(self) -> tuple[Decimal | None, Decimal | None]:
        return self.link.pushed_regular_price, self.link.pushed_sale_price


def product_detail(
    session: Session, *, store: str, settings: StoreSettings, sku: str
) -> ProductDetail | None:
    """The page of `sku` in `store` (None when StoreBridge has no link for it)."""
    key = sku_key(sku)
    link = session.scalars(
        select(ProductLink).where(ProductLink.store == store, ProductLink.sku_key == key)
    ).one_or_none()
    if link is None:
        return None
    explanation = None
    if link.on_hand is not None:
        allocated = allocated_for_store(session, store, settings).get(key, 0)
        safety = settings.safety_for(link.sku)
        available = max(0, link.on_hand - allocated - safety)
        explanation = StockExplanation(link.on_hand, allocated, safety, available)
    history = session.scalars(
        select(StockHistory)
        .where(StockHistory.store == store, StockHistory.sku_key == key)
        .order_by(StockHistory.at.desc(), StockHistory.id.desc())
        .limit(_HISTORY)
    )
    statuses = sorted({*settings.allocating_statuses, *settings.export_statuses})
    holding = session.execute(
        select(
            Order.woo_order_id,
            Order.number,
            Order.status,
            OrderLine.quantity,
            Export.exported_at,
            Export.applied_at,
            Export.released_at,
            Reservation.state,
            Reservation.applied_at,
        )
        .join(
            OrderLine,
            (OrderLine.store == Order.store) & (OrderLine.woo_order_id == Order.woo_order_id),
        )
        .outerjoin(
            Export, (Export.store == Order.store) & (Export.woo_order_id == Order.woo_order_id)
        )
        .outerjoin(
            Reservation,
            (Reservation.store == Order.store) & (Reservation.woo_order_id == Order.woo_order_id),
        )
        .where(Order.store == store, OrderLine.sku_key == key, Order.status.in_(statuses))
        .order_by(Order.woo_order_id.desc())
        .limit(_HISTORY)
    )
    snapshot = latest_snapshot_start(session, store=store)
    orders = []
    for order_id, number, status, quantity, exported_at, applied_at, released_at, *held in holding:
        reserved_at = held[1] if held[0] in HOLDING else None
        known = pos_knows_since(applied_at if exported_at is not None else None, reserved_at)
        released = released_at is not None or release_due(known, snapshot)
        reason = hold_reason(exported_at, applied_at, released, reserved_at)
        orders.append(HoldingOrder(order_id, number, status, quantity, reason))
    quarantine = session.scalars(
        select(QuarantineRow)
        .where(
            QuarantineRow.store == store,
            QuarantineRow.resolved_at.is_(None),
            func.lower(QuarantineRow.sku) == key,
        )
        .order_by(QuarantineRow.last_seen.desc())
    )
    return ProductDetail(
        link=link,
        now=explanation,
        history=list(history),
        orders=orders,
        quarantine=list(quarantine),
    )


def open_quarantine(session: Session, *, stores: list[str]) -> list[QuarantineRow]:
    """Unresolved quarantined rows, newest first."""
    return list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.store.in_(stores), QuarantineRow.resolved_at.is_(None))
            .order_by(QuarantineRow.store, QuarantineRow.last_seen.desc(), QuarantineRow.id)
        )
    )
