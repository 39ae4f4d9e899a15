"""`TrytonConnector`: read, write and reserve over one Tryton session.

It implements ports.PosConnector, IncrementalReader (only the products
changed since the last read, `changes`), PosReserver and PosShipper.

Example::

    connector = TrytonConnector(TrytonSettings(url="http://erp:8000", database="shop",
                                               password="…", web_shop="Web"))
    items = list(connector.read_items())
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from storebridge.connectors.tryton.reader import TrytonReader
from storebridge.connectors.tryton.reservations import TrytonReservations, TrytonShipments
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.connectors.tryton.writer import TrytonWriter
from storebridge.domain.model import CreditDocument, CustomerDoc, OrderDocument, RawItem
from storebridge.ports import PosShipment, ReadOutcome, ReserveReceipt, WriteReceipt

__all__ = ["TrytonConnector"]


class TrytonConnector:
    """A Tryton database as StoreBridge's POS/ERP; the session opens on the first call."""

    def __init__(self, settings: TrytonSettings, rpc: TrytonRpc | None = None) -> None:
        self.settings = settings
        self.name = f"tryton:{settings.database}"
        self.rpc = rpc if rpc is not None else TrytonRpc(settings)
        self.reader = TrytonReader(self.rpc, settings)
        self.writer = TrytonWriter(self.rpc, settings)
        self.reservations = TrytonReservations(self.writer)
        self.shipping = TrytonShipments(self.writer)
        self.updates_customers = self.writer.updates_customers

    def read_items(self) -> Iterator[RawItem]:
        return self.reader.read_items()

    def read_items_since(self, position: str | None) -> Iterator[RawItem]:
        return self.reader.read_items_since(position)

    @property
    def last_read(self) -> ReadOutcome | None:
        return self.reader.last_read

    def find_document(self, idempotency_key: str) -> str | None:
        return self.writer.find_document(idempotency_key)

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        return self.writer.known_skus(skus)

    def upsert_customer(self, customer: CustomerDoc) -> str:
        return self.writer.upsert_customer(customer)

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        return self.writer.write_order(document)

    def write_credit(self, document: CreditDocument) -> str:
        return self.writer.write_credit(document)

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        return self.writer.applied(idempotency_keys)

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        return self.reservations.reserve(document)

    def release(self, idempotency_key: str) -> bool:
        return self.reservations.release(idempotency_key)

    def reservations_applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        return self.reservations.reservations_applied(idempotency_keys)

    def shipments(self, idempotency_keys: Iterable[str]) -> dict[str, PosShipment]:
        return self.shipping.shipments(idempotency_keys)

    def close(self) -> None:
        self.rpc.close()
