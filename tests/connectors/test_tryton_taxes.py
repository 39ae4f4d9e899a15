"""WooCommerce's taxes in Tryton: sale lines carry the mapped tax and Tryton's totals are Woo's.

Against the session's real trytond (seeded with a 10 % tax, `seed_taxes`,
and per-line tax rounding). Tryton computes the totals itself from the
lines, their unit prices and their taxes; the writer must choose them so
that those totals equal WooCommerce's to the cent, and refuse (park) what
Tryton cannot reproduce rather than book other figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from connector_samples import WHEN, order, tryton_settings

from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.server import TrytonServer
from storebridge.domain.model import ChargeLine, CreditDocument, DocLine, OrderDocument
from storebridge.errors import ConfigError, PosRejected

TEN = Decimal(10)


@pytest.fixture
def tryton_connector(tryton: TrytonServer) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(tryton_settings(tryton.url))
    yield connector
    connector.close()


def taxed(sku: str | None, quantity: int, net: str, tax: str, rate: Decimal = TEN) -> DocLine:
    total = Decimal(net)
    return DocLine(
        sku=sku,
        name=f"Item {sku}",
        quantity=quantity,
        unit_price=(total / quantity).quantize(Decimal("0.01")),
        subtotal=total,
        total=total,
        tax=Decimal(tax),
        tax_rate=rate,
    )


def taxed_order(
    order_id: int, *lines: DocLine, charges: tuple[ChargeLine, ...] = ()
) -> OrderDocument:
    tax = sum((ln.tax for ln in lines), Decimal(0)) + sum((c.tax for c in charges), Decimal(0))
    gross = sum((ln.gross for ln in lines), Decimal(0)) + sum(
        (c.gross for c in charges), Decimal(0)
    )
    return dataclasses.replace(order(order_id, lines), charges=charges, tax_total=tax, total=gross)


def tryton_totals(connector: TrytonConnector, key: str) -> tuple[Decimal, Decimal, Decimal]:
    (sale,) = connector.rpc.call(
        "sale.sale",
        "search_read",
        [("web_id", "=", key)],
        0,
        1,
        None,
        ["untaxed_amount", "tax_amount", "total_amount"],
    )
    return (sale["untaxed_amount"], sale["tax_amount"], sale["total_amount"])


def booked_lines(connector: TrytonConnector, key: str) -> list[tuple[str, Decimal, list[Any]]]:
    (sale,) = connector.rpc.call(
        "sale.sale", "search_read", [("web_id", "=", key)], 0, 1, None, ["lines"]
    )
    rows = connector.rpc.call(
        "sale.line", "read", sale["lines"], ["product.code", "amount", "taxes"]
    )
    return sorted((r["product."]["code"], r["amount"], r["taxes"]) for r in rows)


def tax_id(connector: TrytonConnector) -> int:
    (found,) = connector.rpc.call(
        "account.tax", "search", [("name", "=", seed.TAX_NAME)], 0, 1, None
    )
    return int(found)


def test_prices_without_tax_give_tryton_the_same_lines_tax_and_total(
    tryton_connector: TrytonConnector,
) -> None:
    # WooCommerce, prices entered without tax: 3 x 10.00 + shipping 5.00 at 10 % = 38.50
    shipping = ChargeLine("shipping", "Flat", Decimal("5.00"), Decimal("0.50"), tax_rate=TEN)
    document = taxed_order(8001, taxed("MUG-01", 3, "30.00", "3.00"), charges=(shipping,))
    assert document.total == Decimal("38.50")

    tryton_connector.write_order(document)

    assert tryton_totals(tryton_connector, "main:8001") == (
        Decimal("35.00"),
        Decimal("3.50"),
        Decimal("38.50"),
    )
    tax = tax_id(tryton_connector)
    assert booked_lines(tryton_connector, "main:8001") == [
        ("MUG-01", Decimal("30.00"), [tax]),
        (seed.SHIPPING_CODE, Decimal("5.00"), [tax]),
    ]


def test_prices_with_tax_and_half_cent_taxes_still_give_woocommerces_totals(
    tryton_connector: TrytonConnector,
) -> None:
    # Prices entered with tax: 3 x 10.00 gross -> net 27.27 + 2.73 (unit 9.090909, which 4
    # decimals cannot hold), and WooCommerce's half-up per line 1.05 / 2.25 / 0.15 at 10 %
    # -> 0.11 / 0.23 / 0.02, where Tryton's half-even rounding of net x rate gives 0.10 / 0.22 /
    # 0.02 (0.01 and 0.02 less): the unit prices must steer Tryton onto WooCommerce's cents.
    document = taxed_order(
        8002,
        taxed("MUG-01", 3, "27.27", "2.73"),
        taxed("BAG-7", 1, "1.05", "0.11"),
        taxed("TEE-RED-M", 1, "2.25", "0.23"),
        taxed("TEE-BLUE-M", 1, "0.15", "0.02"),
        taxed("no-such-sku", 7, "10.01", "1.00"),
    )
    tryton_connector.write_order(document)

    assert tryton_totals(tryton_connector, "main:8002") == (
        document.net_total,
        document.tax_total,
        document.total,
    )
    amounts = {code: amount for code, amount, _ in booked_lines(tryton_connector, "main:8002")}
    assert amounts == {
        "MUG-01": Decimal("27.27"),
        "BAG-7": Decimal("1.05"),
        "TEE-RED-M": Decimal("2.25"),
        "TEE-BLUE-M": Decimal("0.15"),
        seed.UNKNOWN_CODE: Decimal("10.01"),
    }


def test_a_taxed_and_an_untaxed_fee_keep_their_own_tax(tryton_connector: TrytonConnector) -> None:
    fees = (
        ChargeLine("fee", "Handling", Decimal("3.00"), Decimal("0.30"), tax_rate=TEN),
        ChargeLine("fee", "Gift wrap", Decimal("2.50"), Decimal("0.00")),
    )
    document = taxed_order(8003, taxed("MUG-01", 1, "12.50", "1.25"), charges=fees)

    tryton_connector.write_order(document)

    tax = tax_id(tryton_connector)
    assert booked_lines(tryton_connector, "main:8003") == [
        ("MUG-01", Decimal("12.50"), [tax]),
        (seed.FEE_CODE, Decimal("2.50"), []),
        (seed.FEE_CODE, Decimal("3.00"), [tax]),
    ]
    assert tryton_totals(tryton_connector, "main:8003")[2] == Decimal("19.55")


def test_a_taxed_refund_is_a_return_sale_with_the_same_breakdown(
    tryton_connector: TrytonConnector,
) -> None:
    shipping = ChargeLine("shipping", "Flat", Decimal("5.00"), Decimal("0.50"), tax_rate=TEN)
    document = taxed_order(8004, taxed("MUG-01", 2, "20.00", "2.00"), charges=(shipping,))
    receipt = tryton_connector.write_order(document)
    refund = CreditDocument(
        idempotency_key="main:8004:credit:1",
        store="main",
        woo_order_id=8004,
        original_pos_ref=receipt.pos_ref,
        reason="Broken",
        lines=(taxed("MUG-01", 1, "10.00", "1.00"),),
        charges=(shipping,),
        total=Decimal("16.50"),
        tax_total=Decimal("1.50"),
        created_at=WHEN,
    )

    tryton_connector.write_credit(refund)

    assert tryton_totals(tryton_connector, refund.idempotency_key) == (
        Decimal("-15.00"),
        Decimal("-1.50"),
        Decimal("-16.50"),
    )


def test_a_rate_without_a_tryton_tax_is_a_config_error_and_nothing_is_written(
    tryton: TrytonServer,
) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, taxes={}))
    document = taxed_order(8005, taxed("MUG-01", 1, "12.50", "1.25"))
    with pytest.raises(ConfigError, match=r'taxes\."10" = '):
        connector.write_order(document)
    assert connector.rpc.call("sale.sale", "search_count", [("web_id", "=", "main:8005")]) == 0
    connector.close()


@pytest.mark.parametrize(
    ("taxes", "message"),
    [
        ({"10": "No Such Tax"}, "has no active tax 'No Such Tax'"),
        ({"20": seed.TAX_NAME, "10": 999_999}, "has no active tax 999999"),
    ],
)
def test_a_mapping_to_a_missing_tax_is_a_config_error(
    tryton: TrytonServer, taxes: dict[str, Any], message: str
) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, taxes=taxes))
    with pytest.raises(ConfigError, match=message):
        connector.write_order(taxed_order(8006, taxed("MUG-01", 1, "12.50", "1.25")))
    connector.close()


def test_a_mapping_to_a_tax_of_another_rate_is_a_config_error(tryton: TrytonServer) -> None:
    connector = TrytonConnector(tryton_settings(tryton.url, taxes={"20": seed.TAX_NAME}))
    line = taxed("MUG-01", 1, "12.50", "2.50", rate=Decimal(20))
    with pytest.raises(ConfigError, match=r"'VAT 10%' is 10 %, not a 20 % percentage"):
        connector.write_order(taxed_order(8007, line))
    connector.close()


def test_totals_tryton_cannot_reproduce_are_refused_with_the_difference_and_no_sale_kept(
    tryton_connector: TrytonConnector,
) -> None:
    # Balanced in itself, but 1.50 is not 10 % of 10.00: Tryton would charge 1.00.
    document = taxed_order(8008, taxed("MUG-01", 1, "10.00", "1.50"))
    with pytest.raises(PosRejected, match=r"tax 1\.00 instead of 1\.50 \(difference -0\.50\)"):
        tryton_connector.write_order(document)
    rpc = tryton_connector.rpc
    assert rpc.call("sale.sale", "search_count", [("web_id", "=", "main:8008")]) == 0

    # Fixed in WooCommerce, the retry books it afresh under the same key.
    fixed = taxed_order(8008, taxed("MUG-01", 1, "10.00", "1.00"))
    receipt = tryton_connector.write_order(fixed)
    assert not receipt.already_existed
    assert tryton_totals(tryton_connector, "main:8008")[2] == Decimal("11.00")


def test_a_draft_left_by_a_crash_is_checked_before_it_is_quoted(
    tryton_connector: TrytonConnector,
) -> None:
    writer = tryton_connector.writer
    check = writer._check_totals
    writer._check_totals = lambda *args: None  # type: ignore[method-assign]
    advance = writer._advance
    writer._advance = lambda sale_id: {}  # type: ignore[method-assign,assignment,return-value]
    with pytest.raises(KeyError):  # the writer "dies" after creating the draft
        tryton_connector.write_order(taxed_order(8009, taxed("MUG-01", 1, "10.00", "1.50")))
    writer._check_totals = check  # type: ignore[method-assign]
    writer._advance = advance  # type: ignore[method-assign]

    with pytest.raises(PosRejected, match=r"difference -0\.50"):
        tryton_connector.write_order(taxed_order(8009, taxed("MUG-01", 1, "10.00", "1.50")))
    rpc = tryton_connector.rpc
    assert rpc.call("sale.sale", "search_count", [("web_id", "=", "main:8009")]) == 0


def test_tryton_rounding_tax_per_document_parks_an_order_it_rounds_a_cent_apart(
    tryton_connector: TrytonConnector,
) -> None:
    # Tryton's default sums the lines' unrounded taxes and rounds once: 0.345.. -> 0.35,
    # where WooCommerce's per-line 0.11 + 0.23 + 0.02 = 0.36
    tryton_connector.rpc.call("account.configuration", "write", [1], {"tax_rounding": "document"})
    document = taxed_order(
        8010,
        taxed("BAG-7", 1, "1.05", "0.11"),
        taxed("TEE-RED-M", 1, "2.25", "0.23"),
        taxed("TEE-BLUE-M", 1, "0.15", "0.02"),
    )
    with pytest.raises(PosRejected, match=r"tax 0\.35 instead of 0\.36 \(difference -0\.01\)"):
        tryton_connector.write_order(document)
    rpc = tryton_connector.rpc
    assert rpc.call("sale.sale", "search_count", [("web_id", "=", "main:8010")]) == 0
