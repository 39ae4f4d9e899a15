"""Taxed orders end to end, on every connector: sandbox with taxes on -> export -> POS/ERP.

The sandbox computes taxes the way WooCommerce 10.0.2 does (goldens
164-201). Whatever the POS/ERP (demo POS, file feed, Tryton, SQL on
PostgreSQL and MariaDB), what it books must add up to WooCommerce's total
and tax to the cent, for prices entered with and without tax, with a
percentage coupon, shipping, a taxed and an untaxed fee, and a partial
refund booked as a credit with the same breakdown. Tryton computes its own
totals (its 10 % tax, mapped by the connector's `taxes`); the others hold
WooCommerce's lines, each with net + tax = gross at its rate. A refund
whose lines miss its amount is parked, not written.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from connector_samples import settings_json, tryton_settings
from sqlalchemy import text
from tests.orders.orders_helpers import EARLY_GO_LIVE, STORE, Shop, make_shop

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.server import TrytonServer
from storebridge.ports import PosConnector
from storebridge.sync.export.engine import export_orders

CALC_TAXES = "/settings/general/woocommerce_calc_taxes"
PRICES_INCLUDE_TAX = "/settings/tax/woocommerce_prices_include_tax"
TEN = Decimal(10)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Row:
    """One booked line of a POS document: kind, net, tax, gross, rate (Tryton: tax unknown)."""

    kind: str
    net: Decimal
    tax: Decimal | None
    gross: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Booked:
    """A document as the POS/ERP holds it: its total and tax (positive), and its lines."""

    total: Decimal
    tax: Decimal
    rows: list[Row]


@pytest.fixture
def taxed_shop(
    connector_settings: ConnectorSettings, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Shop]:
    """A shop on this test's connector, every POS item selected for the web."""
    connector = json.loads(settings_json(connector_settings))
    with make_shop(
        tmp_path,
        _sqlite_template,
        connector=connector,
        selection="all",
        export_orders_since=EARLY_GO_LIVE,
    ) as shop:
        yield shop


def pos_of(shop: Shop) -> PosConnector:
    connector: PosConnector = shop.services.store(STORE).connector
    return connector


async def _taxes_on(shop: Shop, *, include: bool) -> int:
    await shop.api("PUT", CALC_TAXES, json={"value": "yes"})
    await shop.api("PUT", PRICES_INCLUDE_TAX, json={"value": "yes" if include else "no"})
    rate = await shop.api("POST", "/taxes", json={"country": "US", "rate": "10", "name": "VAT"})
    await shop.api(
        "POST", "/coupons", json={"code": "TEN", "discount_type": "percent", "amount": "10"}
    )
    return int(rate["id"])


def _two_skus(shop: Shop) -> tuple[str, str]:
    """Two simple items the POS holds at least 3 of, priced, and now products in WooCommerce."""
    items = list(pos_of(shop).read_items())  # read to the end: a SQL reader holds its connection
    found = [
        str(item.sku)
        for item in items
        if item.parent_code is None
        and item.sku
        and sum(Decimal(str(q)) for q in item.on_hand.values()) >= 3
        and shop.sandbox.products.by_sku(str(item.sku)) is not None
    ]
    assert len(found) >= 2, found
    first, second = sorted(found)[:2]
    return first, second


async def _taxed_order(shop: Shop) -> dict[str, Any]:
    first, second = _two_skus(shop)
    order = shop.place(
        [(first, 2), (second, 1)],
        status="processing",
        shipping_lines=[{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}],
        fee_lines=[
            {"name": "Handling", "total": "3.00"},
            {"name": "Gift wrap", "total": "2.50", "tax_status": "none"},
        ],
        coupon_lines=[{"code": "ten"}],
    )
    shop.set_status(order["id"], "completed")
    await shop.refresh()
    return order


