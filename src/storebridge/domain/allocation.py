"""The allocation ledger's arithmetic (design.md §4).

The POS/ERP learns of a web order only when the order is exported, so until
its on-hand reflects the sale StoreBridge holds the ordered units back:

    available(sku) = max(0, on_hand(sku, selected locations)
                            - allocated(sku) - safety_stock(sku))

`allocated` is always recomputed from the orders (never incremented), so a
replayed webhook or a re-read page cannot count an order twice: orders are
keyed by id and the last facts seen for an id replace earlier ones.

When is a line allocated?

* its order is in an allocating status (default pending, processing,
  on-hold) -> yes, unless the order was exported and released;
* its order is in an export status (default completed, or a configured
  "shipped") -> yes until *released*: the POS knows the order, because it
  has *applied* the exported document (not merely received it: a file
  feed's document waits in the outbox until the ERP imports it) or holds
  the order's reservation (`domain.reservation_state`), and an inventory
  snapshot whose read started after that has been applied, so the POS's
  on-hand now excludes the units (`pos_knows_since`, `release_due`).  With
  a reservation this happens while the order is still open: the POS holds
  the units, so StoreBridge must stop holding them too;
* cancelled, failed, refunded, trash, checkout-draft or any other status ->
  no.  Before export the units are free again at once; after export the POS
  has the sale and a credit note brings the units back there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "DEFAULT_ALLOCATING_STATUSES",
    "DEFAULT_EXPORT_STATUSES",
    "OrderFacts",
    "StockExplanation",
    "allocated_by_sku",
    "available_by_sku",
    "explain",
    "hold_reason",
    "is_allocating",
    "pos_knows_since",
    "releasable",
    "release_due",
]

DEFAULT_ALLOCATING_STATUSES = frozenset({"pending", "processing", "on-hold"})
DEFAULT_EXPORT_STATUSES = frozenset({"completed"})

_MINUS = "\u2212"  # the typographic minus sign of the dashboard's "why is stock 7" line


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the ledger knows of one WooCommerce order.

    `lines` holds (sku_key, quantity) pairs; `export_acked_at` is when the
    POS/ERP accepted the document, `applied_at` when StoreBridge learnt that
    it applied it; `reserved_at` when the POS started holding the order's
    reservation (None without one, or once it was released); `released`
    turns true once an inventory snapshot read started after the POS knew
    the order (`pos_knows_since`) was applied.
    """

    order_id: int
    status: str
    lines: tuple[tuple[str, int], ...]
    export_acked_at: datetime | None = None
    released: bool = False
    applied_at: datetime | None = None
    reserved_at: datetime | None = None


def is_allocating(
    order: OrderFacts,
    allocating_statuses: Collection[str] = DEFAULT_ALLOCATING_STATUSES,
    export_statuses: Collection[str] = DEFAULT_EXPORT_STATUSES,
) -> bool:
    """Whether the order's lines are held back from the published quantity."""
    if order.released:
        # The POS on-hand already includes this sale: holding it too would count it twice.
        return False
    return order.status in allocating_statuses or order.status in export_statuses


def allocated_by_sku(
    orders: Iterable[OrderFacts],
    allocating_statuses: Collection[str] = DEFAULT_ALLOCATING_STATUSES,
    export_statuses: Collection[str] = DEFAULT_EXPORT_STATUSES,
) -> dict[str, int]:
    """Units allocated per SKU key, recomputed from scratch.

    When an order id appears more than once, its last facts win (a line list
    replaces the previous one).  Only SKUs with a positive allocation appear.
    """
    latest: dict[int, OrderFacts] = {}
    for order in orders:
        latest[order.order_id] = order
    allocated: dict[str, int] = {}
    for order in latest.values():
        if not is_allocating(order, allocating_statuses, export_statuses):
            continue
        for key, quantity in order.lines:
            if quantity > 0:
                allocated[key] = allocated.get(key, 0) + quantity
    return allocated


