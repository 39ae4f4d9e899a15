"""The conformance suite every POS connector must pass (style.md habit 3).

Parametrised over every built-in connector by the `connector` fixture; a new
connector joins by being added to conftest.CONNECTOR_KINDS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from connector_samples import credit, customer, guest, line, order

from storebridge.domain.model import RawItem
from storebridge.ports import PosConnector, PosReader, PosWriter

CountDocuments = Callable[[PosConnector, str], int]


def test_the_connector_implements_both_sides_of_the_port(connector: PosConnector) -> None:
    assert isinstance(connector, PosConnector)
    assert isinstance(connector, PosReader)
    assert isinstance(connector, PosWriter)
    assert connector.name


def test_read_items_streams_raw_items_that_say_where_they_came_from(
    connector: PosConnector,
) -> None:
    stream = connector.read_items()
    assert isinstance(stream, Iterator)  # a stream, not a list built in memory
    items = list(stream)
    assert items
    for item in items:
        assert isinstance(item, RawItem)
        assert item.sku
        assert item.ref.source
        assert isinstance(item.ref.line, int) and item.ref.line >= 1
        assert str(item.sku) in item.ref.raw
    assert len({item.ref.line for item in items}) == len(items)


def test_writing_an_order_twice_with_the_same_key_writes_it_once(
    connector: PosConnector, known_sku: str, count_documents: CountDocuments
) -> None:
    document = order(1001, (line(known_sku, 1),))
    first = connector.write_order(document)
    second = connector.write_order(document)
    assert not first.already_existed
    assert second.already_existed
    assert second.pos_ref == first.pos_ref
    assert second.customer_ref == first.customer_ref
    assert count_documents(connector, document.idempotency_key) == 1


def test_find_document_finds_a_written_order_and_nothing_else(connector: PosConnector) -> None:
    assert connector.find_document("main:1001") is None
    receipt = connector.write_order(order(1001))
    assert connector.find_document("main:1001") == receipt.pos_ref
    assert connector.find_document("main:1002") is None
    assert connector.find_document("other-store:1001") is None


def test_different_orders_get_different_pos_references(connector: PosConnector) -> None:
    refs = {connector.write_order(order(n)).pos_ref for n in (1, 2, 3)}
    assert len(refs) == 3


def test_customers_are_matched_by_email_trimmed_and_case_insensitively(
    connector: PosConnector,
) -> None:
    ref = connector.upsert_customer(customer("ann@example.com"))
    assert connector.upsert_customer(customer("  Ann@Example.COM ")) == ref
    assert connector.upsert_customer(customer("ANN@EXAMPLE.COM", city="York")) == ref
    assert connector.upsert_customer(customer("bob@example.com")) != ref


def test_an_order_is_booked_on_the_customer_matched_by_email(connector: PosConnector) -> None:
    ref = connector.upsert_customer(customer("ann@example.com"))
    receipt = connector.write_order(order(2001, buyer=customer(" ANN@example.com")))
    assert receipt.customer_ref == ref


def test_guest_orders_without_email_share_one_guest_customer(connector: PosConnector) -> None:
    first = connector.write_order(order(3001, buyer=guest()))
    second = connector.write_order(order(3002, buyer=guest()))
    assert first.pos_ref != second.pos_ref
    assert first.customer_ref == second.customer_ref
    assert first.customer_ref != connector.upsert_customer(customer("ann@example.com"))


def test_a_guest_with_an_email_is_matched_by_that_email(connector: PosConnector) -> None:
    receipt = connector.write_order(order(3003, buyer=guest("walk.in@example.com")))
    assert connector.upsert_customer(guest("Walk.In@example.com")) == receipt.customer_ref


def test_an_order_line_with_an_unknown_sku_is_still_written(connector: PosConnector) -> None:
    document = order(4001, (line("NOT-IN-POS", 1, known=False), line(None, 1, known=False)))
    receipt = connector.write_order(document)
    assert connector.find_document(document.idempotency_key) == receipt.pos_ref


def test_writing_a_credit_twice_with_the_same_key_writes_it_once(
    connector: PosConnector, known_sku: str, count_documents: CountDocuments
) -> None:
    document = order(5001, (line(known_sku, 2),))
    receipt = connector.write_order(document)
    refund = credit(document, receipt.pos_ref)
    first = connector.write_credit(refund)
    assert connector.write_credit(refund) == first
    assert first != receipt.pos_ref
    assert connector.find_document(refund.idempotency_key) == first
    assert count_documents(connector, refund.idempotency_key) == 1
    second_refund = credit(document, receipt.pos_ref, refund_id=2)
    assert connector.write_credit(second_refund) not in {first, receipt.pos_ref}


def test_known_skus_compares_case_insensitively_and_keeps_the_callers_spelling(
    connector: PosConnector, known_sku: str
) -> None:
    variants = [known_sku.lower(), f"  {known_sku.upper()} ", "NO-SUCH-SKU"]
    assert connector.known_skus(variants) == {known_sku.lower(), f"  {known_sku.upper()} "}
    assert connector.known_skus([]) == set()


def test_applied_answers_only_written_orders_with_a_time_no_later_than_now(
    connector: PosConnector,
) -> None:
    assert connector.applied(["main:2001"]) == {}
    connector.write_order(order(2001))
    applied = connector.applied(["main:2001", "main:2002"])
    # Whether a written order is applied yet is the connector's to say (the file feed
    # waits for the ERP); it never answers for an order it does not hold.
    assert set(applied) <= {"main:2001"}
    assert all(at <= datetime.now(UTC) for at in applied.values())
