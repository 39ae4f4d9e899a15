"""Writing order-ledger rows directly, as the allocation engine would (for read-side tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from storebridge.persistence.tables import Export, InventorySnapshot, Order, OrderLine

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def add_order(
    session: Session,
    order_id: int,
    status: str,
    lines: dict[str, int],
    *,
    store: str = "main",
    exported_at: datetime | None = None,
    released_at: datetime | None = None,
    applied_at: datetime | None = None,
) -> None:
    """One ledger order with its lines (SKU key -> quantity) and, optionally, its export."""
    session.add(
        Order(
            store=store,
            woo_order_id=order_id,
            number=str(order_id),
            status=status,
            date_created_gmt=T0,
            date_modified_gmt=T0,
            customer_email="shopper@example.com",
            total=Decimal("10.00"),
            currency="USD",
            payload="{}",
            first_seen=T0,
        )
    )
    session.flush()
    for line_id, (key, quantity) in enumerate(lines.items(), start=1):
        session.add(
            OrderLine(
                store=store,
                woo_order_id=order_id,
                line_id=order_id * 100 + line_id,
                sku_key=key,
                quantity=quantity,
                product_id=0,
                variation_id=0,
            )
        )
    if exported_at is not None or released_at is not None:
        session.add(
            Export(
                store=store,
                woo_order_id=order_id,
                state="exported",
                exported_at=exported_at,
                applied_at=applied_at,
                released_at=released_at,
                flags=[],
            )
        )
    session.flush()


def add_snapshot(session: Session, read_started_at: datetime, *, store: str = "main") -> None:
    """An applied POS inventory read that started at `read_started_at`."""
    session.add(
        InventorySnapshot(
            store=store, read_started_at=read_started_at, applied_at=read_started_at, items=1
        )
    )
    session.flush()