def _csv(path: Path) -> Booked:
    records = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = next(r for r in records if r["record_type"] == "H")
    rows = [
        Row(r["record_type"], Decimal(r["net"]), Decimal(r["tax"]), Decimal(r["gross"]),
            Decimal(r["tax_rate"]))
        for r in records
        if r["record_type"] != "H"
    ]  # fmt: skip
    assert Decimal(header["net"]) + Decimal(header["tax"]) == Decimal(header["gross"])
    return Booked(Decimal(header["gross"]), Decimal(header["tax"]), rows)


def booked(connector: PosConnector, key: str, tmp_path: Path) -> Booked:
    """What the POS/ERP holds under idempotency key `key` (an invoice or a credit)."""
    if isinstance(connector, DemoPos):
        with sqlite3.connect(connector.settings.path) as conn:
            (ref, total) = conn.execute(
                "SELECT ref, total FROM documents WHERE idempotency_key = ?", (key,)
            ).fetchone()
            found = conn.execute(
                "SELECT kind, total, tax, gross, tax_rate FROM document_lines"
                " WHERE document_ref = ? ORDER BY line_no",
                (ref,),
            ).fetchall()
        rows = [Row(k, Decimal(n), Decimal(t), Decimal(g), Decimal(r)) for k, n, t, g, r in found]
        return Booked(Decimal(total), sum((r.tax or 0 for r in rows), Decimal(0)), rows)
    if isinstance(connector, FileFeed):
        outbox = connector.settings.outbox
        name = key.replace(":", "__") + ".csv"
        [path] = [p for p in (outbox / name, outbox / "credits" / name) if p.exists()]
        return _csv(path)
    if isinstance(connector, SqlConnector):
        with connector.engine.connect() as conn:
            (doc_id, total, tax) = conn.execute(
                text("SELECT id, total, tax_total FROM sb_documents WHERE idempotency_key = :k"),
                {"k": key},
            ).one()
            found = conn.execute(
                text(
                    "SELECT kind, total, tax, gross, tax_rate FROM sb_document_lines"
                    " WHERE document_id = :d ORDER BY line_no"
                ),
                {"d": doc_id},
            ).all()
        rows = [Row(k, Decimal(n), Decimal(t), Decimal(g), Decimal(r)) for k, n, t, g, r in found]
        return Booked(Decimal(total), Decimal(tax), rows)
    assert isinstance(connector, TrytonConnector)
    (sale,) = connector.rpc.call(
        "sale.sale",
        "search_read",
        [("web_id", "=", key)],
        0,
        1,
        None,
        ["lines", "tax_amount", "total_amount", "state"],
    )
    assert sale["state"] in ("processing", "done")
    lines = connector.rpc.call("sale.line", "read", sale["lines"], ["amount", "taxes"])
    # a return sale is negative in Tryton; the credit it books is the positive amount
    sign = -1 if sale["total_amount"] < 0 else 1
    rows = [
        Row("line", sign * ln["amount"], None, None, TEN if ln["taxes"] else Decimal(0))
        for ln in lines
    ]
    return Booked(sign * sale["total_amount"], sign * sale["tax_amount"], rows)


def _assert_breakdown(rows: list[Row], *, taxed_at_rate: bool = True) -> None:
    """net + tax = gross on every line; on an order, tax = net x rate rounded half up."""
    for row in rows:
        if row.tax is not None:
            assert row.net + row.tax == row.gross
            if taxed_at_rate:
                expected = (row.net * row.rate / 100).quantize(CENT, rounding="ROUND_HALF_UP")
                assert row.tax == expected


