"""Allocation ledger arithmetic (design.md §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.domain.allocation import (
    OrderFacts,
    StockExplanation,
    allocated_by_sku,
    available_by_sku,
    explain,
    hold_reason,
    is_allocating,
    releasable,
    release_due,
)

T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)


def order(order_id: int, status: str, *lines: tuple[str, int], **facts: object) -> OrderFacts:
    return OrderFacts(order_id, status, tuple(lines), **facts)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["pending", "processing", "on-hold"])
def test_open_orders_allocate_their_lines(status: str) -> None:
    assert is_allocating(order(1, status, ("a", 1)))


def test_a_completed_order_stays_allocated_until_a_later_snapshot_releases_it() -> None:
    exported = order(1, "completed", ("a", 1), export_acked_at=T0)
    assert is_allocating(exported)
    assert not is_allocating(order(1, "completed", ("a", 1), export_acked_at=T0, released=True))


def test_a_configured_shipped_status_counts_as_an_export_status() -> None:
    shipped = order(1, "shipped", ("a", 1))
    assert not is_allocating(shipped)
    assert is_allocating(shipped, export_statuses={"completed", "shipped"})


@pytest.mark.parametrize(
    "status", ["cancelled", "failed", "refunded", "trash", "checkout-draft", "some-plugin-status"]
)
def test_closed_orders_release_their_lines_at_once(status: str) -> None:
    assert not is_allocating(order(1, status, ("a", 1)))
    assert not is_allocating(order(1, status, ("a", 1), export_acked_at=T0))


def test_a_released_order_reopened_by_the_merchant_is_not_counted_twice() -> None:
    assert not is_allocating(order(1, "processing", ("a", 1), export_acked_at=T0, released=True))


def test_allocating_statuses_are_configurable() -> None:
    assert not is_allocating(order(1, "pending", ("a", 1)), allocating_statuses={"processing"})


def test_allocated_sums_open_lines_per_sku_and_ignores_closed_orders() -> None:
    orders = [
        order(1, "processing", ("a", 2), ("b", 1)),
        order(2, "on-hold", ("a", 3), ("a", 1)),
        order(3, "cancelled", ("a", 50)),
        order(4, "pending", ("c", 0)),
    ]
    assert allocated_by_sku(orders) == {"a": 6, "b": 1}


def test_a_replayed_order_replaces_its_previous_lines_instead_of_adding_to_them() -> None:
    orders = [order(1, "processing", ("a", 2)), order(1, "processing", ("a", 3))]
    assert allocated_by_sku(orders) == {"a": 3}
    orders.append(order(1, "cancelled", ("a", 3)))
    assert allocated_by_sku(orders) == {}


def test_releasable_orders_were_applied_strictly_before_the_snapshot_read_started() -> None:
    early = T0 - timedelta(hours=1)
    orders = [
        order(
            1, "completed", ("a", 1), export_acked_at=early, applied_at=T0 - timedelta(seconds=1)
        ),
        order(2, "completed", ("a", 1), export_acked_at=early, applied_at=T0),
        order(
            3, "completed", ("a", 1), export_acked_at=early, applied_at=T0 + timedelta(seconds=1)
        ),
        order(4, "completed", ("a", 1)),
        order(5, "completed", ("a", 1), export_acked_at=early, applied_at=early, released=True),
        # Written long before the read, but the POS/ERP has not applied it yet.
        order(6, "completed", ("a", 1), export_acked_at=early),
    ]
    assert releasable(orders, T0) == {1}


_MOMENTS = st.none() | st.integers(-3, 3).map(lambda s: T0 + timedelta(seconds=s))


@given(applied=_MOMENTS, read=_MOMENTS)
def test_a_release_needs_an_applied_document_and_a_read_started_after_it(
    applied: datetime | None, read: datetime | None
) -> None:
    due = release_due(applied, read)
    assert due == (applied is not None and read is not None and applied < read)
    if due:
        assert applied is not None and read is not None
        # Any later read releases it too; none that started before or with it does.
        assert release_due(applied, read + timedelta(seconds=1))
        assert not release_due(applied, applied)


@given(exported=_MOMENTS, applied=_MOMENTS, read=_MOMENTS)
def test_releasable_never_releases_what_the_pos_has_not_applied(
    exported: datetime | None, applied: datetime | None, read: datetime | None
) -> None:
    facts = order(1, "completed", ("a", 1), export_acked_at=exported, applied_at=applied)
    if read is not None and releasable([facts], read):
        assert exported is not None and applied is not None and applied < read


def test_the_hold_reason_says_which_step_an_order_waits_for() -> None:
    assert hold_reason(None, None, False) == "not exported yet: the POS does not know it"
    assert hold_reason(T0, None, False) == "exported, waiting for the POS/ERP to import it"
    assert hold_reason(T0, T0, False) == (
        "imported by the POS/ERP, waiting for the next POS stock read"
    )
    assert hold_reason(T0, T0, True) == "released: the POS on-hand includes it"


def test_the_explanation_reads_like_the_dashboard_line() -> None:
    explanation = explain({"shop": 7, "depot": 3}, (), {"a": 2}, 1, {}, "a")
    assert explanation == StockExplanation(on_hand=10, allocated=2, safety=1, available=7)
    assert str(explanation) == "on-hand 10 \u2212 allocated 2 \u2212 safety 1 = 7"


def test_only_the_selected_locations_count_and_overrides_replace_the_default_safety() -> None:
    explanation = explain({"shop": 7, "depot": 3}, ["depot", "missing"], {}, 1, {"a": 0}, "a")
    assert (explanation.on_hand, explanation.safety, explanation.available) == (3, 0, 3)


def test_available_never_goes_below_zero_and_says_so() -> None:
    explanation = explain({"shop": 1}, (), {"a": 2}, 1, {}, "a")
    assert explanation.available == 0
    assert str(explanation) == "on-hand 1 \u2212 allocated 2 \u2212 safety 1 = 0 (never below 0)"


def test_available_by_sku_feeds_the_planner_for_every_item() -> None:
    on_hand = {"a": {"shop": 5}, "b": {"shop": 1}}
    assert available_by_sku(on_hand, {"a": 2}, safety_default=1) == {"a": 2, "b": 0}


statuses = st.sampled_from(
    ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash"]
)
orders_strategy = st.lists(
    st.builds(
        OrderFacts,
        order_id=st.integers(1, 8),
        status=statuses,
        lines=st.lists(
            st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(-2, 5)), max_size=4
        ).map(tuple),
        export_acked_at=st.none() | st.just(T0),
        released=st.booleans(),
    ),
    max_size=20,
)


@settings(max_examples=100, deadline=None)
@given(orders_strategy)
def test_allocation_equals_the_brute_force_sum_over_the_latest_facts_per_order(
    orders: list[OrderFacts],
) -> None:
    latest = {o.order_id: o for o in orders}
    expected: dict[str, int] = {}
    for sku in ("a", "b", "c"):
        total = 0
        for facts in latest.values():
            open_order = facts.status in {"pending", "processing", "on-hold"}
            exported = facts.status == "completed"
            if (open_order or exported) and not facts.released:
                total += sum(q for s, q in facts.lines if s == sku and q > 0)
        if total:
            expected[sku] = total
    allocated = allocated_by_sku(orders)
    assert allocated == expected
    assert all(quantity > 0 for quantity in allocated.values())
    # Recomputing from the same facts in any order of distinct orders gives the same ledger.
    assert allocated_by_sku(reversed(list(latest.values()))) == allocated


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["x", "y", "z"]), st.integers(0, 50)),
    st.integers(0, 60),
    st.integers(0, 10),
)
def test_available_is_never_negative_and_never_above_on_hand(
    on_hand: dict[str, int], allocated: int, safety: int
) -> None:
    explanation = explain(on_hand, (), {"a": allocated}, safety, {}, "a")
    assert 0 <= explanation.available <= explanation.on_hand
    assert explanation.available == max(0, sum(on_hand.values()) - allocated - safety)
