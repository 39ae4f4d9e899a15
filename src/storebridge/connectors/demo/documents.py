"""The demo POS's write side: customers, invoices and credits, exactly once.

Every function here runs inside the caller's ``BEGIN IMMEDIATE`` transaction
(see `demo_schema.transaction`), which is what makes an export exactly once:

* the idempotency key is looked up *and* the document inserted under a UNIQUE
  key in the same transaction, so a retry after a crash finds the document
  instead of writing a second one;
* the document, its lines and the stock it moves commit together or not at
  all, so a crash mid-write leaves nothing to find and the retry writes it
  whole.

Stock rules (documented for the allocation end-to-end tests): an invoice line
whose SKU the POS knows takes its quantity from the *web location* first, then
from the other locations in configured order, and never drives a location
below 0 unless negative stock is allowed (the shortfall then lands on the web
location).  A credit puts returned units back on the web location.  Lines for
unknown SKUs are booked as non-inventory lines and move no stock.

Customers are matched by e-mail, trimmed and case-folded.  Checkouts without
an e-mail all book on one shared ``WEB-GUEST`` customer, as a till does with
its walk-in customer: a per-order guest record would fill the customer list
with one-off names nobody can match later.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from storebridge.connectors.balance import refuse_unbalanced
from storebridge.domain.model import (
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
    sku_key,
)
from storebridge.errors import PosRejected
from storebridge.ports import WriteReceipt

__all__ = [
    "GUEST_REF",
    "StockRules",
    "pos_sku",
    "upsert_customer",
    "write_credit",
    "write_order",
]

GUEST_REF = "WEB-GUEST"
_PREFIX = {"invoice": "INV", "credit": "CR"}


class StockRules:
    """Where web documents move stock (see the module docstring)."""

    def __init__(
        self, web_location: str, locations: Sequence[str], allow_negative: bool = False
    ) -> None:
        self.web_location = web_location
        # Fallback order: the web location first, then the others as configured.
        self.order = [web_location, *(loc for loc in locations if loc != web_location)]
        self.allow_negative = allow_negative


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a document body")


def _body(document: OrderDocument | CreditDocument) -> str:
    return json.dumps(asdict(document), default=_json_default, sort_keys=True)


def _address_json(customer: CustomerDoc) -> tuple[str, str]:
    return json.dumps(asdict(customer.billing)), json.dumps(asdict(customer.shipping))


def _next_seq(conn: sqlite3.Connection, meta_key: str) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (meta_key,)).fetchone()
    seq = int(row["value"]) if row else 1
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (meta_key, str(seq + 1)),
    )
    return seq


def upsert_customer(
    conn: sqlite3.Connection, customer: CustomerDoc, now: datetime, *, update: bool = True
) -> str:
    """Match by e-mail (trimmed, case-folded), else create; returns the customer ref."""
    email_key = customer.email.strip().casefold()
    billing, shipping = _address_json(customer)
    stamp = now.isoformat()
    if not email_key:
        conn.execute(
            "INSERT OR IGNORE INTO customers (ref, email, email_key, first_name, last_name,"
            " created_at, updated_at) VALUES (?, '', NULL, 'WEB', 'GUEST', ?, ?)",
            (GUEST_REF, stamp, stamp),
        )
        return GUEST_REF
    row = conn.execute("SELECT ref FROM customers WHERE email_key = ?", (email_key,)).fetchone()
    if row is not None:
        if update:
            # Addresses follow the latest order; names and the ref stay the POS's own.
            conn.execute(
                "UPDATE customers SET billing = ?, shipping = ?,"
                " phone = CASE WHEN ? <> '' THEN ? ELSE phone END, updated_at = ? WHERE ref = ?",
                (billing, shipping, customer.phone, customer.phone, stamp, row["ref"]),
            )
        return str(row["ref"])
    ref = f"C-{_next_seq(conn, 'next_customer_seq'):06d}"
    conn.execute(
        "INSERT INTO customers (ref, email, email_key, first_name, last_name, company, phone,"
        " billing, shipping, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ref,
            customer.email.strip(),
            email_key,
            customer.first_name,
            customer.last_name,
            customer.billing.company,
            customer.phone or customer.billing.phone,
            billing,
            shipping,
            stamp,
            stamp,
        ),
    )
    return ref


def pos_sku(conn: sqlite3.Connection, sku: str | None) -> str | None:
    """The POS's own spelling of `sku`, or None when the POS does not know it."""
    if sku is None or not sku.strip():
        return None
    row = conn.execute("SELECT sku FROM items WHERE sku_key = ?", (sku_key(sku),)).fetchone()
    return None if row is None else str(row["sku"])


def _move(
    conn: sqlite3.Connection,
    sku: str,
    location: str,
    delta: int,
    reason: str,
    ref: str,
    now: datetime,
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO stock (sku, location, on_hand) VALUES (?, ?, 0)", (sku, location)
    )
    conn.execute(
        "UPDATE stock SET on_hand = on_hand + ? WHERE sku = ? AND location = ?",
        (delta, sku, location),
    )
    conn.execute(
        "INSERT INTO stock_moves (sku, location, delta, reason, document_ref, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (sku, location, delta, reason, ref, now.isoformat()),
    )


