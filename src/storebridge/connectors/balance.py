"""The checks a connector's writer makes before it books a document: its figures balance.

A POS/ERP that booked a document whose lines miss its total would hold
figures that differ from what WooCommerce charged or refunded; the export
engine parks such an order with the difference shown instead. Every writer
checks the document's own lines (`refuse_unbalanced`); a POS/ERP that
computes its own totals (Tryton applies its taxes) is also checked on what
it computed (`refuse_different_totals`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from storebridge.domain.model import CreditDocument, OrderDocument, imbalance
from storebridge.errors import PosRejected

__all__ = ["Totals", "refuse_different_totals", "refuse_unbalanced"]


class Totals(NamedTuple):
    """A document's amounts: before tax, tax, and total (= untaxed + tax)."""

    untaxed: Decimal
    tax: Decimal
    total: Decimal


def refuse_unbalanced(document: OrderDocument | CreditDocument) -> None:
    """Raise `PosRejected` naming the difference when `document`'s lines miss its total."""
    difference = imbalance(document)
    if difference:
        raise PosRejected(
            f"{document.idempotency_key}: lines add up to {document.total + difference}, not "
            f"to the document total {document.total} (difference {difference})"
        )


def refuse_different_totals(
    key: str, expected: Totals, computed: Totals, *, system: str = "the POS"
) -> None:
    """Raise `PosRejected` naming each difference when `system`'s totals miss WooCommerce's."""
    if computed == expected:
        return
    differences = ", ".join(
        f"{name} {mine} instead of {theirs} (difference {mine - theirs})"
        for name, mine, theirs in zip(Totals._fields, computed, expected, strict=True)
        if mine != theirs
    )
    raise PosRejected(
        f"{key}: {system} computes {differences}; the document was not booked. Check the "
        "tax mapping and rounding there (see docs/operations.md), then retry the export"
    )