@pytest.mark.parametrize("include", [False, True], ids=["net-prices", "gross-prices"])
async def test_a_taxed_order_and_its_refund_balance_to_the_cent_in_every_pos(
    taxed_shop: Shop, include: bool, tmp_path: Path
) -> None:
    shop = taxed_shop
    await shop.sync_products()
    rate_id = await _taxes_on(shop, include=include)
    order = await _taxed_order(shop)
    assert Decimal(order["total_tax"]) > 0 and Decimal(order["discount_total"]) > 0
    report = await shop.export()
    assert report.counts["exported"] == 1, report.problems

    invoice = booked(pos_of(shop), f"{STORE}:{order['id']}", tmp_path)
    assert (invoice.total, invoice.tax) == (Decimal(order["total"]), Decimal(order["total_tax"]))
    assert sum(row.net for row in invoice.rows) == Decimal(order["total"]) - Decimal(
        order["total_tax"]
    )
    _assert_breakdown(invoice.rows)
    # two products, shipping and the handling fee at 10 %; the gift wrap untaxed
    assert sorted(row.rate for row in invoice.rows) == [Decimal(0), TEN, TEN, TEN, TEN]

    # A partial refund of one unit of the first line, with its tax, becomes a credit.
    first = order["line_items"][0]
    unit_net = (Decimal(first["total"]) / 2).quantize(CENT)
    unit_tax = (Decimal(first["total_tax"]) / 2).quantize(CENT)
    refund = await shop.api(
        "POST",
        f"/orders/{order['id']}/refunds",
        json={
            "amount": str(unit_net + unit_tax),
            "api_refund": False,
            "line_items": [
                {
                    "id": first["id"],
                    "quantity": 1,
                    "refund_total": str(unit_net),
                    "refund_tax": [{"id": rate_id, "refund_total": str(unit_tax)}],
                }
            ],
        },
    )
    await shop.refresh()
    report = await shop.export()
    assert report.counts["credits"] == 1, report.problems
    credit = booked(pos_of(shop), f"{STORE}:{order['id']}:credit:{refund['id']}", tmp_path)
    assert (credit.total, credit.tax) == (unit_net + unit_tax, unit_tax)
    [row] = credit.rows
    assert (row.net, row.rate) == (unit_net, TEN)
    _assert_breakdown(credit.rows, taxed_at_rate=False)  # the refund's tax is what was typed


async def test_a_refund_whose_lines_miss_its_amount_is_parked_and_not_written(
    taxed_shop: Shop, tmp_path: Path, count_documents: Any
) -> None:
    shop = taxed_shop
    await shop.sync_products()
    await _taxes_on(shop, include=False)
    order = await _taxed_order(shop)
    await shop.export()
    first = order["line_items"][0]
    refund = await shop.api(
        "POST",
        f"/orders/{order['id']}/refunds",
        json={
            "amount": "12.00",
            "api_refund": False,
            "line_items": [{"id": first["id"], "quantity": 1, "refund_total": "9.00"}],
        },
    )
    await shop.refresh()
    await shop.export()
    [credit] = shop.credits(order["id"])
    assert credit.state == "parked"
    assert credit.last_error is not None and "by -3.00" in credit.last_error
    key = f"{STORE}:{order['id']}:credit:{refund['id']}"
    assert count_documents(pos_of(shop), key) == 0
    assert credit.amount == Decimal("12.00")


async def test_a_rate_tryton_has_no_tax_for_stops_the_run_and_leaves_the_order_to_export(
    tryton: TrytonServer, tmp_path: Path, _sqlite_template: Path
) -> None:
    unmapped = json.loads(settings_json(tryton_settings(tryton.url, taxes={})))
    with make_shop(
        tmp_path,
        _sqlite_template,
        connector=unmapped,
        selection="all",
        export_orders_since=EARLY_GO_LIVE,
    ) as shop:
        await shop.sync_products()
        await _taxes_on(shop, include=False)
        order = await _taxed_order(shop)
        report = await export_orders(shop.services, STORE)
        assert report.error is not None and 'taxes."10"' in report.error
        row = shop.export_row(order["id"])
        assert row is not None and row.state == "eligible"  # not parked: fixed by config
        rpc = pos_of(shop)
        assert isinstance(rpc, TrytonConnector)
        key = f"{STORE}:{order['id']}"
        assert rpc.rpc.call("sale.sale", "search_count", [("web_id", "=", key)]) == 0
