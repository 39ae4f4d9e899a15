"""The database schema: SQLAlchemy 2 typed declarative models, one class per table.

Almost every row belongs to one store (`store` = the `[stores.<name>]` key of
the configuration), so one database can serve several shops.  Natural keys
are unique constraints; each table also has a surrogate `id`.

Conventions:
- datetimes are `UTCDateTime` (aware UTC in and out, on SQLite as well);
- money is `Numeric(12, 2)`, never float;
- states are short strings, not database enums, so a new state needs no
  migration; the repositories type them with `Literal`s;
- constraint and index names follow `NAMING_CONVENTION`, so Alembic migrations
  can refer to them by name on every backend.

Changing a model means adding an Alembic revision under `migrations/versions`;
`tests/persistence/test_migrations.py` fails while the two disagree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

from storebridge.persistence.types import BigId, UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "Alert",
    "AuditEvent",
    "Base",
    "Credit",
    "Cursor",
    "Export",
    "InventorySnapshot",
    "JobLock",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "ProductLink",
    "QuarantineRow",
    "Reservation",
    "Run",
    "StockHistory",
    "User",
    "WebhookDelivery",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base: shared metadata with the naming convention and type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Numeric(12, 2)}


def _id() -> MappedColumn[int]:
    return mapped_column(BigId, primary_key=True, autoincrement=True)


def _store() -> MappedColumn[str]:
    return mapped_column(String(64))


def _sku() -> MappedColumn[Any]:
    return mapped_column(String(255))


def _state(default: str | None = None) -> MappedColumn[Any]:
    if default is None:
        return mapped_column(String(32))
    return mapped_column(String(32), default=default, server_default=default)


def _count() -> MappedColumn[int]:
    return mapped_column(Integer, default=0, server_default="0")


def _created() -> MappedColumn[datetime]:
    return mapped_column(default=utcnow)


def _updated() -> MappedColumn[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow)


class ProductLink(Base):
    """The glue: one POS SKU linked to one WooCommerce product or variation.

    Remembers what was last pushed, so an idle cycle writes nothing, and the
    last POS on-hand, so the stock history can explain a number.
    """

    __tablename__ = "product_links"
    __table_args__ = (
        UniqueConstraint("store", "sku_key"),
        Index(None, "store", "woo_id"),
        Index(None, "store", "woo_parent_id"),  # a changed parent's variations (link check)
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    sku_key: Mapped[str] = _sku()  # domain.model.sku_key(sku): trimmed, case-folded
    sku: Mapped[str] = _sku()  # as the POS spells it
    woo_id: Mapped[int | None] = mapped_column(BigInteger)  # None while a create is parked
    woo_parent_id: Mapped[int | None] = mapped_column(BigInteger)  # set for variations only
    kind: Mapped[str] = _state()  # simple | variable | variation
    origin: Mapped[str] = _state()  # created | adopted
    state: Mapped[str] = _state("linked")  # linked | broken | deleted | parked
    problem: Mapped[str | None] = mapped_column(Text)
    pushed_regular_price: Mapped[Decimal | None]
    pushed_sale_price: Mapped[Decimal | None]
    pushed_sale_from: Mapped[datetime | None]
    pushed_sale_to: Mapped[datetime | None]
    pushed_stock: Mapped[int | None]
    pushed_at: Mapped[datetime | None]
    on_hand: Mapped[int | None]  # POS on-hand summed over the store's locations
    on_hand_at: Mapped[datetime | None]
    # The POS row (and store settings) as at the last confirmed sync; cleared by any push
    # from elsewhere, so a products run validates and plans the row again.
    source_digest: Mapped[str | None] = mapped_column(String(64))
    failures: Mapped[int] = _count()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class QuarantineRow(Base):
    """A POS row that failed validation, kept and shown until it validates again."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("store", "fingerprint"),
        Index(None, "store", "resolved_at"),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of source + sku (or line)
    source: Mapped[str] = mapped_column(String(255))
    line: Mapped[int | None]
    sku: Mapped[str | None] = _sku()
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(64))  # rule name, e.g. "negative_price"
    detail: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StockHistory(Base):
    """How each computed stock figure came about: on-hand - allocated - safety."""

    __tablename__ = "stock_history"
    __table_args__ = (Index(None, "store", "sku_key", "at"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    sku_key: Mapped[str] = _sku()
    on_hand: Mapped[int]
    allocated: Mapped[int]
    safety: Mapped[int]
    available: Mapped[int]
    pushed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class Order(Base):
    """The order ledger: the last state of each WooCommerce order seen."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store", "woo_order_id"),
        Index(None, "store", "status"),
        Index(None, "store", "date_modified_gmt"),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = _state()
    date_created_gmt: Mapped[datetime]
    date_modified_gmt: Mapped[datetime]
    customer_email: Mapped[str] = mapped_column(String(255))
    total: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(8))
    payload: Mapped[str] = mapped_column(Text)  # JSON text of the order as last read
    first_seen: Mapped[datetime]
    updated_at: Mapped[datetime] = _updated()


class OrderLine(Base):
    """The product lines of a ledger order (replaced as a set whenever the order changes)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("store", "woo_order_id", "line_id"),
        Index(None, "store", "sku_key"),
        ForeignKeyConstraint(
            ["store", "woo_order_id"],
            ["orders.store", "orders.woo_order_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    line_id: Mapped[int] = mapped_column(BigInteger)
    sku_key: Mapped[str | None] = _sku()  # None for a line without SKU
    quantity: Mapped[int]
    product_id: Mapped[int] = mapped_column(BigInteger)
    variation_id: Mapped[int] = mapped_column(BigInteger)


class OrderStatusChange(Base):
    """Each status an order was seen in, and when."""

    __tablename__ = "order_status_history"
    __table_args__ = (Index(None, "store", "woo_order_id"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = _state()
    at: Mapped[datetime]


class Export(Base):
    """The export state machine of one order: seen → eligible → exported | failed | skipped."""

    __tablename__ = "exports"
    __table_args__ = (
        UniqueConstraint("store", "woo_order_id"),
        Index(None, "store", "state"),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = _state("seen")  # seen|eligible|exported|failed|skipped|review
    pos_ref: Mapped[str | None] = mapped_column(String(255))
    customer_ref: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = _count()
    next_retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    exported_at: Mapped[datetime | None]  # when the POS acknowledged the document
    applied_at: Mapped[datetime | None]  # when the POS/ERP was seen to have applied it
    released_at: Mapped[datetime | None]  # when the allocation was released
    document_total: Mapped[Decimal | None]
    updated_at: Mapped[datetime] = _updated()


class Reservation(Base):
    """An order's reservation in the POS/ERP (domain.reservation_state), placed once per key.

    ``state`` is NULL while no reservation was ever placed (a first attempt
    failed); ``applied_at`` is when the POS held the units, which is what
    releases StoreBridge's own allocation once a later POS read is applied.
    """

    __tablename__ = "reservations"
    __table_args__ = (UniqueConstraint("store", "woo_order_id"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    # reserved | releasing | released | shipped | converted
    state: Mapped[str | None] = mapped_column(String(32))
    pos_ref: Mapped[str | None] = mapped_column(String(255))
    reserved_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    attempts: Mapped[int] = _count()
    last_error: Mapped[str | None] = mapped_column(Text)
    tracking: Mapped[str | None] = mapped_column(String(255))  # ship-from-POS
    shipped_at: Mapped[datetime | None]
    shipment_problem: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(String(64))  # the reserved document's lines/total
    updated_at: Mapped[datetime] = _updated()


class Credit(Base):
    """A refund or cancellation of an exported order, written to the POS once."""

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index(None, "store", "woo_order_id"),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    woo_order_id: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = _state()  # refund | cancel
    state: Mapped[str] = _state()
    pos_ref: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Decimal]
    attempts: Mapped[int] = _count()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Cursor(Base):
    """Where an incremental read stopped: its value plus the ids already seen at it."""

    __tablename__ = "cursors"
    __table_args__ = (UniqueConstraint("store", "stream"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    stream: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    boundary_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = _updated()


class InventorySnapshot(Base):
    """A POS inventory read that was applied (releases allocations exported before it)."""

    __tablename__ = "inventory_snapshots"
    __table_args__ = (Index(None, "store", "applied_at"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    read_started_at: Mapped[datetime]
    applied_at: Mapped[datetime]
    items: Mapped[int]


class Run(Base):
    """One execution of a job for a store, with its counts and API usage."""

    __tablename__ = "runs"
    __table_args__ = (Index(None, "store", "job", "started_at"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = _state("running")  # running | ok | partial | failed
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # "GET products 200": n


class WebhookDelivery(Base):
    """A received webhook, recorded once per delivery id so a redelivery is ignored."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("store", "delivery_id"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    delivery_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    """A dashboard user; the hash is produced and checked by the web layer (argon2)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[int] = _id()
    username: Mapped[str] = mapped_column(String(150))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()
    last_login_at: Mapped[datetime | None]
    #: "viewer" or "operator"; users created before roles existed are operators.
    role: Mapped[str] = mapped_column(String(16), default="operator", server_default="operator")


class AuditEvent(Base):
    """One dashboard action or login-throttle event: who, when, what, on what, with what result."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[int] = _id()
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class JobLock(Base):
    """Who holds a store's job lock, since when: for display only.

    Exclusion is decided by `holder_locks` (a lock that dies with its holder);
    `expires_at` is no longer read and is written equal to `acquired_at`.
    """

    __tablename__ = "job_locks"
    __table_args__ = (UniqueConstraint("store", "job"),)

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    job: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Alert(Base):
    """One episode of an alert condition of a store, and what people were told about it.

    A row opens when the condition is first seen and is resolved when it is no
    longer seen; the next time it appears is a new row.  `notice` says which
    message is still owed (``problem``, ``recovery`` or ``none``), so the same
    condition is announced once until it recovers, across restarts
    (`storebridge.alerts`).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "store", "kind", "key", "resolved_at"),
        Index(None, "store", "notice"),
    )

    id: Mapped[int] = _id()
    store: Mapped[str] = _store()
    kind: Mapped[str] = mapped_column(String(32))  # store_red | export_parked | ...
    key: Mapped[str] = mapped_column(String(255))  # what within the kind: an order id, a SKU
    message: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = _count()  # a size that may grow (quarantined rows)
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    notice: Mapped[str] = _state("problem")  # problem | recovery | none
    announced_at: Mapped[datetime | None]
    announced_level: Mapped[int | None]
    recovery_sent_at: Mapped[datetime | None]
    #: Digests of the alert targets that already got the notice owed (never the URLs).
    delivered_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = _count()
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
