"""Every connector books the money breakdown and refuses a document that does not balance."""

from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from connector_samples import order
from sqlalchemy import text

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.demo.schema import connect, ensure_schema
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.domain.model import ChargeLine, DocLine, imbalance
from storebridge.errors import PosRejected
from storebridge.ports import PosConnector


def _taxed_line(sku: str) -> DocLine:
    return DocLine(
        sku=sku,
        name=f"Item {sku}",
        quantity=3,
        unit_price=Decimal("9.09"),
        subtotal=Decimal("27.27"),
        total=Decimal("27.27"),
        tax=Decimal("2.73"),
        tax_rate=Decimal(10),
    )


def test_an_unbalanced_document_is_refused_and_nothing_is_written(
    connector: PosConnector, known_sku: str, tmp_path: Path
) -> None:
    document = dataclasses.replace(order(lines=(_taxed_line(known_sku),)), total=Decimal("35.00"))
    assert imbalance(document) == Decimal("-0.05")  # 30.00 gross + 4.95 shipping
    with pytest.raises(PosRejected, match=r"difference -0\.05"):
        connector.write_order(document)
    assert connector.find_document(document.idempotency_key) is None


def test_a_balanced_taxed_document_is_booked_with_its_gross_and_rate(
    connector: PosConnector, known_sku: str, tmp_path: Path
) -> None:
    shipping = ChargeLine(
        "shipping", "Flat", Decimal("5.00"), Decimal("0.50"), tax_rate=Decimal(10)
    )
    document = dataclasses.replace(
        order(lines=(_taxed_line(known_sku),)),
        charges=(shipping,),
        tax_total=Decimal("3.23"),
        total=Decimal("35.50"),
    )
    assert imbalance(document) == 0
    receipt = connector.write_order(document)
    assert connector.find_document(document.idempotency_key) == receipt.pos_ref
    if isinstance(connector, DemoPos):
        with sqlite3.connect(connector.settings.path) as conn:
            booked = conn.execute(
                "SELECT kind, total, tax, gross, tax_rate FROM document_lines"
                " WHERE document_ref = ? ORDER BY line_no",
                (receipt.pos_ref,),
            ).fetchall()
    elif isinstance(connector, SqlConnector):
        with connector.engine.connect() as conn:
            booked = [
                (kind, str(total), str(tax), str(gross), f"{rate.normalize():f}")
                for kind, total, tax, gross, rate in conn.execute(
                    text(
                        "SELECT l.kind, l.total, l.tax, l.gross, l.tax_rate"
                        " FROM sb_document_lines l JOIN sb_documents d ON d.id = l.document_id"
                        " WHERE d.idempotency_key = :key ORDER BY l.line_no"
                    ),
                    {"key": document.idempotency_key},
                )
            ]
    elif isinstance(connector, TrytonConnector):
        # Tryton books net lines carrying its own 10 % tax; its totals are WooCommerce's
        (sale,) = connector.rpc.call(
            "sale.sale",
            "search_read",
            [("number", "=", receipt.pos_ref)],
            0,
            1,
            None,
            ["lines", "untaxed_amount", "tax_amount", "total_amount"],
        )
        assert [sale[f] for f in ("untaxed_amount", "tax_amount", "total_amount")] == [
            Decimal("32.27"),
            Decimal("3.23"),
            Decimal("35.50"),
        ]
        rows = connector.rpc.call("sale.line", "read", sale["lines"], ["amount", "taxes"])
        booked = [(str(row["amount"]), len(row["taxes"])) for row in rows]
        assert sorted(booked) == [("27.27", 1), ("5.00", 1)]
        return
    else:
        csv_text = (tmp_path / "outbox" / f"{receipt.pos_ref}.csv").read_text()
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        booked = [
            (r["record_type"], r["net"], r["tax"], r["gross"], r["tax_rate"])
            for r in rows
            if r["record_type"] != "H"
        ]
    assert [tuple(row)[1:] for row in booked] == [
        ("27.27", "2.73", "30.00", "10"),
        ("5.00", "0.50", "5.50", "10"),
    ]


def test_an_older_demo_database_gains_the_breakdown_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE document_lines (document_ref TEXT NOT NULL, line_no INTEGER NOT NULL,"
            " kind TEXT NOT NULL, sku TEXT, name TEXT NOT NULL, quantity INTEGER NOT NULL,"
            " unit_price TEXT NOT NULL, total TEXT NOT NULL, tax TEXT NOT NULL,"
            " PRIMARY KEY (document_ref, line_no))"
        )
    conn = connect(path)
    try:
        ensure_schema(conn)
        ensure_schema(conn)  # idempotent
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(document_lines)")}
    finally:
        conn.close()
    assert {"gross", "tax_rate"} <= columns
