"""Reservations in Tryton: a web order's units held by a confirmed sale of the web shop.

`reserve` writes the order's sale exactly as the export would (same values,
`web_id` = the idempotency key) and takes it as far as confirmed: Tryton
processes a confirmed sale at once, so its customer shipment is *waiting*
and its planned moves take the units out of what the reader reports with
``on_hand = "available"`` (the till's own sales post done moves, so they
are counted as well).  On completion the export's `write_order` finds the
sale under the same key and finishes its shipment: the reservation *becomes*
the exported sale.

`release` gives the units back before export.  A processing sale cannot be
cancelled in Tryton, so the release walks what a Tryton user would do:
cancel the waiting shipment (the units are free at once) and the draft
invoice, answer both exception wizards with "ignore" (the sale ends done,
nothing shipped, nothing invoiced), and finally rename the sale's web id to
``<key>:released:<sale id>`` so that the key is free if the order comes back.
Every step is skipped once done, and the rename comes last, so a release
killed at any point is finished by the next call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from storebridge.connectors.balance import Totals, refuse_unbalanced
from storebridge.connectors.tryton.writer import TrytonWriter
from storebridge.domain.model import OrderDocument
from storebridge.errors import PosRejected
from storebridge.ports import PosShipment, ReserveReceipt

__all__ = ["TrytonReservations", "TrytonShipments", "released_web_id"]

_PAGE = 50  # web ids per look-up call (one OR clause each on SQLite)


def released_web_id(key: str, sale_id: int) -> str:
    """The web id a released reservation keeps: unique, and never the order's key."""
    return f"{key}:released:{sale_id}"


class TrytonReservations:
    """Reserve and release through the writer's session and look-ups."""

    def __init__(self, writer: TrytonWriter) -> None:
        self.writer = writer
        self.rpc = writer.rpc

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        refuse_unbalanced(document)
        key = document.idempotency_key
        expected = Totals(document.net_total, document.tax_total, document.total)
        existing = self.writer._find_sale(key)
        already = existing is not None
        if existing is None:
            sale_id = self.writer._create_sale(key, self.writer._sale_values(document))
            if sale_id is None:  # a concurrent run created it: Tryton's web id rule held
                existing = self.writer._find_sale(key)
                assert existing is not None
                already = True
        if existing is not None:
            sale_id = int(existing["id"])
        assert sale_id is not None
        # Tryton's totals of the draft must be WooCommerce's before it holds anything: the
        # export later finishes this very sale without writing its lines again.
        if existing is None or existing["state"] == "draft":
            self.writer._check_totals(sale_id, key, expected)
        sale = self._confirm(sale_id)
        return ReserveReceipt(str(sale["number"]), applied=True, already_existed=already)

    def _confirm(self, sale_id: int) -> dict[str, Any]:
        """Quote and confirm (Tryton then processes: shipment waiting); each step once."""
        sale = self.writer._read_sale(sale_id)
        if sale["state"] == "draft":
            self.rpc.call("sale.sale", "quote", [sale_id])
            sale = self.writer._read_sale(sale_id)
        if sale["state"] == "quotation":
            self.rpc.call("sale.sale", "confirm", [sale_id])
            sale = self.writer._read_sale(sale_id)
        if sale["state"] == "confirmed":  # processing deferred to a worker: do it now
            self.rpc.call("sale.sale", "process", [sale_id])
            sale = self.writer._read_sale(sale_id)
        if sale["state"] not in ("processing", "done"):
            raise PosRejected(
                f"sale {sale['number']} ({sale['web_id']}) is {sale['state']} in Tryton; "
                "it cannot hold the order's units, look at it in Tryton"
            )
        return sale

    def release(self, idempotency_key: str) -> bool:
        sale = self.writer._find_sale(idempotency_key)
        if sale is None:
            return False  # never reserved, or released before (the web id was renamed)
        sale_id = int(sale["id"])
        if sale["state"] in ("draft", "quotation"):  # killed before confirm: nothing held yet
            self.rpc.call("sale.sale", "cancel", [sale_id])
        elif sale["state"] != "cancelled":
            self._undo_processing(sale_id, idempotency_key)
        self.rpc.call(
            "sale.sale", "write", [sale_id], {"web_id": released_web_id(idempotency_key, sale_id)}
        )
        return True

    def _undo_processing(self, sale_id: int, key: str) -> None:
        (sale,) = self.rpc.call(
            "sale.sale",
            "read",
            [sale_id],
            ["number", "shipments", "invoices", "shipment_state", "invoice_state"],
        )
        shipments = self.rpc.call("stock.shipment.out", "read", sale["shipments"], ["state"])
        if any(row["state"] == "done" for row in shipments):
            raise PosRejected(
                f"sale {sale['number']} ({key}) has shipped in Tryton: its reservation cannot "
                "be released; credit the order instead"
            )
        to_cancel = [int(row["id"]) for row in shipments if row["state"] != "cancelled"]
        if to_cancel:
            self.rpc.call("stock.shipment.out", "cancel", to_cancel)
        invoices = self.rpc.call("account.invoice", "read", sale["invoices"], ["state"])
        drafts = [int(row["id"]) for row in invoices if row["state"] == "draft"]
        if drafts:
            self.rpc.call("account.invoice", "cancel", drafts)
        (states,) = self.rpc.call(
            "sale.sale", "read", [sale_id], ["shipment_state", "invoice_state"]
        )
        if states["shipment_state"] == "exception":
            self.rpc.run_wizard(
                "sale.handle.shipment.exception",
                "sale.sale",
                sale_id,
                "handle",
                lambda shown: {"ask": _ignore_all(shown, "moves")},
            )
        if states["invoice_state"] == "exception":
            self.rpc.run_wizard(
                "sale.handle.invoice.exception",
                "sale.sale",
                sale_id,
                "handle",
                lambda shown: {"ask": _ignore_all(shown, "invoices")},
            )

    def reservations_applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """Keys whose sale holds the units (processing or further): Tryton books at confirm.

        As with `TrytonWriter.applied`, the answer is the time StoreBridge
        found out, later than the truth, which only delays a release.
        """
        now = datetime.now(UTC)
        return {
            str(sale["web_id"]): now
            for rows in _sales_by_web_id(self.writer, idempotency_keys, ["web_id", "state"])
            for sale in rows
            if sale["state"] in ("processing", "done")
        }


