"""A big feed kept in a file: the same verdicts, the same plan, its items let go once applied."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from tests.domain.test_feed_rules import row

from storebridge.domain.feed_rules import Outcome
from storebridge.domain.model import PosItem, Quarantined, RawItem, SourceRef, Unchanged
from storebridge.domain.operations import CreateDraft, Plan
from storebridge.domain.ownership import PosOwned
from storebridge.domain.validation import validate_feed, validate_into
from storebridge.sync.catalogue import spill
from storebridge.sync.catalogue.plan_buffer import ItemsInFlight
from storebridge.sync.catalogue.spill import SpilledOutcomes


def item(sku: str, parent: str | None = None) -> PosItem:
    return PosItem(sku, "Item", Decimal("1.00"), {"main": 1}, parent_code=parent)


def feed() -> list[RawItem]:
    rows = [row(n, f"SKU-{n:03}") for n in range(1, 60)]
    rows[10] = row(11, "sku-002")  # a duplicate of line 2
    rows[20] = row(21, "TEE", parent_code="STYLE", attributes={"Size": "M"})
    rows[21] = row(22, "TEE-2", parent_code="STYLE", attributes={"Size": "m"})  # same combination
    rows[25] = row(26, "TEE-3", parent_code="STYLE", attributes={"Size": "L"})
    rows[30] = row(31, "STYLE")  # an item SKU equal to a style code
    rows[40] = row(41, "SKU-041", regular_price="x")
    return rows


def test_the_outcomes_come_back_in_feed_order_across_chunks_with_rewrites_winning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spill, "CHUNK", 4)
    kept = SpilledOutcomes()
    outcomes: list[Outcome] = [item(f"A{n}") for n in range(11)]
    for outcome in outcomes:
        kept.append(outcome)
    gone = Quarantined(SourceRef("f"), "A5", "duplicate_sku", "twice")
    kept[5] = gone
    outcomes[5] = gone

    assert len(kept) == 11
    assert list(kept) == outcomes
    assert [kept[i] for i in (9, 0, 5, 10, 3)] == [outcomes[i] for i in (9, 0, 5, 10, 3)]
    with pytest.raises(IndexError):
        kept[11]
    kept.close()


def test_a_feed_validated_into_a_file_has_the_verdicts_of_one_held_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spill, "CHUNK", 7)
    vouched = {"sku-005", "sku-050"}

    def unchanged(raw: RawItem) -> str | None:
        key = str(raw.sku).casefold()
        return key if key in vouched else None

    whole = validate_feed(feed(), unchanged=unchanged)
    kept = SpilledOutcomes()
    facts = validate_into(kept, feed(), unchanged=unchanged)

    outcomes = list(kept)
    assert [o for o in outcomes if isinstance(o, PosItem)] == whole.items
    assert [o for o in outcomes if isinstance(o, Quarantined)] == whole.quarantined
    assert {o.key: o.raw for o in outcomes if isinstance(o, Unchanged)} == whole.unchanged
    assert [f.kind for f in facts] == [type(o) for o in outcomes]
    assert sorted((q.ref.line, q.reason) for q in whole.quarantined) == [
        (2, "duplicate_sku"),
        (11, "duplicate_sku"),
        (21, "duplicate_variant_combination"),
        (22, "duplicate_variant_combination"),
        (26, "sku_style_clash"),
        (31, "sku_style_clash"),
        (41, "price_not_numeric"),
    ]


def test_an_unpickled_item_shares_its_interned_key() -> None:
    original = item("Mixed-Case-1")
    copy = pickle.loads(pickle.dumps(original))
    assert copy == original
    assert copy.key == "mixed-case-1"
    assert copy.key is original.key


def create(key: str) -> Plan:
    owned = PosOwned(None, None, None, None, manage_stock=True, stock_quantity=1)
    return Plan(creates=(CreateDraft(key, key.upper(), {"sku": key.upper()}, owned),))


def test_items_in_flight_are_kept_while_their_write_waits_and_let_go_after() -> None:
    in_flight = ItemsInFlight()
    items = [item("A"), item("B"), item("V1", parent="S"), item("C")]
    reading = in_flight.reading(items)
    assert [next(reading).key for _ in range(3)] == ["a", "b", "v1"]

    in_flight.planned(create("a"))  # "b" planned with nothing to write

    assert in_flight.get("a") == items[0]
    assert in_flight.get("b") is None
    assert in_flight.get("v1") == items[2]  # a variant waits for its style's turn
    in_flight.applied(create("a"))
    assert in_flight.get("a") is None