def release_due(applied_at: datetime | None, snapshot_read_started_at: datetime | None) -> bool:
    """Whether an exported order's units are in the POS on-hand as read by this snapshot.

    Written is not enough: the POS/ERP must have applied the document
    (`applied_at`), and the read must have started strictly after that: a
    read that began earlier (or at the same instant) may predate the booking.
    """
    return (
        applied_at is not None
        and snapshot_read_started_at is not None
        and applied_at < snapshot_read_started_at
    )


def pos_knows_since(
    export_applied_at: datetime | None, reservation_applied_at: datetime | None
) -> datetime | None:
    """Since when the on-hand the POS reports excludes the order's units, if it does.

    The earlier of the exported document's application and the reservation's
    (a reservation that later becomes the exported sale keeps its earlier
    time: the units left the POS count then, and only once).
    """
    known = [at for at in (export_applied_at, reservation_applied_at) if at is not None]
    return min(known) if known else None


def releasable(orders: Iterable[OrderFacts], snapshot_read_started_at: datetime) -> set[int]:
    """Ids of unreleased orders the POS knows that a snapshot read started at this time releases."""
    return {
        order.order_id
        for order in orders
        if not order.released
        and release_due(
            pos_knows_since(
                order.applied_at if order.export_acked_at is not None else None,
                order.reserved_at,
            ),
            snapshot_read_started_at,
        )
    }


def hold_reason(
    exported_at: datetime | None,
    applied_at: datetime | None,
    released: bool,
    reserved_at: datetime | None = None,
) -> str:
    """Why an open or exported order still holds units, for "why is stock N"."""
    if released:
        return "released: the POS on-hand includes it"
    if reserved_at is not None:
        return "reserved in the POS/ERP, waiting for the next POS stock read"
    if exported_at is None:
        return "not exported yet: the POS does not know it"
    if applied_at is None:
        return "exported, waiting for the POS/ERP to import it"
    return "imported by the POS/ERP, waiting for the next POS stock read"


@dataclass(frozen=True, slots=True)
class StockExplanation:
    """Why a SKU publishes the quantity it does ("why is stock 7")."""

    on_hand: int
    allocated: int
    safety: int
    available: int

    def __str__(self) -> str:
        text = (
            f"on-hand {self.on_hand} {_MINUS} allocated {self.allocated} {_MINUS} safety {self.safety} "
            f"= {self.available}"
        )
        if self.on_hand - self.allocated - self.safety < 0:
            text += " (never below 0)"
        return text


def explain(
    on_hand_by_location: Mapping[str, int],
    locations: Collection[str],
    allocated: Mapping[str, int],
    safety_default: int,
    safety_overrides: Mapping[str, int],
    sku_key: str,
) -> StockExplanation:
    """The available quantity of one SKU, with its terms.

    Args:
        on_hand_by_location: the SKU's on-hand per POS location.
        locations: the locations that sell online; empty means all.
        allocated: `allocated_by_sku` output.
        safety_default: units always held back.
        safety_overrides: per-SKU-key safety stock replacing the default.
        sku_key: the SKU key.
    """
    if locations:
        on_hand = sum(on_hand_by_location.get(location, 0) for location in set(locations))
    else:
        on_hand = sum(on_hand_by_location.values())
    held = allocated.get(sku_key, 0)
    safety = safety_overrides.get(sku_key, safety_default)
    return StockExplanation(on_hand, held, safety, max(0, on_hand - held - safety))


def available_by_sku(
    on_hand: Mapping[str, Mapping[str, int]],
    allocated: Mapping[str, int],
    *,
    locations: Collection[str] = (),
    safety_default: int = 0,
    safety_overrides: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """`explain(...).available` for every SKU key of `on_hand` (the planner's input)."""
    overrides = safety_overrides or {}
    return {
        key: explain(by_location, locations, allocated, safety_default, overrides, key).available
        for key, by_location in on_hand.items()
    }
