"""Taxed orders end to end: sandbox with taxes on -> export -> demo POS and file feed.

The sandbox computes the taxes the way WooCommerce 10.0.2 does (goldens
164-201). Each POS/ERP must receive lines whose net + tax = gross at the
rate, adding up to WooCommerce's total to the cent, for prices entered with
and without tax, with a coupon, shipping, a taxed and an untaxed fee, and a
partial refund; a refund whose lines miss its amount is parked, not written.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import Shop, make_shop

CALC_TAXES = "/settings/general/woocommerce_calc_taxes"
PRICES_INCLUDE_TAX = "/settings/tax/woocommerce_prices_include_tax"
TEN = Decimal(10)


@dataclass(frozen=True)
class Row:
    """One booked line of a POS document: kind, net, tax, gross, rate."""

    kind: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    rate: Decimal


@pytest.fixture(params=["demo", "file_feed"])
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def taxed_shop(kind: str, tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    if kind == "demo":
        with make_shop(tmp_path, _sqlite_template, stock=STOCK) as shop:
            yield shop
        return
    feed = tmp_path / "feed.csv"
    rows = "".join(f"{sku},Item {sku},10.00,9\n" for sku in STOCK)
    feed.write_text("sku,name,price,quantity\n" + rows, encoding="utf-8")
    connector = {"type": "file_feed", "path": str(feed), "outbox": str(tmp_path / "outbox")}
    with make_shop(tmp_path, _sqlite_template, connector=connector, selection="all") as shop:
        yield shop


async def _taxes_on(shop: Shop, *, include: bool) -> int:
    await shop.api("PUT", CALC_TAXES, json={"value": "yes"})
    await shop.api("PUT", PRICES_INCLUDE_TAX, json={"value": "yes" if include else "no"})
    rate = await shop.api("POST", "/taxes", json={"country": "US", "rate": "10", "name": "VAT"})
    await shop.api(
        "POST", "/coupons", json={"code": "TEN", "discount_type": "percent", "amount": "10"}
    )
    return int(rate["id"])


async def _taxed_order(shop: Shop) -> dict[str, Any]:
    order = shop.place(
        [("MUG-1", 2), ("CAP-2", 1)],
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


def _rows(shop: Shop, kind: str, tmp_path: Path, *, credit: bool) -> list[Row]:
    """The lines of the (only) invoice or credit the POS/ERP received."""
    if kind == "demo":
        wanted = "credit" if credit else "invoice"
        with sqlite3.connect(shop.pos.settings.path) as conn:
            found = conn.execute(
                "SELECT l.kind, l.total, l.tax, l.gross, l.tax_rate FROM document_lines l"
                " JOIN documents d ON d.ref = l.document_ref WHERE d.kind = ?"
                " ORDER BY l.line_no",
                (wanted,),
            ).fetchall()
        return [Row(k, Decimal(n), Decimal(t), Decimal(g), Decimal(r)) for k, n, t, g, r in found]
    folder = tmp_path / "outbox" / ("credits" if credit else "")
    [path] = sorted(folder.glob("*.csv"))
    records = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return [
        Row(r["record_type"], Decimal(r["net"]), Decimal(r["tax"]), Decimal(r["gross"]),
            Decimal(r["tax_rate"]))
        for r in records
        if r["record_type"] != "H"
    ]  # fmt: skip


def _header(kind: str, tmp_path: Path, *, credit: bool) -> dict[str, str]:
    folder = tmp_path / "outbox" / ("credits" if credit else "")
    [path] = sorted(folder.glob("*.csv"))
    records = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return next(r for r in records if r["record_type"] == "H")


@pytest.mark.parametrize("include", [False, True], ids=["net-prices", "gross-prices"])
async def test_a_taxed_order_and_its_refund_balance_to_the_cent_in_the_pos(
    taxed_shop: Shop, kind: str, include: bool, tmp_path: Path
) -> None:
    shop = taxed_shop
    await shop.sync_products()
    rate_id = await _taxes_on(shop, include=include)
    order = await _taxed_order(shop)
    assert Decimal(order["total_tax"]) > 0
    report = await shop.export()
    assert report.counts["exported"] == 1, report.problems

    rows = _rows(shop, kind, tmp_path, credit=False)
    assert sum(row.gross for row in rows) == Decimal(order["total"])
    assert sum(row.tax for row in rows) == Decimal(order["total_tax"])
    for row in rows:
        assert row.net + row.tax == row.gross
    wrap = rows[-1]
    assert (wrap.tax, wrap.rate) == (Decimal("0.00"), Decimal(0))  # the untaxed fee
    assert {row.rate for row in rows[:-1]} == {TEN}
    if kind == "file_feed":
        header = _header(kind, tmp_path, credit=False)
        assert Decimal(header["gross"]) == Decimal(order["total"])
        assert Decimal(header["net"]) + Decimal(header["tax"]) == Decimal(header["gross"])

    # A partial refund of one mug, with its tax, becomes a credit with the same breakdown.
    mug = order["line_items"][0]
    unit_net = (Decimal(mug["total"]) / 2).quantize(Decimal("0.01"))
    unit_tax = (Decimal(mug["total_tax"]) / 2).quantize(Decimal("0.01"))
    await shop.api(
        "POST",
        f"/orders/{order['id']}/refunds",
        json={
            "amount": str(unit_net + unit_tax),
            "api_refund": False,
            "line_items": [
                {
                    "id": mug["id"],
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
    [credit] = _rows(shop, kind, tmp_path, credit=True)
    assert (credit.net, credit.tax, credit.gross, credit.rate) == (
        unit_net,
        unit_tax,
        unit_net + unit_tax,
        TEN,
    )


async def test_a_refund_whose_lines_miss_its_amount_is_parked_and_not_written(
    taxed_shop: Shop, kind: str, tmp_path: Path
) -> None:
    shop = taxed_shop
    await shop.sync_products()
    await _taxes_on(shop, include=False)
    order = await _taxed_order(shop)
    await shop.export()
    mug = order["line_items"][0]
    await shop.api(
        "POST",
        f"/orders/{order['id']}/refunds",
        json={
            "amount": "12.00",
            "api_refund": False,
            "line_items": [{"id": mug["id"], "quantity": 1, "refund_total": "9.00"}],
        },
    )
    await shop.refresh()
    await shop.export()
    [credit] = shop.credits(order["id"])
    assert credit.state == "parked"
    assert credit.last_error is not None and "by -3.00" in credit.last_error
    if kind == "demo":
        assert [d for d in shop.pos.documents() if d.kind == "credit"] == []
    else:
        assert list((tmp_path / "outbox" / "credits").glob("*.json")) == []
    assert credit.amount == Decimal("12.00")