def _take_stock(
    conn: sqlite3.Connection, rules: StockRules, sku: str, quantity: int, ref: str, now: datetime
) -> None:
    """Lower on-hand for a sold web line (web location first, see the module docstring)."""
    remaining = quantity
    for location in rules.order:
        if remaining <= 0:
            break
        row = conn.execute(
            "SELECT on_hand FROM stock WHERE sku = ? AND location = ?", (sku, location)
        ).fetchone()
        take = min(remaining, max(row["on_hand"], 0)) if row else 0
        if take:
            _move(conn, sku, location, -take, "web_invoice", ref, now)
            remaining -= take
    if remaining > 0 and rules.allow_negative:
        _move(conn, sku, rules.web_location, -remaining, "web_invoice", ref, now)


def _insert_line(
    conn: sqlite3.Connection, ref: str, line_no: int, kind: str, sku: str | None, line: DocLine
) -> None:
    conn.execute(
        "INSERT INTO document_lines (document_ref, line_no, kind, sku, name, quantity,"
        " unit_price, total, tax, gross, tax_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ref,
            line_no,
            kind,
            sku,
            line.name,
            line.quantity,
            str(line.unit_price),
            str(line.total),
            str(line.tax),
            str(line.gross),
            str(line.tax_rate),
        ),
    )


def _charge_line(charge: ChargeLine) -> DocLine:
    """A shipping or fee charge booked as a one-unit line."""
    return DocLine(
        None,
        charge.name,
        1,
        charge.total,
        charge.total,
        charge.total,
        charge.tax,
        tax_rate=charge.tax_rate,
    )


def _existing(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT ref, customer_ref FROM documents WHERE idempotency_key = ?", (key,)
    ).fetchone()
    return row


def _insert_document(
    conn: sqlite3.Connection,
    kind: str,
    document: OrderDocument | CreditDocument,
    customer_ref: str,
    original_ref: str | None,
    now: datetime,
) -> str:
    seq = _next_seq(conn, f"next_{kind}_seq")
    ref = f"{_PREFIX[kind]}-{seq:06d}"
    conn.execute(
        "INSERT INTO documents (ref, kind, seq, idempotency_key, customer_ref, original_ref,"
        " total, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ref,
            kind,
            seq,
            document.idempotency_key,
            customer_ref,
            original_ref,
            str(document.total),
            _body(document),
            now.isoformat(),
        ),
    )
    return ref


def write_order(
    conn: sqlite3.Connection,
    document: OrderDocument,
    rules: StockRules,
    now: datetime,
    *,
    update_customers: bool = True,
) -> WriteReceipt:
    """Book `document` as an invoice once; a known idempotency key returns the first booking."""
    existing = _existing(conn, document.idempotency_key)
    if existing is not None:
        return WriteReceipt(existing["ref"], existing["customer_ref"], already_existed=True)
    refuse_unbalanced(document)
    customer_ref = upsert_customer(conn, document.customer, now, update=update_customers)
    ref = _insert_document(conn, "invoice", document, customer_ref, None, now)
    line_no = 0
    sold: list[tuple[str, int]] = []
    for line in document.lines:
        line_no += 1
        known = pos_sku(conn, line.sku)
        kind = "item" if known is not None else "non_inventory"
        _insert_line(conn, ref, line_no, kind, known or line.sku, line)
        if known is not None:
            sold.append((known, line.quantity))
    for charge in document.charges:
        line_no += 1
        _insert_line(conn, ref, line_no, charge.kind, None, _charge_line(charge))
    for sku, quantity in sold:
        _take_stock(conn, rules, sku, quantity, ref, now)
    return WriteReceipt(ref, customer_ref)


def write_credit(
    conn: sqlite3.Connection, document: CreditDocument, rules: StockRules, now: datetime
) -> str:
    """Book `document` as a credit note once, returning stock for known SKUs."""
    existing = _existing(conn, document.idempotency_key)
    if existing is not None:
        return str(existing["ref"])
    original = conn.execute(
        "SELECT ref, customer_ref FROM documents WHERE ref = ? AND kind = 'invoice'",
        (document.original_pos_ref,),
    ).fetchone()
    if original is None:
        raise PosRejected(
            f"credit {document.idempotency_key}: invoice {document.original_pos_ref!r} is not in "
            "the demo POS; check the order's export record before retrying"
        )
    refuse_unbalanced(document)
    ref = _insert_document(conn, "credit", document, original["customer_ref"], original["ref"], now)
    for line_no, line in enumerate(document.lines, start=1):
        known = pos_sku(conn, line.sku)
        _insert_line(
            conn, ref, line_no, "item" if known else "non_inventory", known or line.sku, line
        )
        # Refund lines may carry negative quantities (WooCommerce does); units come back either way.
        if known is not None and line.quantity != 0:
            _move(conn, known, rules.web_location, abs(line.quantity), "credit", ref, now)
    for line_no, charge in enumerate(document.charges, start=len(document.lines) + 1):
        _insert_line(conn, ref, line_no, charge.kind, None, _charge_line(charge))
    return ref
