"""Product links: lookup by SKU or WooCommerce id, upsert, pushed values, trouble states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories import links
from storebridge.persistence.repositories.links import NewLink, Pushed, PushedPrices

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
Sessions = sessionmaker[Session]


def test_a_link_is_found_by_any_spelling_of_its_sku_and_by_woo_id(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(
            session, store="main", sku=" Tee-Red-M ", woo_id=101, kind="variation",
            origin="created", woo_parent_id=100, now=T0,
        )  # fmt: skip
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="tee-red-m")
        assert link is not None
        assert (link.sku, link.sku_key, link.woo_id, link.woo_parent_id) == (
            "Tee-Red-M", "tee-red-m", 101, 100,
        )  # fmt: skip
        assert (link.kind, link.origin, link.state, link.failures) == (
            "variation", "created", "linked", 0,
        )  # fmt: skip
        assert link.created_at == T0
        by_id = links.get_link_by_woo_id(session, store="main", woo_id=101)
        assert by_id is not None and by_id.id == link.id
        assert links.get_link(session, store="outlet", sku="TEE-RED-M") is None
        assert links.get_link_by_woo_id(session, store="outlet", woo_id=101) is None


def test_the_same_sku_in_two_stores_makes_two_links(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        for store, woo_id in (("main", 1), ("outlet", 2)):
            links.upsert_link(
                session, store=store, sku="A", woo_id=woo_id, kind="simple", origin="created"
            )
    with migrated_session_factory() as session:
        assert [link.woo_id for link in links.iter_links(session, store="main")] == [1]
        assert [link.woo_id for link in links.iter_links(session, store="outlet")] == [2]


def test_relinking_to_another_product_repairs_the_link_and_forgets_pushed_values(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        links.mark_pushed(
            session, store="main", sku="A", prices=PushedPrices(Decimal("9.90")), stock=4, now=T0
        )
        links.mark_broken(session, store="main", sku="A", problem="SKU edited in WooCommerce")
        links.upsert_link(session, store="main", sku="a", woo_id=2, kind="simple", origin="adopted")
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="A")
        assert link is not None
        assert (link.woo_id, link.origin, link.state, link.problem) == (
            2,
            "adopted",
            "linked",
            None,
        )
        assert link.pushed_regular_price is None and link.pushed_stock is None
        assert link.pushed_at is None


def test_upserting_the_same_product_again_keeps_pushed_values(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        links.mark_pushed(session, store="main", sku="A", stock=3, now=T0)
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="A")
        assert link is not None and link.pushed_stock == 3


def test_mark_pushed_records_only_what_was_sent(migrated_session_factory: Sessions) -> None:
    sale = PushedPrices(Decimal("20.00"), Decimal("15.50"), T0, T0 + timedelta(days=7))
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        links.mark_pushed(session, store="main", sku="A", prices=sale, now=T0)
        links.mark_pushed(session, store="main", sku="A", stock=7, now=T0 + timedelta(hours=1))
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="A")
        assert link is not None
        assert link.pushed_regular_price == Decimal("20.00")
        assert link.pushed_sale_price == Decimal("15.50")
        assert link.pushed_sale_from == T0
        assert link.pushed_sale_to == T0 + timedelta(days=7)
        assert link.pushed_stock == 7
        assert link.pushed_at == T0 + timedelta(hours=1)


def test_a_successful_push_clears_earlier_failures(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        links.record_failure(session, store="main", sku="A", error="HTTP 500", park_after=5)
        links.mark_pushed(session, store="main", sku="A", stock=1)
        link = links.get_link(session, store="main", sku="A")
        assert link is not None and (link.failures, link.last_error) == (0, None)


def test_repeated_failures_park_the_link_at_the_threshold(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        states = [
            links.record_failure(
                session, store="main", sku="A", error=f"HTTP 500 #{n}", park_after=3
            ).state
            for n in range(3)
        ]
    assert states == ["linked", "linked", "parked"]
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="A")
        assert link is not None
        assert (link.failures, link.last_error, link.problem) == (3, "HTTP 500 #2", "HTTP 500 #2")


def test_parking_an_item_never_created_keeps_it_visible_without_woo_id(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.park(session, store="main", sku="NEW-1", error="invalid image URL", now=T0)
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="new-1")
        assert link is not None
        assert (link.woo_id, link.state, link.failures, link.problem) == (
            None, "parked", 1, "invalid image URL",
        )  # fmt: skip
    with migrated_session_factory.begin() as session:
        links.upsert_link(
            session, store="main", sku="NEW-1", woo_id=55, kind="simple", origin="created"
        )
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="NEW-1")
        assert link is not None and (link.woo_id, link.state, link.failures) == (55, "linked", 0)


def test_deleted_and_broken_links_are_listed_by_state(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        for n, sku in enumerate(["C", "A", "B"]):
            links.upsert_link(
                session, store="main", sku=sku, woo_id=n + 1, kind="simple", origin="created"
            )
        links.mark_deleted(session, store="main", sku="B", problem="product 3 is in the trash")
        links.mark_broken(session, store="main", sku="C", problem="SKU changed to C2")
    with migrated_session_factory() as session:
        every = [(link.sku, link.state) for link in links.iter_links(session, store="main")]
        assert every == [("A", "linked"), ("B", "deleted"), ("C", "broken")]
        troubled = links.iter_links(session, store="main", states=["broken", "deleted"])
        assert [link.sku for link in troubled] == ["B", "C"]


def test_on_hand_is_remembered_with_its_time(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_link(session, store="main", sku="A", woo_id=1, kind="simple", origin="created")
        links.record_on_hand(session, store="main", sku="A", on_hand=12, now=T0)
    with migrated_session_factory() as session:
        link = links.get_link(session, store="main", sku="A")
        assert link is not None and (link.on_hand, link.on_hand_at) == (12, T0)


def test_changing_a_link_that_does_not_exist_is_an_error(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory() as session, pytest.raises(LookupError, match="no link"):
        links.mark_pushed(session, store="main", sku="ghost", stock=1)


def test_many_links_are_upserted_in_bulk_and_streamed_back_in_sku_order(
    migrated_session_factory: Sessions,
) -> None:
    new = [NewLink(f"SKU-{n:05d}", n + 1, "simple", "created") for n in range(1200)]
    with migrated_session_factory.begin() as session:
        assert links.upsert_links(session, store="main", links=reversed(new), now=T0) == 1200
    with migrated_session_factory() as session:
        keys = [link.sku_key for link in links.iter_links(session, store="main")]
    assert keys == sorted(link.sku.lower() for link in new)


def test_a_bulk_upsert_resets_pushed_values_only_where_the_product_changed(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_links(
            session, store="main",
            links=[NewLink("A", 1, "simple", "created"), NewLink("B", 2, "simple", "created")],
        )  # fmt: skip
        links.mark_pushed_many(
            session, store="main", pushed={"A": Pushed(stock=5), "B": Pushed(stock=6)}, now=T0
        )
        links.mark_broken(session, store="main", sku="B", problem="SKU edited")
        links.upsert_links(
            session, store="main",
            links=[
                NewLink("A", 1, "simple", "created"),
                NewLink("b", 99, "simple", "created"),
                NewLink("B", 20, "simple", "adopted"),  # the last occurrence wins
            ],
        )  # fmt: skip
    with migrated_session_factory() as session:
        a = links.get_link(session, store="main", sku="A")
        b = links.get_link(session, store="main", sku="B")
        assert a is not None and b is not None
        assert (a.woo_id, a.pushed_stock, a.pushed_at) == (1, 5, T0)
        assert (b.woo_id, b.origin, b.state, b.pushed_stock, b.pushed_at) == (
            20, "adopted", "linked", None, None,
        )  # fmt: skip


def test_batch_updates_report_how_many_links_they_touched(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        links.upsert_links(
            session, store="main",
            links=[NewLink(sku, n, "simple", "created") for n, sku in enumerate("ABC", 1)],
        )  # fmt: skip
        prices = PushedPrices(Decimal("5.00"))
        pushed = {"a": Pushed(prices=prices), "B": Pushed(stock=2), "C": Pushed(prices, 3)}
        assert links.mark_pushed_many(session, store="main", pushed={**pushed, "Z": Pushed()}) == 3
        counted = links.record_on_hand_many(session, store="main", on_hand={"A": 4, "ghost": 1})
        assert counted == 1
    with migrated_session_factory() as session:
        rows = {link.sku: link for link in links.iter_links(session, store="main")}
        assert (rows["A"].pushed_regular_price, rows["A"].pushed_stock) == (Decimal("5.00"), None)
        assert (rows["B"].pushed_regular_price, rows["B"].pushed_stock) == (None, 2)
        assert (rows["C"].pushed_regular_price, rows["C"].pushed_stock) == (Decimal("5.00"), 3)
        assert (rows["A"].on_hand, rows["B"].on_hand) == (4, None)
