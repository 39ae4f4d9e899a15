"""The check every connector's writer makes before it books a document: its lines balance.

A POS/ERP that booked a document whose lines miss its total would hold
figures that differ from what WooCommerce charged or refunded; the export
engine parks such an order with the difference shown instead.
"""

from __future__ import annotations

from storebridge.domain.model import CreditDocument, OrderDocument, imbalance
from storebridge.errors import PosRejected

__all__ = ["refuse_unbalanced"]


def refuse_unbalanced(document: OrderDocument | CreditDocument) -> None:
    """Raise `PosRejected` naming the difference when `document`'s lines miss its total."""
    difference = imbalance(document)
    if difference:
        raise PosRejected(
            f"{document.idempotency_key}: lines add up to {document.total + difference}, not "
            f"to the document total {document.total} (difference {difference})"
        )
