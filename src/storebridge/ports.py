"""The seams the engines depend on (typing.Protocols; adapters implement them).

A POS/ERP connector has a read side (items with prices and on-hand, streamed)
and a write side (customers, orders and credits, each carrying an idempotency
key).  Connectors are synchronous: engines call them through
`asyncio.to_thread`, which keeps connector code simple and lets a file feed or
a database driver block as it likes.

Example::

    connector = DemoPos(path)
    for raw in connector.read_items():
        ...
    receipt = connector.write_order(document)   # safe to call twice
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from storebridge.domain.model import CreditDocument, CustomerDoc, OrderDocument, RawItem


@dataclass(frozen=True, slots=True)
class WriteReceipt:
    """What the POS/ERP answered to an order export."""

    pos_ref: str  # the POS document number (invoice, sales order...)
    customer_ref: str  # the POS customer it was booked on
    already_existed: bool = False  # True when the idempotency key was found: nothing new written


@runtime_checkable
class PosReader(Protocol):
    """Read side: the items selected for the web, with prices and on-hand."""

    name: str

    def read_items(self) -> Iterator[RawItem]:
        """Stream every item the connector's selection may concern (a full snapshot).

        Rows are yielded raw: validation and selection happen in the core, so
        a bad row is quarantined rather than raising here.  Must not hold the
        whole catalogue in memory when the source is large.
        """
        ...


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """What an incremental read delivered: a full snapshot or only changes, and where it ended."""

    complete: bool  # True: every item (a snapshot); False: only the items that changed
    position: str  # opaque to the engine: stored and handed back to the next read


@runtime_checkable
class IncrementalReader(Protocol):
    """Optional read side: only what changed since a position the engine keeps for it.

    The engine stores `last_read.position` (in StoreBridge's database, with the
    run that applied the read) and passes it to the next read.  The connector
    decides when a full read is due (no position, or periodically) and says
    so in `last_read.complete`.
    """

    def read_items_since(self, position: str | None) -> Iterator[RawItem]:
        """Stream the items changed since `position` (everything when None)."""
        ...

    @property
    def last_read(self) -> ReadOutcome | None:
        """The outcome of the last read, once its stream is exhausted."""
        ...


@runtime_checkable
class PosWriter(Protocol):
    """Write side: customers, orders and credits, exactly once per idempotency key."""

    #: Whether a later order may update an existing POS customer's addresses.
    updates_customers: bool

    def find_document(self, idempotency_key: str) -> str | None:
        """The POS reference already written under this key, if any."""
        ...

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        """The subset of `skus` (compared case-insensitively) that the POS knows."""
        ...

    def upsert_customer(self, customer: CustomerDoc) -> str:
        """Match by normalised e-mail, else create; returns the POS customer reference."""
        ...

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        """Write the order once: if its idempotency key exists, return that document."""
        ...

    def write_credit(self, document: CreditDocument) -> str:
        """Write a return/credit once per idempotency key; returns its POS reference."""
        ...

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """When the POS/ERP *applied* (booked into its stock) each of these written orders.

        Written is not applied: a file feed's document waits in the outbox
        until the ERP imports it, and until then the POS on-hand does not
        include the sale, so its units stay allocated.  Keys not applied yet
        (or unknown) are left out.  A POS that books on write answers the
        write time; a connector that cannot tell when answers when it found
        out (later than the truth: it only delays a release, never hastens it).
        """
        ...


@dataclass(frozen=True, slots=True)
class ReserveReceipt:
    """What the POS/ERP answered to a reservation."""

    pos_ref: str  # the POS document holding the units (the sale the export later finishes)
    applied: bool  # True: the POS counts the units as taken now; False: once it imports them
    already_existed: bool = False  # the idempotency key was found: nothing new written


@runtime_checkable
class PosReserver(Protocol):
    """Optional capability: hold a web order's units in the POS/ERP before it is exported.

    Every call is keyed by the order's idempotency key (the one `write_order`
    later gets) and looks it up before writing, so repeating a call after a
    crash finds its own work.  The reservation and the exported order are
    one POS document: `write_order` with the same key finishes the reserved
    document instead of writing a second one.  While a reservation holds,
    the on-hand `read_items` reports excludes its units.
    """

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        """Hold the order's units once per idempotency key; returns the holding document."""
        ...

    def release(self, idempotency_key: str) -> bool:
        """Give the units of an unexported reservation back; False when none was held.

        Raises `PosRejected` when the reservation cannot be released any more
        (the POS already shipped it).
        """
        ...

    def reservations_applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """When the POS/ERP started holding each of these reservations (unknown keys left out)."""
        ...


@dataclass(frozen=True, slots=True)
class PosShipment:
    """What the POS/ERP did with a reserved order it ships itself (ship-from-POS)."""

    state: str  # "shipped" (done, goods left) | "cancelled" (a human cancelled it in the POS)
    tracking: str | None = None  # the shipment's tracking reference, when the POS has one


@runtime_checkable
class PosShipper(Protocol):
    """Optional capability: the POS/ERP ships reserved orders and says when (ship-from-POS)."""

    def shipments(self, idempotency_keys: Iterable[str]) -> dict[str, PosShipment]:
        """News of these reservations' shipments; keys still waiting to ship are left out."""
        ...


@runtime_checkable
class PosConnector(PosReader, PosWriter, Protocol):
    """A full connector: both sides, plus cleanup."""

    def close(self) -> None: ...
