"""The write side: web orders as sales of the web shop, customers as parties, credits as returns.

An order becomes one `sale.sale` of the configured web shop whose `web_id`
is the idempotency key.  Tryton itself refuses a second sale with the same
web id in a shop, and the writer still looks the key up first, so a retry
after a crash (at any step) finds the sale and carries on from where it
stopped instead of writing another:

    create (draft) -> quote -> confirm (Tryton processes at once: shipment
    waiting, invoice draft) -> shipment assign_force -> pick -> pack -> do

Only a sale whose shipment is done counts as written (`find_document`):
until then Tryton's on-hand still includes the goods, and the allocation
ledger must keep holding them.  `assign_force` is used because the goods
have already left: a web order is exported when it is completed.

The customer is the party with that e-mail contact mechanism (compared
trimmed and case-insensitively), else a new party with the order's
addresses; a guest without e-mail books on one guest party (by code).
Lines are matched by SKU (`product.product.code`); a line Tryton does not
know goes on the configured unknown-item service product and the sale's
comment names it; shipping and fees go on their service products.

Every line, shipping and fee line carries the Tryton tax the connector's
`taxes` table maps its WooCommerce rate to, at a unit price chosen so that
Tryton's own line amount and tax equal WooCommerce's (amounts.py).  Tryton's
totals of the draft sale are read back before it is quoted; a sale whose
totals miss WooCommerce's is deleted and the document parked with the
difference, so Tryton never books figures WooCommerce did not charge.

A refund or a cancellation after export is a return sale: the same party,
negative quantities, `web_id` = the credit's key.  Tryton turns it into a
customer return shipment (received and done here, so on-hand rises again)
and a credit note.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storebridge.connectors.balance import Totals, refuse_different_totals, refuse_unbalanced
from storebridge.connectors.tryton.amounts import unit_price_for
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.settings import TrytonSettings, rate_key
from storebridge.domain.model import (
    Address,
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
    sku_key,
)
from storebridge.errors import ConfigError, PosRejected
from storebridge.ports import WriteReceipt

__all__ = ["TrytonWriter"]

log = logging.getLogger(__name__)

#: Sale states after which the shipments exist; before them the sale still needs a push.
_SHIPPED = frozenset({"sent", "none"})
_SKU_CHUNK = 50  # codes per look-up call (one OR clause each)
_APPLIED_PAGE = 50  # web ids per "applied" look-up call


@dataclass(frozen=True, slots=True)
class _Product:
    id: int
    code: str
    unit: int


@dataclass(frozen=True, slots=True)
class _Tax:
    id: int
    rate: Decimal  # a fraction, as Tryton keeps it: 0.1 for 10 %


@dataclass(frozen=True, slots=True)
class _Shop:
    id: int
    warehouse: int
    currency: int


class TrytonWriter:
    """Writes sales, parties and returns through one RPC session."""

    #: A later order adds its new address to the party but never rewrites the party.
    updates_customers = False

    def __init__(self, rpc: TrytonRpc, settings: TrytonSettings) -> None:
        self.rpc = rpc
        self.settings = settings
        self._shop: _Shop | None = None
        self._services: dict[str, _Product] = {}
        self._taxes: dict[str, _Tax | None] = {}

    # -- look-ups ---------------------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        sale = self._find_sale(idempotency_key)
        if sale is None or not _complete(sale):
            return None
        return str(sale["number"])

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """Sales of these keys whose customer shipment is done: Tryton's on-hand includes them.

        The writer completes the shipment before a sale counts as written, so
        every written sale is applied.  Tryton's own timestamps come from
        another clock; answering the time StoreBridge found out (now) is later
        than the truth, which can only delay a release, never hasten it.
        """
        keys = sorted(set(idempotency_keys))
        found: dict[str, datetime] = {}
        now = datetime.now(UTC)
        for start in range(0, len(keys), _APPLIED_PAGE):
            chunk = keys[start : start + _APPLIED_PAGE]
            rows = self.rpc.call(
                "sale.sale",
                "search_read",
                [("web_shop", "=", self.shop().id), ("web_id", "in", chunk)],
                0,
                None,
                None,
                ["web_id", "state", "shipment_state"],
            )
            found.update({str(row["web_id"]): now for row in rows if _complete(row)})
        return found

    def known_skus(self, skus: Iterable[str]) -> set[str]:
        wanted = list(skus)
        found = self._products_by_sku(wanted, salable_only=False)
        return {sku for sku in wanted if sku.strip() in found}

    # -- customers ---------------------------------------------------------------

    def upsert_customer(self, customer: CustomerDoc) -> str:
        party_id = self._party_for(customer)
        return self._party_code(party_id)

    def _party_for(self, customer: CustomerDoc) -> int:
        email = customer.email.strip().lower()
        if not email:
            return self._guest_party()
        mechanisms = self.rpc.call(
            "party.contact_mechanism",
            "search_read",
            [("type", "=", "email"), ("value", "ilike", _like(email))],
            0,
            None,
            [("party", "ASC")],
            ["party", "value"],
        )
        for mechanism in mechanisms:
            if str(mechanism["value"]).strip().lower() == email:
                return int(mechanism["party"])
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p).strip()
        contacts: list[dict[str, Any]] = [{"type": "email", "value": email}]
        if customer.phone.strip():
            contacts.append({"type": "phone", "value": customer.phone.strip()})
        addresses = [self._address_values(customer.billing)]
        if _address_key(customer.shipping) != _address_key(customer.billing):
            addresses.append(self._address_values(customer.shipping))
        (party_id,) = self.rpc.call(
            "party.party",
            "create",
            [
                {
                    "name": name or customer.billing.company or email,
                    "contact_mechanisms": [["create", contacts]],
                    "addresses": [["create", addresses]],
                }
            ],
        )
        return int(party_id)

    def _guest_party(self) -> int:
        code = self.settings.guest_party_code
        ids = self.rpc.call("party.party", "search", [("code", "=", code)], 0, 1, None)
        if ids:
            return int(ids[0])
        (party_id,) = self.rpc.call(
            "party.party", "create", [{"name": "Web shop guests", "code": code}]
        )
        return int(party_id)

    def _party_code(self, party_id: int) -> str:
        (row,) = self.rpc.call("party.party", "read", [party_id], ["code"])
        return str(row["code"])

    def _address_id(self, party_id: int, address: Address) -> int:
        wanted = _address_key(address)
        rows = self.rpc.call(
            "party.address",
            "search_read",
            [("party", "=", party_id)],
            0,
            None,
            [("id", "ASC")],
            ["party_name", "street_unstructured", "postal_code", "city"],
        )
        for row in rows:
            key = (
                row["party_name"] or "",
                row["street_unstructured"] or "",
                row["postal_code"] or "",
                row["city"] or "",
            )
            if key == wanted:
                return int(row["id"])
        (address_id,) = self.rpc.call(
            "party.address", "create", [{"party": party_id, **self._address_values(address)}]
        )
        return int(address_id)

    def _address_values(self, address: Address) -> dict[str, Any]:
        name, street, postal_code, city = _address_key(address)
        values: dict[str, Any] = {
            "party_name": name,
            "street_unstructured": street,
            "postal_code": postal_code,
            "city": city,
        }
        if address.country:
            countries = self.rpc.call(
                "country.country", "search", [("code", "=", address.country.upper())], 0, 1, None
            )
            if countries:
                values["country"] = countries[0]
        return values

    # -- orders -------------------------------------------------------------------

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        refuse_unbalanced(document)
        key = document.idempotency_key
        expected = Totals(document.net_total, document.tax_total, document.total)
        existing = self._find_sale(key)
        if existing is not None:
            if existing["state"] == "draft":  # a crash before the check: check it now
                self._check_totals(int(existing["id"]), key, expected)
            return self._resume(existing)
        sale_id = self._create_sale(key, self._sale_values(document))
        if sale_id is None:  # another writer got there first: Tryton's web id rule held
            found = self._find_sale(key)
            assert found is not None
            return self._resume(found)
        self._check_totals(sale_id, key, expected)
        sale = self._advance(sale_id)
        return WriteReceipt(str(sale["number"]), _party_ref(sale), already_existed=False)

    def _sale_values(self, document: OrderDocument) -> dict[str, Any]:
        """The new sale of an order (also a reservation's: the export later finishes it)."""
        lines = self._order_lines(document)
        party_id = self._party_for(document.customer)
        shop = self.shop()
        return {
            "party": party_id,
            "invoice_address": self._address_id(party_id, document.customer.billing),
            "shipment_address": self._address_id(party_id, document.customer.shipping),
            "warehouse": shop.warehouse,
            "web_shop": shop.id,
            "web_id": document.idempotency_key,
            "currency": shop.currency,
            "sale_date": (document.completed_at or document.created_at).date(),
            "reference": f"WooCommerce #{document.number}",
            "description": f"Web order {document.number}",
            "comment": _comment(document),
            "lines": [["create", lines]],
        }

    def _resume(self, sale: dict[str, Any]) -> WriteReceipt:
        sale = self._advance(int(sale["id"]))
        return WriteReceipt(str(sale["number"]), _party_ref(sale), already_existed=True)

    def _order_lines(self, document: OrderDocument) -> list[dict[str, Any]]:
        return self._money_lines(document.lines, document.charges, sign=1)

    def _money_lines(
        self, lines: Iterable[DocLine], charges: Iterable[ChargeLine], sign: int
    ) -> list[dict[str, Any]]:
        """Sale lines for products, shipping and fees, each with its tax; `sign` -1 for returns."""
        lines = tuple(lines)
        products = self._products_by_sku([ln.sku for ln in lines if ln.sku])
        built = [self._product_line(line, products, sign) for line in lines]
        for charge in charges:
            service = self._service(
                self.settings.shipping_product
                if charge.kind == "shipping"
                else self.settings.fee_product
            )
            built.append(
                self._taxed_line(service, sign, charge, charge.tax_rate, charge.name or charge.kind)
            )
        return built

    def _product_line(
        self, line: DocLine, products: dict[str, _Product], sign: int
    ) -> dict[str, Any]:
        product = products.get(line.sku.strip()) if line.sku else None
        quantity = sign * (line.quantity or 1)
        if product is None:
            service = self._service(self.settings.unknown_product)
            label = f"{line.sku or 'no SKU'} {line.name} (not in Tryton)"
            return self._taxed_line(service, quantity, line, line.tax_rate, label)
        return self._taxed_line(product, quantity, line, line.tax_rate, line.name)

    def _taxed_line(
        self,
        product: _Product,
        quantity: int,
        money: DocLine | ChargeLine,
        rate: Decimal,
        description: str,
    ) -> dict[str, Any]:
        """A sale line whose Tryton amount and tax are `money`'s net and tax (signed like qty)."""
        tax = self._tax(rate)
        sign = 1 if quantity > 0 else -1
        unit_price = unit_price_for(
            sign * money.total, sign * money.tax, quantity, tax.rate if tax else None
        )
        values = _line(product, quantity, unit_price, description)
        if tax is not None:
            values["taxes"] = [["add", [tax.id]]]
        return values

    def _check_totals(self, sale_id: int, key: str, expected: Totals) -> None:
        """Tryton's own totals of the draft sale must be WooCommerce's; else delete it and park.

        The sale is still a draft, so deleting it leaves no trace: a retry
        (after the tax table or the order is fixed) writes it afresh.
        """
        (row,) = self.rpc.call(
            "sale.sale", "read", [sale_id], ["untaxed_amount", "tax_amount", "total_amount"]
        )
        booked = Totals(
            Decimal(row["untaxed_amount"]), Decimal(row["tax_amount"]), Decimal(row["total_amount"])
        )
        if booked != expected:
            self.rpc.call("sale.sale", "delete", [sale_id])
            refuse_different_totals(key, expected, booked, system="Tryton")

    # -- credits -----------------------------------------------------------------

    def write_credit(self, document: CreditDocument) -> str:
        refuse_unbalanced(document)
        key = document.idempotency_key
        # a return sale: Tryton's totals are the credit's, negative
        expected = Totals(document.tax_total - document.total, -document.tax_total, -document.total)
        existing = self._find_sale(key)
        if existing is not None:
            if existing["state"] == "draft":
                self._check_totals(int(existing["id"]), key, expected)
            return str(self._advance(int(existing["id"]))["number"])
        originals = self.rpc.call(
            "sale.sale",
            "search_read",
            [("number", "=", document.original_pos_ref), ("web_shop", "=", self.shop().id)],
            0,
            1,
            None,
            ["party", "invoice_address", "shipment_address"],
        )
        if not originals:
            raise PosRejected(
                f"the credit {document.idempotency_key} refers to sale "
                f"{document.original_pos_ref!r}, which the web shop "
                f"{self.settings.web_shop!r} does not hold"
            )
        original = originals[0]
        lines = self._money_lines(document.lines, document.charges, sign=-1)
        if not lines and document.total:  # an amount-only refund (goodwill): one fee line
            service = self._service(self.settings.fee_product)
            lines.append(_line(service, -1, document.total, document.reason or "Refund"))
        shop = self.shop()
        values = {
            "party": original["party"],
            "invoice_address": original["invoice_address"],
            "shipment_address": original["shipment_address"],
            "warehouse": shop.warehouse,
            "web_shop": shop.id,
            "web_id": key,
            "currency": shop.currency,
            "sale_date": document.created_at.date(),
            "reference": f"Credit for {document.original_pos_ref}",
            "description": f"Web credit: {document.reason}"[:200],
            "lines": [["create", lines]],
        }
        sale_id = self._create_sale(key, values)
        if sale_id is None:
            found = self._find_sale(key)
            assert found is not None
            sale_id = int(found["id"])
        else:
            self._check_totals(sale_id, key, expected)
        return str(self._advance(sale_id)["number"])

    # -- the sale's life -----------------------------------------------------------

    def _find_sale(self, key: str) -> dict[str, Any] | None:
        rows = self.rpc.call(
            "sale.sale",
            "search_read",
            [("web_shop", "=", self.shop().id), ("web_id", "=", key)],
            0,
            1,
            None,
            ["number", "state", "shipment_state", "party.code"],
        )
        return rows[0] if rows else None

    def _create_sale(self, key: str, values: dict[str, Any]) -> int | None:
        try:
            (sale_id,) = self.rpc.call("sale.sale", "create", [values])
        except PosRejected as exc:
            if self._find_sale(key) is not None:
                log.info("sale %s was written by another run meanwhile", key)
                return None
            raise exc
        return int(sale_id)

    def _advance(self, sale_id: int) -> dict[str, Any]:
        """Take the sale to confirmed with its shipments done; each step is skipped once done."""
        sale = self._read_sale(sale_id)
        if sale["state"] == "draft":
            self.rpc.call("sale.sale", "quote", [sale_id])
            sale = self._read_sale(sale_id)
        if sale["state"] == "quotation":
            self.rpc.call("sale.sale", "confirm", [sale_id])
            sale = self._read_sale(sale_id)
        if sale["state"] == "confirmed":  # processing deferred to a worker: do it now
            self.rpc.call("sale.sale", "process", [sale_id])
            sale = self._read_sale(sale_id)
        if sale["state"] not in ("processing", "done"):
            raise PosRejected(
                f"sale {sale['number']} ({sale['web_id']}) is {sale['state']} in Tryton; "
                "it cannot be completed, look at it in Tryton"
            )
        self._complete_shipments(sale["shipments"])
        self._complete_returns(sale["shipment_returns"])
        return self._read_sale(sale_id)

    def _read_sale(self, sale_id: int) -> dict[str, Any]:
        (sale,) = self.rpc.call(
            "sale.sale",
            "read",
            [sale_id],
            [
                "number",
                "state",
                "shipment_state",
                "web_id",
                "shipments",
                "shipment_returns",
                "party.code",
            ],
        )
        return dict(sale)

    def _complete_shipments(self, shipment_ids: list[int]) -> None:
        if not shipment_ids:
            return
        steps = {
            "waiting": "assign_force",
            "assigned": "pick",
            "picked": "pack",
            "packed": "do",
            "shipped": "do",
        }
        self._walk("stock.shipment.out", shipment_ids, steps)

    def _complete_returns(self, return_ids: list[int]) -> None:
        if not return_ids:
            return
        self._walk("stock.shipment.out.return", return_ids, {"draft": "receive", "received": "do"})

    def _walk(self, model: str, ids: list[int], steps: dict[str, str]) -> None:
        for _ in range(len(steps) + 1):
            rows = self.rpc.call(model, "read", ids, ["state"])
            by_step: dict[str, list[int]] = {}
            for row in rows:
                step = steps.get(row["state"])
                if step is not None:
                    by_step.setdefault(step, []).append(int(row["id"]))
            if not by_step:
                return
            for step, pending in by_step.items():
                self.rpc.call(model, step, pending)
        raise PosRejected(f"{model} {ids} did not reach done; look at them in Tryton")

    # -- configuration look-ups (cached) -----------------------------------------

    def shop(self) -> _Shop:
        if self._shop is None:
            name = self.settings.web_shop
            rows = self.rpc.call(
                "web.shop",
                "search_read",
                [("name", "=", name)],
                0,
                2,
                None,
                ["warehouses", "currency"],
            )
            if len(rows) != 1 or not rows[0]["warehouses"]:
                problem = (
                    "no web shop"
                    if not rows
                    else "more than one web shop"
                    if len(rows) > 1
                    else "a web shop without warehouse"
                )
                raise ConfigError(
                    f"Tryton has {problem} named {name!r}; create it in Web Shops (with a "
                    "warehouse) or set web_shop to the exact name of one"
                )
            row = rows[0]
            self._shop = _Shop(int(row["id"]), int(row["warehouses"][0]), int(row["currency"]))
        return self._shop

    def _service(self, code: str) -> _Product:
        if code not in self._services:
            rows = self.rpc.call(
                "product.product",
                "search_read",
                [("code", "=", code), ("type", "=", "service"), ("salable", "=", True)],
                0,
                1,
                None,
                ["code", "sale_uom"],
            )
            if not rows:
                raise ConfigError(
                    f"Tryton has no salable service product with code {code!r}; create it "
                    "(Products, type Service, Salable) or change the connector's *_product setting"
                )
            row = rows[0]
            self._services[code] = _Product(int(row["id"]), code, int(row["sale_uom"]))
        return self._services[code]

    def _tax(self, rate: Decimal) -> _Tax | None:
        """The Tryton tax mapped to WooCommerce's `rate` (percent); None for an unmapped 0 %."""
        key = rate_key(rate)
        if key not in self._taxes:
            self._taxes[key] = self._find_tax(key)
        return self._taxes[key]

    def _find_tax(self, key: str) -> _Tax | None:
        ref = self.settings.taxes.get(key)
        if ref is None:
            if Decimal(key) == 0:
                return None  # an untaxed line needs no tax in Tryton either
            raise ConfigError(
                f"WooCommerce charged tax at {key} % but the Tryton connector's taxes table "
                f'maps no Tryton tax to it; add taxes."{key}" = "<name of the Tryton tax>" '
                "to the store's [connector] table"
            )
        domain = [("id", "=", ref)] if isinstance(ref, int) else [("name", "=", ref)]
        rows = self.rpc.call(
            "account.tax", "search_read", domain, 0, 2, None, ["name", "type", "rate"]
        )
        if len(rows) != 1:
            raise ConfigError(
                f'taxes."{key}" = {ref!r}: Tryton has '
                f"{'no' if not rows else 'more than one'} active tax {ref!r}; give the exact "
                "name (Accounting → Taxes) or the tax's id"
            )
        row = rows[0]
        fraction = Decimal(row["rate"]) if row["rate"] is not None else None
        if row["type"] != "percentage" or fraction is None or fraction * 100 != Decimal(key):
            shown = f"{rate_key(fraction * 100)} %" if fraction is not None else row["type"]
            raise ConfigError(
                f'taxes."{key}" = {ref!r}: the Tryton tax {row["name"]!r} is {shown}, not a '
                f"{key} % percentage; map the rate to a tax of the same rate"
            )
        return _Tax(int(row["id"]), fraction)

    def _products_by_sku(
        self, skus: Iterable[str | None], salable_only: bool = True
    ) -> dict[str, _Product]:
        """The product of each SKU, keyed by the trimmed SKU (one call per 50 SKUs).

        Tryton codes are case-sensitive: a product whose code equals the SKU
        exactly wins over one that differs only in case.
        """
        requested = {s.strip() for s in skus if s and s.strip()}
        keys = sorted({sku_key(s) for s in requested})
        candidates: dict[str, list[_Product]] = {}
        for start in range(0, len(keys), _SKU_CHUNK):
            chunk = keys[start : start + _SKU_CHUNK]
            # "<code> %" also finds a legacy code stored with trailing spaces (imported by SQL,
            # so never stripped by the ORM), which an exact search would miss
            clauses: list[Any] = [
                clause
                for code in chunk
                for clause in (
                    ("code", "ilike", _like(code)),
                    ("code", "ilike", _like(code) + " %"),
                )
            ]
            domain: list[Any] = [["OR", *clauses]]
            if salable_only:
                domain.append(("salable", "=", True))
            rows = self.rpc.call(
                "product.product",
                "search_read",
                domain,
                0,
                None,
                [("id", "ASC")],
                ["code", "sale_uom", "default_uom"],
            )
            for row in rows:
                key = sku_key(row["code"] or "")
                if key in chunk:
                    unit = row["sale_uom"] or row["default_uom"]
                    product = _Product(int(row["id"]), str(row["code"]), int(unit))
                    candidates.setdefault(key, []).append(product)
        found: dict[str, _Product] = {}
        for sku in requested:
            products = candidates.get(sku_key(sku), [])
            exact = [p for p in products if p.code.strip() == sku]
            if products:
                found[sku] = (exact or products)[0]
        return found


def _party_ref(sale: dict[str, Any]) -> str:
    # trytond answers a dotted field as a nested record under "<field>."
    return str(sale["party."]["code"])


def _complete(sale: dict[str, Any]) -> bool:
    return sale["state"] in ("processing", "done") and sale["shipment_state"] in _SHIPPED


def _line(
    product: _Product, quantity: int, unit_price: Decimal, description: str
) -> dict[str, Any]:
    return {
        "type": "line",
        "product": product.id,
        "quantity": quantity,
        "unit": product.unit,
        "unit_price": unit_price,
        "description": description,
    }


def _like(text: str) -> str:
    """`text` as an exact (case-insensitive) `ilike` pattern: wildcards escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _address_key(address: Address) -> tuple[str, str, str, str]:
    name = " ".join(p for p in (address.first_name, address.last_name) if p).strip()
    street = "\n".join(p for p in (address.address_1, address.address_2) if p).strip()
    return (name, street, address.postcode.strip(), address.city.strip())


def _comment(document: OrderDocument) -> str:
    parts = [f"WooCommerce order {document.number} ({document.currency} {document.total})"]
    if document.payment_method_title or document.payment_method:
        parts.append(f"Paid by {document.payment_method_title or document.payment_method}")
    if document.transaction_id:
        parts.append(f"Transaction {document.transaction_id}")
    if document.coupons:
        parts.append(f"Coupons {', '.join(document.coupons)} (-{document.discount_total})")
    if document.tax_total:
        parts.append(f"Tax charged by WooCommerce {document.tax_total}")
    if document.flags:
        parts.append("Flags: " + ", ".join(document.flags))
    unknown = [ln.sku or ln.name for ln in document.lines if not ln.known_to_pos]
    if unknown:
        parts.append("Lines not in Tryton: " + ", ".join(unknown))
    if document.customer_note:
        parts.append(f"Customer note: {document.customer_note}")
    return "\n".join(parts)
