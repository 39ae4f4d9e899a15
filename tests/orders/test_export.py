"""The export engine against the demo POS: exactly once, retries and parking, credits, review."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import EARLY_GO_LIVE, STORE, Shop, golden_order, make_shop

from storebridge.errors import ExportError, PosRejected
from storebridge.persistence.tables import Order as OrderRow
from storebridge.persistence.types import utcnow
from storebridge.sync.export.engine import resolve_review_export, retry_export, skip_export
from storebridge.sync.export.order_mapping import map_order
from storebridge.sync.orders.ledger import record_order
from storebridge.woocommerce import Order

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def record(shop: Shop, body: dict[str, Any]) -> None:
    with shop.services.sessions.begin() as session:
        record_order(session, store=STORE, raw=body)


def invoices(shop: Shop) -> list[Any]:
    return [doc for doc in shop.pos.documents() if doc.kind == "invoice"]


async def completed_order(shop: Shop, lines: list[tuple[str, int]], **kw: Any) -> int:
    order = shop.place(lines, status="processing", **kw)
    shop.set_status(order["id"], "completed")
    await shop.refresh()
    return int(order["id"])


async def test_a_completed_order_reaches_the_pos_once_with_matching_totals(shop: Shop) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 2), ("CAP-2", 1)])
    report = await shop.export()
    assert report.counts["exported"] == 1
    (invoice,) = invoices(shop)
    assert invoice.idempotency_key == f"{STORE}:{order_id}"
    assert invoice.total == Decimal("30.00")
    export = shop.export_row(order_id)
    assert export is not None
    assert (export.state, export.pos_ref, export.document_total) == (
        "exported",
        invoice.ref,
        Decimal("30.00"),
    )
    assert export.customer_ref == invoice.customer_ref
    again = await shop.export()
    assert again.counts["exported"] == 0
    assert len(invoices(shop)) == 1


async def test_an_order_still_processing_is_seen_but_not_exported(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 1)], status="processing")
    await shop.refresh()
    await shop.export()
    export = shop.export_row(order["id"])
    assert export is not None and export.state == "seen"
    assert invoices(shop) == []


async def test_customers_are_matched_by_email_whatever_its_case(shop: Shop) -> None:
    await shop.sync_products()
    first = await completed_order(shop, [("MUG-1", 1)], email="Ann@Example.com")
    second = await completed_order(shop, [("CAP-2", 1)], email=" ann@example.COM ")
    guest = await completed_order(shop, [("BAG-3", 1)], email="bob@example.com")
    await shop.export()
    refs = {}
    for order_id in (first, second, guest):
        row = shop.export_row(order_id)
        assert row is not None and row.customer_ref is not None
        refs[order_id] = row.customer_ref
    assert refs[first] == refs[second] != refs[guest]
    assert shop.pos.customer_email(refs[first]) in ("Ann@Example.com", "ann@example.com")


@pytest.fixture
def golden_shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    """A shop whose ledger takes golden captures: orders from before any ledger refresh."""
    with make_shop(
        tmp_path, _sqlite_template, stock=STOCK, export_orders_since=EARLY_GO_LIVE
    ) as built:
        yield built


@pytest.fixture
def shipped_shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    with make_shop(
        tmp_path,
        _sqlite_template,
        stock=STOCK,
        export_statuses=["shipped"],
        export_orders_since=EARLY_GO_LIVE,
    ) as built:
        yield built


async def test_a_custom_shipped_status_triggers_the_export_instead_of_completed(
    shipped_shop: Shop,
) -> None:
    completed = golden_order("065")
    shipped = copy.deepcopy(completed)
    shipped.update(id=800, number="800", status="shipped")
    record(shipped_shop, completed)
    record(shipped_shop, shipped)
    await shipped_shop.export()
    assert [doc.idempotency_key for doc in invoices(shipped_shop)] == [f"{STORE}:800"]
    row = shipped_shop.export_row(742)
    assert row is not None and row.state == "seen"


async def test_an_unknown_sku_is_exported_as_a_non_inventory_line_and_flagged(shop: Shop) -> None:
    await shop.api("POST", "/products", json={"name": "Web only", "sku": "WEB-ONLY",
                                              "regular_price": "5.00"})  # fmt: skip
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 1), ("WEB-ONLY", 2)])
    report = await shop.export()
    export = shop.export_row(order_id)
    assert export is not None and export.state == "exported"
    assert export.flags == ["unknown_sku:WEB-ONLY"]
    assert [p.detail for p in report.problems] == ["unknown_sku:WEB-ONLY"]
    assert invoices(shop)[0].total == Decimal("20.00")


async def test_an_unavailable_pos_is_retried_with_backoff_then_parked_then_retried_by_hand(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, export_max_attempts=3) as shop:
        await shop.sync_products()
        order_id = await completed_order(shop, [("MUG-1", 1)])
        shop.pos.unavailable = True
        await shop.export(now=T0)
        row = shop.export_row(order_id)
        assert row is not None
        assert (row.state, row.attempts, row.next_retry_at) == (
            "failed",
            1,
            T0 + timedelta(seconds=60),
        )
        assert row.last_error is not None and "unavailable" in row.last_error
        await shop.export(now=T0 + timedelta(seconds=30))  # not due yet: not tried
        row = shop.export_row(order_id)
        assert row is not None and row.attempts == 1
        await shop.export(now=T0 + timedelta(seconds=60))
        row = shop.export_row(order_id)
        assert row is not None
        assert (row.attempts, row.next_retry_at) == (2, T0 + timedelta(seconds=180))
        report = await shop.export(now=T0 + timedelta(seconds=180))
        row = shop.export_row(order_id)
        assert row is not None
        assert (row.state, row.attempts, row.next_retry_at) == ("failed", 3, None)  # parked
        assert [p.kind for p in report.problems] == ["parked"]
        await shop.export(now=T0 + timedelta(days=1))
        row = shop.export_row(order_id)
        assert row is not None and row.attempts == 3  # a parked order waits for a human
        shop.pos.unavailable = False
        with shop.services.sessions.begin() as session:
            retry_export(session, store=STORE, order_id=order_id)
        await shop.export(now=T0 + timedelta(days=1))
        row = shop.export_row(order_id)
        assert row is not None and row.state == "exported"
        assert len(invoices(shop)) == 1


async def test_a_document_the_pos_refuses_is_parked_at_once(shop: Shop) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 1)])
    shop.pos.fail_next(1, PosRejected)
    await shop.export()
    row = shop.export_row(order_id)
    assert row is not None
    assert (row.state, row.attempts, row.next_retry_at) == ("failed", 1, None)
    assert row.last_error is not None and "injected fault" in row.last_error


async def test_an_order_whose_totals_do_not_balance_is_parked_with_the_difference(
    golden_shop: Shop,
) -> None:
    body = golden_order("065")
    body["total"] = "26.00"
    record(golden_shop, body)
    await golden_shop.export()
    row = golden_shop.export_row(742)
    assert row is not None and row.next_retry_at is None and row.state == "failed"
    assert row.last_error is not None and "by -0.50" in row.last_error
    assert invoices(golden_shop) == []


async def test_a_document_written_before_a_crash_is_recorded_not_written_again(
    shop: Shop,
) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("CAP-2", 2)])
    # The previous run wrote the invoice and died before recording it.
    row = shop.order_row(order_id)
    assert row is not None
    document = map_order(Order.model_validate_json(row.payload), store=STORE,
                         known_skus={"cap-2"})  # fmt: skip
    receipt = shop.pos.write_order(document)
    report = await shop.export()
    assert report.counts["already_in_pos"] == 1
    export = shop.export_row(order_id)
    assert export is not None and export.pos_ref == receipt.pos_ref
    assert len(invoices(shop)) == 1


async def test_a_skipped_order_is_never_exported(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 1)], status="processing")
    await shop.refresh()
    await shop.export()
    with shop.services.sessions.begin() as session:
        skip_export(session, store=STORE, order_id=order["id"], reason="paid in store")
    shop.set_status(order["id"], "completed")
    await shop.refresh()
    await shop.export()
    row = shop.export_row(order["id"])
    assert row is not None and (row.state, row.skip_reason) == ("skipped", "paid in store")
    assert invoices(shop) == []
    with shop.services.sessions.begin() as session, pytest.raises(ExportError):
        skip_export(session, store=STORE, order_id=order["id"], reason="again")


async def test_a_refund_after_export_becomes_one_credit_note(shop: Shop) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 2)])
    await shop.export()
    body = shop.sandbox.orders.get(order_id)
    line_id = body["line_items"][0]["id"]
    await shop.api(
        "POST",
        f"/orders/{order_id}/refunds",
        json={"amount": "10.00", "api_refund": False,
              "line_items": [{"id": line_id, "quantity": 1, "refund_total": 10}]},
    )  # fmt: skip
    await shop.refresh()
    report = await shop.export()
    assert report.counts["credits"] == 1
    credits = [doc for doc in shop.pos.documents() if doc.kind == "credit"]
    assert [(c.total, c.original_ref) for c in credits] == [
        (Decimal("10.00"), invoices(shop)[0].ref)
    ]
    (credit,) = shop.credits(order_id)
    assert (credit.kind, credit.state, credit.pos_ref) == ("refund", "written", credits[0].ref)
    await shop.refresh()
    await shop.export()
    assert len([doc for doc in shop.pos.documents() if doc.kind == "credit"]) == 1


async def test_more_refunds_than_one_page_holds_each_become_a_credit_note(shop: Shop) -> None:
    # The refunds list sends 10 a page unless asked for more: all pages must be read.
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 2)])
    await shop.export()
    for _ in range(12):
        await shop.api(
            "POST", f"/orders/{order_id}/refunds", json={"amount": "0.50", "api_refund": False}
        )
    await shop.refresh()
    report = await shop.export()

    assert report.counts["credits"] == 12
    credits = [doc for doc in shop.pos.documents() if doc.kind == "credit"]
    assert [c.total for c in credits] == [Decimal("0.50")] * 12


async def test_a_cancellation_after_export_becomes_one_credit_for_the_whole_order(
    shop: Shop,
) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("BAG-3", 2)])
    await shop.export()
    on_hand_after_sale = shop.pos.on_hand("BAG-3")
    shop.set_status(order_id, "cancelled")
    await shop.refresh()
    await shop.export()
    await shop.export()
    credits = [doc for doc in shop.pos.documents() if doc.kind == "credit"]
    assert [(c.idempotency_key, c.total) for c in credits] == [
        (f"{STORE}:{order_id}:credit:cancel", Decimal("20.00"))
    ]
    assert sum(shop.pos.on_hand("BAG-3").values()) == sum(on_hand_after_sale.values()) + 2


async def test_a_credit_the_pos_cannot_take_now_is_retried_on_the_next_run(shop: Shop) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("BAG-3", 1)])
    await shop.export()
    shop.set_status(order_id, "cancelled")
    await shop.refresh()
    shop.pos.unavailable = True
    await shop.export()
    (credit,) = shop.credits(order_id)
    assert (credit.state, credit.attempts) == ("failed", 1)
    shop.pos.unavailable = False
    await shop.export()
    (credit,) = shop.credits(order_id)
    assert credit.state == "written"


async def test_an_order_edited_after_export_goes_under_review(golden_shop: Shop) -> None:
    body = golden_order("065")
    record(golden_shop, body)
    await golden_shop.export()
    edited = copy.deepcopy(body)
    edited["line_items"][0]["quantity"] = 3
    edited["date_modified_gmt"] = "2026-11-26T21:00:00"
    record(golden_shop, edited)
    row = golden_shop.export_row(742)
    assert row is not None
    assert row.state == "review"
    assert "edited_after_export" in row.flags
    await golden_shop.export()
    assert len(invoices(golden_shop)) == 1


async def test_closing_a_review_counts_the_order_as_exported_without_a_second_invoice(
    golden_shop: Shop,
) -> None:
    body = golden_order("065")
    record(golden_shop, body)
    await golden_shop.export()
    edited = copy.deepcopy(body)
    edited["line_items"][0]["quantity"] = 3
    edited["total"] = "45.50"
    edited["date_modified_gmt"] = "2026-11-26T21:00:00"
    record(golden_shop, edited)
    with golden_shop.services.sessions.begin() as session, pytest.raises(ExportError):
        resolve_review_export(session, store=STORE, order_id=9999)

    with golden_shop.services.sessions.begin() as session:
        resolve_review_export(session, store=STORE, order_id=742)
    await golden_shop.export()

    row = golden_shop.export_row(742)
    assert row is not None
    assert row.state == "exported"
    assert row.document_total == Decimal("45.50")
    assert len(invoices(golden_shop)) == 1
    with golden_shop.services.sessions.begin() as session, pytest.raises(ExportError):
        resolve_review_export(session, store=STORE, order_id=742)  # no longer under review


async def test_retrying_an_order_that_did_not_fail_is_refused(golden_shop: Shop) -> None:
    record(golden_shop, golden_order("065"))
    await golden_shop.export()
    with golden_shop.services.sessions.begin() as session, pytest.raises(ExportError):
        retry_export(session, store=STORE, order_id=742)
    with golden_shop.services.sessions.begin() as session, pytest.raises(ExportError):
        retry_export(session, store=STORE, order_id=9999)


async def test_a_total_changed_while_the_order_was_being_exported_is_put_under_review(
    golden_shop: Shop,
) -> None:
    record(golden_shop, golden_order("065"))
    await golden_shop.export()
    # The ledger took a new total between the exporter reading the order and recording
    # the export, so the ledger itself could not flag it.
    with golden_shop.services.sessions.begin() as session:
        row = session.scalars(select(OrderRow).where(OrderRow.woo_order_id == 742)).one()
        payload = json.loads(row.payload)
        payload["total"] = "30.00"
        row.payload = json.dumps(payload)
        row.updated_at = utcnow()
    report = await golden_shop.export()
    export = golden_shop.export_row(742)
    assert export is not None and export.state == "review"
    assert "edited_after_export" in export.flags
    assert [(p.kind, p.detail) for p in report.problems] == [("review", "edited_after_export")]


async def test_a_refund_made_before_the_export_is_credited_right_after_it(shop: Shop) -> None:
    await shop.sync_products()
    order_id = await completed_order(shop, [("MUG-1", 3)])
    line_id = shop.sandbox.orders.get(order_id)["line_items"][0]["id"]
    await shop.api(
        "POST",
        f"/orders/{order_id}/refunds",
        json={"amount": "10.00", "api_refund": False,
              "line_items": [{"id": line_id, "quantity": 1, "refund_total": 10}]},
    )  # fmt: skip
    await shop.refresh()
    report = await shop.export()
    assert (report.counts["exported"], report.counts["credits"]) == (1, 1)
    (invoice,) = invoices(shop)
    assert invoice.total == Decimal("30.00")
    credits = [doc for doc in shop.pos.documents() if doc.kind == "credit"]
    assert [(c.total, c.original_ref) for c in credits] == [(Decimal("10.00"), invoice.ref)]
