"""The order store: create, update, trash, delete and list orders.

Creation follows WooCommerce's REST controller: the order is built and saved
as pending, totals are calculated, coupons are applied (an unknown coupon
leaves the saved order behind as `checkout-draft` and fails with
`new_draft_order_id`), then the requested status is entered and `set_paid`
completes the payment. Every status change goes through `OrderLifecycle`.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from storebridge.sandbox.clock import Clock, stored
from storebridge.sandbox.coupons import CouponStore
from storebridge.sandbox.customers import CustomerStore
from storebridge.sandbox.db import Database, dumps, loads
from storebridge.sandbox.errors import WooError, already_trashed, invalid_id
from storebridge.sandbox.events import Announcer
from storebridge.sandbox.listing import ListQuery, Page, Where
from storebridge.sandbox.notes import NoteStore
from storebridge.sandbox.order_lines import LineBuilder, calculate_totals
from storebridge.sandbox.order_status import OrderLifecycle, remaining_refund
from storebridge.sandbox.order_taxes import TaxOffice
from storebridge.sandbox.product_write import upsert_meta
from storebridge.sandbox.refunds import RefundStore
from storebridge.sandbox.schema import CRUD_ORDERBY, DATE_FILTERS, PAGING, Arg
from storebridge.sandbox.ties import TieOrder

Doc = dict[str, Any]

ORDER_STATUSES = (
    "auto-draft",
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
)

ORDER_WRITE_ARGS: dict[str, Arg] = {
    "status": Arg("string", enum=ORDER_STATUSES),
    "customer_id": Arg("integer"),
    "parent_id": Arg("integer"),
    "billing": Arg("object"),
    "shipping": Arg("object"),
    "line_items": Arg("array"),
    "shipping_lines": Arg("array"),
    "fee_lines": Arg("array"),
    "coupon_lines": Arg("array"),
    "meta_data": Arg("array"),
    "set_paid": Arg("boolean"),
    "payment_method": Arg("string"),
    "payment_method_title": Arg("string"),
    "transaction_id": Arg("string"),
    "customer_note": Arg("string"),
    "created_via": Arg("string"),
}

ORDER_LIST_ARGS: dict[str, Arg] = {
    **PAGING,
    **DATE_FILTERS,
    "orderby": Arg("string", enum=CRUD_ORDERBY),
    "status": Arg("array", items=Arg("string", enum=("any", "trash", *ORDER_STATUSES))),
    "customer": Arg("integer"),
    "product": Arg("integer"),
    "dp": Arg("integer"),
    "parent": Arg("array", items=Arg("integer")),
}

_COPIED = (
    "payment_method",
    "payment_method_title",
    "transaction_id",
    "customer_note",
    "created_via",
)


class OrderStore:
    """Orders in SQLite."""

    def __init__(
        self,
        db: Database,
        *,
        lines: LineBuilder,
        lifecycle: OrderLifecycle,
        coupons: CouponStore,
        customers: CustomerStore,
        refunds: RefundStore,
        notes: NoteStore,
        clock: Clock,
        announce: Announcer,
        tax_office: TaxOffice,
    ) -> None:
        self.db = db
        self.lines = lines
        self.lifecycle = lifecycle
        self.refunds = refunds
        self.notes = notes
        self._coupons = coupons
        self._customers = customers
        self._clock = clock
        self._announce = announce
        self._taxes = tax_office
        lifecycle.auto_refund = lambda doc, amount, reason: refunds.record(doc, amount, reason)

    def find(self, order_id: int) -> Doc | None:
        """An order by id, or None."""
        row = self.db.one("SELECT doc FROM orders WHERE id = ?", (order_id,))
        return loads(row["doc"]) if row is not None else None

    def get(self, order_id: int, *, status: int = 404) -> Doc:
        """An order, or woocommerce_rest_shop_order_invalid_id."""
        doc = self.find(order_id)
        if doc is None:
            raise invalid_id("shop_order", status)
        return doc

    def create(self, payload: dict[str, Any]) -> Doc:
        """POST /orders (also the shopper checkout of the control plane)."""
        if payload.get("id"):
            raise WooError(
                "woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400
            )
        self._check_customer(payload)
        codes = [str(c.get("code", "")) for c in payload.get("coupon_lines") or [] if c]
        with self.db.transaction():
            doc = self._new_doc()
            doc["prices_include_tax"] = self._taxes.new_orders_include_tax()
            self._apply(doc, payload, creating=True)
            calculate_totals(doc, self._taxes.context(doc))
            self._insert(doc)
            unknown = [code for code in codes if self._coupons.by_code(code) is None]
            if unknown:
                doc["status"] = "checkout-draft"
                self.save(doc)
        if unknown:
            raise WooError(
                "woocommerce_rest_invalid_coupon",
                f"Coupon &quot;{unknown[0]}&quot; cannot be applied because it does not exist.",
                400,
                extra={"new_draft_order_id": doc["id"]},
            )
        with self.db.transaction():
            for code in codes:
                coupon = self._coupons.by_code(code)
                if coupon is not None:
                    doc["coupon_lines"].append(self.lines.coupon_line(coupon))
                    self._coupons.record_use(code, doc["billing"].get("email", ""))
            calculate_totals(doc, self._taxes.context(doc))
            wanted = payload.get("status") or "pending"
            self.lifecycle.transition(doc, "pending", wanted)
            if payload.get("set_paid") is True:
                self.lifecycle.payment_complete(doc, payload.get("transaction_id"))
            self.save(doc)
            self._announce("order", "created", doc["id"])
            self._announce("order", "updated", doc["id"])
        return doc

    def update(self, order_id: int, payload: dict[str, Any]) -> Doc:
        """PUT /orders/<id>."""
        doc = self.get(order_id, status=400)
        self._check_customer(payload)
        with self.db.transaction():
            self._apply(doc, payload, creating=False)
            for item in payload.get("coupon_lines") or []:
                coupon = self._coupons.by_code(str((item or {}).get("code", "")))
                known = {line["code"] for line in doc["coupon_lines"]}
                if coupon is not None and coupon["code"] not in known:
                    doc["coupon_lines"].append(self.lines.coupon_line(coupon))
            if any(
                key in payload
                for key in ("line_items", "shipping_lines", "fee_lines", "coupon_lines")
            ):
                calculate_totals(doc, self._taxes.context(doc))
            if payload.get("status"):
                self.lifecycle.transition(doc, doc["status"], str(payload["status"]))
            if payload.get("set_paid") is True:
                self.lifecycle.payment_complete(doc, payload.get("transaction_id"))
            self.save(doc)
            self._announce("order", "updated", order_id)
        return doc

    def refund(self, order_id: int, payload: dict[str, Any], *, user_id: int) -> Doc:
        """POST /orders/<id>/refunds; a refund of everything left marks the order refunded."""
        order = self.find(order_id)
        if order is None:
            raise WooError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        with self.db.transaction():
            refund = self.refunds.create(order, payload, user_id=user_id)
            if remaining_refund(order) <= 0 and order["status"] != "refunded":
                self.lifecycle.transition(order, order["status"], "refunded")
            self.save(order)
            self._announce("order", "updated", order_id)
        return refund

    def set_status(self, order_id: int, status: str) -> Doc:
        """A merchant changing an order's status in the admin."""
        return self.update(order_id, {"status": status})

    def delete(self, order_id: int, *, force: bool) -> Doc:
        """DELETE /orders/<id>: trash, or remove with force."""
        doc = self.get(order_id)
        before = copy.deepcopy(doc)
        if force:
            with self.db.transaction():
                self.db.execute("DELETE FROM orders WHERE id = ?", (order_id,))
                self.refunds.delete_all(order_id)
                self.notes.delete_all(order_id)
            return before
        if doc["status"] == "trash":
            raise already_trashed("shop_order")
        with self.db.transaction():
            doc["_status_before_trash"] = doc["status"]
            doc["status"] = "trash"
            self.save(doc)
            self._announce("order", "deleted", order_id)
        return before

    def save(self, doc: Doc) -> None:
        """Write an order back, bumping its modification date."""
        doc["date_modified"] = stored(self._clock())
        self.db.execute(
            "UPDATE orders SET status=?, customer_id=?, date_modified_gmt=?, doc=? WHERE id=?",
            (doc["status"], doc["customer_id"], doc["date_modified"], dumps(doc), doc["id"]),
        )

    def query(self, args: dict[str, Any], *, ties: TieOrder) -> Page[Doc]:
        """GET /orders with validated arguments.

        HPOS breaks `date` ties by id (the CRUD controller asks for `date ID`), but
        not `modified` ones.
        """
        query = ListQuery.from_args(args)
        where = Where()
        statuses = [s for s in args.get("status") or ["any"] if s]
        if "any" in statuses:
            where.add("status NOT IN ('trash', 'auto-draft')")
        else:
            where.add_in("status", statuses)
        if args.get("customer") is not None:
            where.add("customer_id = ?", int(args["customer"]))
        if args.get("product"):
            where.add(
                "EXISTS (SELECT 1 FROM json_each(doc, '$.line_items') "
                "WHERE json_extract(value, '$.product_id') = ?)",
                int(args["product"]),
            )
        if query.search:
            where.add("doc LIKE ?", f"%{query.search}%")
        query.add_common(
            where, created="date_created_gmt", modified="date_modified_gmt", id_column="id"
        )
        columns = {"date": "date_created_gmt", "id": "id", "modified": "date_modified_gmt"}
        order = query.order_sql(
            columns | {"title": "id", "slug": "id"}, id_column="id", ties=ties, id_breaks=("date",)
        )
        limit, offset = query.limit_offset()
        count = self.db.one(
            f"SELECT COUNT(*) AS n FROM orders WHERE {where.sql()}", tuple(where.params)
        )
        rows = self.db.all(
            f"SELECT doc FROM orders WHERE {where.sql()} ORDER BY {order} LIMIT ? OFFSET ?",
            (*where.params, limit, offset),
        )
        total = int(count["n"]) if count is not None else 0
        return Page([loads(row["doc"]) for row in rows], total, query.page, query.per_page)

    # -- building ----------------------------------------------------------------------------

    def _new_doc(self) -> Doc:
        when = stored(self._clock())
        key = "wc_order_" + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(13)
        )
        empty = dict.fromkeys(ADDRESS_FIELDS, "")
        return {
            "id": 0,
            "parent_id": 0,
            "status": "pending",
            "currency": "USD",
            "version": "10.0.2",
            "prices_include_tax": False,
            "date_created": when,
            "date_modified": when,
            "discount_total": "0.00",
            "discount_tax": "0.00",
            "shipping_total": "0.00",
            "shipping_tax": "0.00",
            "cart_tax": "0.00",
            "total": "0.00",
            "total_tax": "0.00",
            "customer_id": 0,
            "order_key": key,
            "billing": {**empty, "email": "", "phone": ""},
            "shipping": {**empty, "phone": ""},
            "payment_method": "",
            "payment_method_title": "",
            "transaction_id": "",
            "customer_ip_address": "",
            "customer_user_agent": "",
            "created_via": "rest-api",
            "customer_note": "",
            "date_completed": None,
            "date_paid": None,
            "cart_hash": "",
            "meta_data": [],
            "line_items": [],
            "shipping_lines": [],
            "fee_lines": [],
            "coupon_lines": [],
            "tax_lines": [],
            "_refunds": [],
            "_stock_reduced": False,
            "_recorded_sales": False,
        }

    def _insert(self, doc: Doc) -> None:
        doc["id"] = self.db.next_id("post")
        self.db.execute(
            "INSERT INTO orders(id, status, customer_id, date_created_gmt, date_modified_gmt, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc["id"],
                doc["status"],
                doc["customer_id"],
                doc["date_created"],
                doc["date_modified"],
                dumps(doc),
            ),
        )

    def _check_customer(self, payload: dict[str, Any]) -> None:
        customer_id = payload.get("customer_id")
        if customer_id and self._customers.find(int(customer_id)) is None:
            raise WooError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)

    def _apply(self, doc: Doc, payload: dict[str, Any], *, creating: bool) -> None:
        for key in _COPIED:
            if key in payload and payload[key] is not None:
                doc[key] = str(payload[key])
        if "parent_id" in payload:
            doc["parent_id"] = int(payload["parent_id"] or 0)
        if "customer_id" in payload:
            doc["customer_id"] = int(payload["customer_id"] or 0)
        for kind in ("billing", "shipping"):
            if isinstance(payload.get(kind), dict):
                for field, value in payload[kind].items():
                    if field in doc[kind]:
                        doc[kind][field] = "" if value is None else str(value)
        if doc["customer_id"] and not doc["billing"]["email"]:
            # Golden 120: only the e-mail is copied from the customer's profile.
            customer = self._customers.find(doc["customer_id"])
            if customer is not None:
                doc["billing"]["email"] = customer["email"]
        if isinstance(payload.get("meta_data"), list):
            upsert_meta(doc["meta_data"], payload["meta_data"], self.db)
        self._apply_lines(doc, payload, creating=creating)

    def _apply_lines(self, doc: Doc, payload: dict[str, Any], *, creating: bool) -> None:
        for item in payload.get("line_items") or []:
            if not isinstance(item, dict):
                continue
            existing = next((x for x in doc["line_items"] if x["id"] == item.get("id")), None)
            if existing is None:
                doc["line_items"].append(self.lines.new_line(item, creating=True))
            elif int(item.get("quantity", 1) or 0) == 0 or (
                "product_id" in item and item["product_id"] is None
            ):
                self.lifecycle.release_line(doc, existing)
                doc["line_items"].remove(existing)
            else:
                self.lines.update_line(existing, item)
        for key, build in (
            ("shipping_lines", self.lines.shipping_line),
            ("fee_lines", self.lines.fee_line),
        ):
            for item in payload.get(key) or []:
                if not isinstance(item, dict):
                    continue
                existing = next((x for x in doc[key] if x["id"] == item.get("id")), None)
                if existing is None:
                    doc[key].append(build(item))
                elif item.get("method_id", "x") is None or item.get("name", "x") is None:
                    doc[key].remove(existing)
                else:
                    existing.update({k: v for k, v in build(item).items() if k in item})
