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


@runtime_checkable
class PosConnector(PosReader, PosWriter, Protocol):
    """A full connector: both sides, plus cleanup."""

    def close(self) -> None: ...
