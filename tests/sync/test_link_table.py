"""The link table as the engine plans with it: parking rules and the human "retry"."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.links import LinkView
from storebridge.domain.model import PosItem
from storebridge.persistence.repositories import links as link_repo
from storebridge.sync.catalogue.link_table import (
    LinkTable,
    input_digest,
    load_links,
    parked_digest,
    retry_parked,
    with_digest,
)


def item(sku: str, price: str = "10") -> PosItem:
    return PosItem(sku=sku, name=sku, regular_price=Decimal(price), on_hand={"x": 1})


def table_with(link: LinkView, failures: int, problem: str | None) -> LinkTable:
    table = LinkTable()
    table.links[link.sku_key] = link
    table.failures[link.sku_key] = failures
    if problem is not None:
        table.problems[link.sku_key] = problem
    return table


def test_the_digest_changes_with_any_input_we_send() -> None:
    base = input_digest(item("A"), 3)
    assert base == input_digest(item("A"), 3)
    assert base != input_digest(item("A", "11"), 3)
    assert base != input_digest(item("A"), 4)
    assert parked_digest(with_digest("HTTP 500", base)) == base
    assert parked_digest("no fingerprint here") is None


def test_a_parked_create_below_the_limit_is_retried() -> None:
    parked = LinkView("a", "A", None, state="parked")
    problem = with_digest("boom", input_digest(item("A"), 1))
    table = table_with(parked, 1, problem)

    links, revived = table.planning_view({"a": item("A")}, {"a": 1}, park_after=3)

    assert "a" not in links and revived == set()


def test_a_parked_link_waits_while_its_input_is_the_same() -> None:
    parked = LinkView("a", "A", 7, state="parked")
    problem = with_digest("boom", input_digest(item("A"), 1))
    table = table_with(parked, 3, problem)

    links, revived = table.planning_view({"a": item("A")}, {"a": 1}, park_after=3)

    assert links["a"].state == "parked" and revived == set()


def test_a_parked_link_comes_back_when_its_input_changes() -> None:
    parked = LinkView("a", "A", 7, state="parked")
    problem = with_digest("boom", input_digest(item("A"), 1))
    table = table_with(parked, 3, problem)

    links, revived = table.planning_view({"a": item("A", "12")}, {"a": 1}, park_after=3)

    assert links["a"].state == "linked" and revived == {"a"}


def test_a_parked_create_at_the_limit_comes_back_only_when_its_input_changes() -> None:
    parked = LinkView("a", "A", None, state="parked")
    problem = with_digest("boom", input_digest(item("A"), 1))
    table = table_with(parked, 3, problem)

    same, _ = table.planning_view({"a": item("A")}, {"a": 1}, park_after=3)
    changed, _ = table.planning_view({"a": item("A")}, {"a": 2}, park_after=3)

    assert "a" in same and "a" not in changed


def test_retry_releases_parked_links_and_forgets_parked_creates(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        link_repo.upsert_link(
            session, store="s", sku="L", woo_id=5, kind="simple", origin="created"
        )
        for _ in range(3):
            link_repo.record_failure(session, store="s", sku="L", error="x", park_after=3)
        link_repo.park(session, store="s", sku="C", error="y")
        link_repo.upsert_link(
            session, store="s", sku="OK", woo_id=6, kind="simple", origin="created"
        )

    with migrated_session_factory.begin() as session:
        released = retry_parked(session, store="s")

    with migrated_session_factory() as session:
        table = load_links(session, store="s")
    assert released == 2
    assert set(table.links) == {"l", "ok"}
    assert table.links["l"].state == "linked" and "l" not in table.failures


def test_links_load_by_key_with_their_last_pushed_values(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        for sku in ("A", "B", "C"):
            link_repo.upsert_link(
                session, store="s", sku=sku, woo_id=ord(sku), kind="simple", origin="created"
            )
        link_repo.mark_pushed(
            session, store="s", sku="B", prices=link_repo.PushedPrices(Decimal("9.50")), stock=4
        )

    with migrated_session_factory() as session:
        table = load_links(session, store="s", keys=["b", "c"])
    assert set(table.links) == {"b", "c"}
    pushed = table.links["b"].last_pushed
    assert pushed is not None and pushed.regular_price == Decimal("9.50")
    assert (pushed.manage_stock, pushed.stock_quantity) == (True, 4)
    assert table.links["c"].last_pushed is None
