"""Order status transitions and their side effects (reference §6.7, golden 058-100).

REST applies no transition rules: any status can follow any other. What a
transition does depends only on the status entered and on flags the order
carries:

- entering processing / on-hold / completed reduces stock once per line (the
  line gets `_reduced_stock`) unless the order is already marked reduced, and
  records sales once;
- entering cancelled or pending puts reduced stock back and clears the meta;
  cancelled also takes the recorded sales back;
- failed, refunded and trash change no stock; refunded creates an automatic
  refund of whatever is left ("Order fully refunded.");
- processing/completed set date_paid once (only for a non-zero total);
  completed sets date_completed every time.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.formatting import to_decimal
from storebridge.sandbox.notes import NoteStore
from storebridge.sandbox.order_lines import LineBuilder
from storebridge.sandbox.products import ProductStore
from storebridge.sandbox.variations import stock_holder

Doc = dict[str, Any]

STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "auto-draft": "Draft",
    "trash": "Trash",
}
REDUCING = ("processing", "on-hold", "completed")
RESTORING = ("cancelled", "pending")
PAID = ("processing", "completed")

# (order doc, amount, reason) -> refund; provided by the refund store.
AutoRefund = Callable[[Doc, Decimal, str], Doc]


class OrderLifecycle:
    """Applies the side effects of moving an order from one status to another."""

    def __init__(
        self,
        products: ProductStore,
        lines: LineBuilder,
        notes: NoteStore,
        clock: Clock,
    ) -> None:
        self._products = products
        self._lines = lines
        self._notes = notes
        self._clock = clock
        self.auto_refund: AutoRefund | None = None

    def transition(self, doc: Doc, old: str, new: str) -> None:
        """Move `doc` from `old` to `new` (both already validated)."""
        doc["status"] = new
        if old == new:
            return
        now = stored(self._clock())
        if new in PAID and doc.get("date_paid") is None and to_decimal(doc["total"]) > 0:
            doc["date_paid"] = now
        if new == "completed":
            doc["date_completed"] = now
        # The status hooks (stock, sales, refunds) run before the transition note is written.
        if new in REDUCING:
            self.reduce_stock(doc)
            self._record_sales(doc, +1)
        if new in RESTORING:
            self.restore_stock(doc)
        if new == "cancelled":
            self._record_sales(doc, -1)
        if new == "refunded" and self.auto_refund is not None:
            remaining = remaining_refund(doc)
            if remaining > 0:
                self.auto_refund(doc, remaining, "Order fully refunded.")
        self._notes.add(
            doc["id"],
            f"Order status changed from {STATUS_LABELS.get(old, old)} to "
            f"{STATUS_LABELS.get(new, new)}.",
        )

    def payment_complete(self, doc: Doc, transaction_id: str | None) -> None:
        """set_paid: record the payment and move a payable order to processing."""
        if transaction_id:
            doc["transaction_id"] = transaction_id
        if doc["status"] in ("pending", "on-hold", "failed", "cancelled", "checkout-draft"):
            if doc.get("date_paid") is None:
                doc["date_paid"] = stored(self._clock())
            target = "processing" if needs_processing(doc) else "completed"
            self.transition(doc, doc["status"], target)

    def reduce_stock(self, doc: Doc) -> None:
        """wc_maybe_reduce_stock_levels()."""
        if doc.get("_stock_reduced"):
            return
        changes = []
        for line in doc["line_items"]:
            if any(m["key"] == "_reduced_stock" for m in line["meta_data"]):
                continue
            holder = self._holder(line)
            if holder is None:
                continue
            moved = self._products.adjust_stock(holder["id"], -line["quantity"])
            if moved is None:
                continue
            line["meta_data"].append(self._lines.meta("_reduced_stock", str(line["quantity"])))
            changes.append(f"{_formatted_name(self._products, line)} {moved[0]}&rarr;{moved[1]}")
        doc["_stock_reduced"] = True
        if changes:
            self._notes.add(doc["id"], "Stock levels reduced: " + ", ".join(changes))

    def restore_stock(self, doc: Doc) -> None:
        """wc_maybe_increase_stock_levels()."""
        if not doc.get("_stock_reduced"):
            return
        changes = []
        for line in doc["line_items"]:
            reduced = next((m for m in line["meta_data"] if m["key"] == "_reduced_stock"), None)
            if reduced is None:
                continue
            holder = self._holder(line)
            moved = (
                self._products.adjust_stock(holder["id"], int(reduced["value"]))
                if holder is not None
                else None
            )
            line["meta_data"].remove(reduced)
            if moved is not None:
                changes.append(
                    f"{_formatted_name(self._products, line)} {moved[0]}&rarr;{moved[1]}"
                )
        doc["_stock_reduced"] = False
        if changes:
            self._notes.add(doc["id"], "Stock levels increased: " + ", ".join(changes))

    def release_line(self, doc: Doc, line: Doc) -> None:
        """A line removed through REST puts back the stock it had reduced."""
        reduced = next((m for m in line["meta_data"] if m["key"] == "_reduced_stock"), None)
        holder = self._holder(line)
        if reduced is not None and holder is not None:
            self._products.adjust_stock(holder["id"], int(reduced["value"]))

    def _holder(self, line: Doc) -> Doc | None:
        product_id = line["variation_id"] or line["product_id"]
        product = self._products.find(product_id) if product_id else None
        return stock_holder(self._products, product) if product is not None else None

    def _record_sales(self, doc: Doc, direction: int) -> None:
        recorded = bool(doc.get("_recorded_sales"))
        if (direction > 0 and recorded) or (direction < 0 and not recorded):
            return
        for line in doc["line_items"]:
            # Sales are counted on the product sold: the variation, not its parent (golden 161).
            product_id = line["variation_id"] or line["product_id"]
            if product_id:
                self._products.add_sales(product_id, direction * line["quantity"])
        doc["_recorded_sales"] = direction > 0


def remaining_refund(doc: Doc) -> Decimal:
    """The order total minus what was already refunded."""
    refunded = sum((to_decimal(r["amount"]) for r in doc.get("_refunds", [])), Decimal(0))
    return to_decimal(doc["total"]) - refunded


def needs_processing(doc: Doc) -> bool:
    """True when any line is a real, shippable product."""
    return any(line["product_id"] for line in doc["line_items"])


def _formatted_name(products: ProductStore, line: Doc) -> str:
    """get_formatted_name(): "Name (SKU)" or "Name (#id)"."""
    product_id = line["variation_id"] or line["product_id"]
    product = products.find(product_id)
    if product is None:
        return str(line["name"])
    sku = product["sku"]
    if not sku and product["type"] == "variation":
        parent = products.find(product["parent_id"])
        sku = parent["sku"] if parent else ""
    return f"{product['name']} ({sku or '#' + str(product['id'])})"