def _sales_by_web_id(
    writer: TrytonWriter, keys: Iterable[str], fields: list[str]
) -> Iterator[list[dict[str, Any]]]:
    """The web shop's sales of these web ids, one page (one call) at a time."""
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), _PAGE):
        yield writer.rpc.call(
            "sale.sale",
            "search_read",
            [("web_shop", "=", writer.shop().id), ("web_id", "in", wanted[start : start + _PAGE])],
            0,
            None,
            None,
            fields,
        )


def _ignore_all(shown: dict[str, Any], kind: str) -> dict[str, Any]:
    """The exception wizard's form: every cancelled record it proposes is ignored."""
    proposed = list(shown.get(f"domain_{kind}", []))
    return {f"recreate_{kind}": [], f"ignore_{kind}": proposed, f"domain_{kind}": proposed}


class TrytonShipments:
    """Ship-from-POS: which reserved sales a Tryton user has shipped (or cancelled)."""

    def __init__(self, writer: TrytonWriter) -> None:
        self.writer = writer
        self.rpc = writer.rpc

    def shipments(self, idempotency_keys: Iterable[str]) -> dict[str, PosShipment]:
        """A sale is shipped once one of its customer shipments is done, with its reference.

        The tracking number is the shipment's ``reference`` (where Tryton's
        carrier modules and users put it).  A sale whose shipments were all
        cancelled is reported cancelled: a human must decide what happens.
        """
        news: dict[str, PosShipment] = {}
        for sales in _sales_by_web_id(self.writer, idempotency_keys, ["web_id", "shipments"]):
            ids = [int(i) for sale in sales for i in sale["shipments"]]
            rows = self.rpc.call("stock.shipment.out", "read", ids, ["state", "reference"])
            by_id = {int(row["id"]): row for row in rows}
            for sale in sales:
                shipments = [by_id[int(i)] for i in sale["shipments"] if int(i) in by_id]
                done = [row for row in shipments if row["state"] == "done"]
                if done:
                    references = [str(row["reference"]).strip() for row in done if row["reference"]]
                    tracking = ", ".join(r for r in references if r) or None
                    news[str(sale["web_id"])] = PosShipment("shipped", tracking)
                elif shipments and all(row["state"] == "cancelled" for row in shipments):
                    news[str(sale["web_id"])] = PosShipment("cancelled")
        return news
