"""Every quarantine reason through a run: persisted, shown, resolved when fixed, then synced."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.sync.sync_helpers import World, money, raw

from storebridge.domain.model import RawItem, SourceRef
from storebridge.domain.rules import Rule
from storebridge.persistence.repositories.quarantine import list_open
from storebridge.persistence.tables import QuarantineRow


@dataclass(frozen=True)
class Case:
    """Bad rows, the rows that fix them, and the SKUs expected in WooCommerce afterwards."""

    bad: tuple[RawItem, ...]
    fixed: tuple[RawItem, ...]
    synced: tuple[str, ...]
    extra: tuple[RawItem, ...] = field(default=())


def style(sku: str, code: str, size: str, line: int) -> RawItem:
    return raw(sku, line=line, parent_code=code, attributes={"Size": size})


CASES: dict[Rule, Case] = {
    Rule.UNREADABLE_RECORD: Case(
        (raw(None, line=5, unreadable="the row cannot be split into cells"),),
        (raw("Q-READ", line=5),),
        ("Q-READ",),
    ),
    Rule.MISSING_SKU: Case((raw(None, line=5),), (raw("Q-FIXED", line=5),), ("Q-FIXED",)),
    Rule.BLANK_SKU: Case((raw("  ", line=5),), (raw("Q-BLANK", line=5),), ("Q-BLANK",)),
    Rule.SKU_TOO_LONG: Case((raw("L" * 101, line=5),), (raw("L" * 20, line=5),), ("L" * 20,)),
    Rule.SKU_HAS_CONTROL_CHARS: Case((raw("Q\tC", line=5),), (raw("Q-C", line=5),), ("Q-C",)),
    Rule.SKU_NOT_STORABLE: Case((raw("Q<b>", line=5),), (raw("Q-B", line=5),), ("Q-B",)),
    Rule.DUPLICATE_SKU: Case(
        (raw("DUP", line=5), raw("dup", line=6)), (raw("DUP", line=5),), ("DUP",)
    ),
    Rule.SKU_STYLE_CLASH: Case(
        (raw("STY", line=5),),
        (raw("STY-ITEM", line=5),),
        ("STY-ITEM", "STY-S"),
        extra=(style("STY-S", "STY", "S", 6),),
    ),
    Rule.BAD_ENCODING: Case(
        (raw("Q-E", name="Caf\ufffd", line=5),), (raw("Q-E", name="Cafe", line=5),), ("Q-E",)
    ),
    Rule.MISSING_NAME: Case((raw("Q-N", name=None, line=5),), (raw("Q-N", line=5),), ("Q-N",)),
    Rule.MISSING_PRICE: Case((raw("Q-P", None, line=5),), (raw("Q-P", line=5),), ("Q-P",)),
    Rule.PRICE_NOT_NUMERIC: Case((raw("Q-P", "abc", line=5),), (raw("Q-P", line=5),), ("Q-P",)),
    Rule.PRICE_NEGATIVE: Case((raw("Q-P", "-1", line=5),), (raw("Q-P", line=5),), ("Q-P",)),
    Rule.PRICE_ZERO: Case((raw("Q-P", "0", line=5),), (raw("Q-P", line=5),), ("Q-P",)),
    Rule.PRICE_TOO_LARGE: Case((raw("Q-P", "2000000", line=5),), (raw("Q-P", line=5),), ("Q-P",)),
    Rule.SALE_PRICE_NOT_NUMERIC: Case(
        (raw("Q-S", sale_price="x", line=5),), (raw("Q-S", line=5),), ("Q-S",)
    ),
    Rule.SALE_PRICE_NEGATIVE: Case(
        (raw("Q-S", sale_price="-2", line=5),), (raw("Q-S", line=5),), ("Q-S",)
    ),
    Rule.SALE_PRICE_ZERO: Case(
        (raw("Q-S", sale_price="0", line=5),), (raw("Q-S", line=5),), ("Q-S",)
    ),
    Rule.SALE_PRICE_NOT_BELOW_REGULAR: Case(
        (raw("Q-S", "10.00", sale_price="12.00", line=5),),
        (raw("Q-S", "10.00", sale_price="8.00", line=5),),
        ("Q-S",),
    ),
    Rule.BAD_SALE_DATE: Case(
        (raw("Q-D", sale_price="5", sale_from="someday", line=5),),
        (raw("Q-D", sale_price="5", sale_from="2030-01-01", line=5),),
        ("Q-D",),
    ),
    Rule.SALE_WINDOW_REVERSED: Case(
        (raw("Q-D", sale_price="5", sale_from="2030-02-01", sale_to="2030-01-01", line=5),),
        (raw("Q-D", sale_price="5", sale_from="2030-01-01", sale_to="2030-02-01", line=5),),
        ("Q-D",),
    ),
    Rule.QUANTITY_NOT_INTEGER: Case(
        (raw("Q-Q", on_hand={"shop": "1.5"}, line=5),), (raw("Q-Q", line=5),), ("Q-Q",)
    ),
    Rule.QUANTITY_NEGATIVE: Case((raw("Q-Q", stock=-1, line=5),), (raw("Q-Q", line=5),), ("Q-Q",)),
    Rule.QUANTITY_TOO_LARGE: Case(
        (raw("Q-Q", stock=2_000_000, line=5),), (raw("Q-Q", line=5),), ("Q-Q",)
    ),
    Rule.BAD_WEIGHT: Case((raw("Q-W", weight="heavy", line=5),), (raw("Q-W", line=5),), ("Q-W",)),
    Rule.VARIANT_WITHOUT_ATTRIBUTES: Case(
        (raw("V-1", parent_code="V", line=5),),
        (style("V-1", "V", "S", 5),),
        ("V", "V-1"),
    ),
    Rule.DUPLICATE_VARIANT_COMBINATION: Case(
        (style("W-1", "W", "S", 5), style("W-2", "W", "s", 6)),
        (style("W-1", "W", "S", 5), style("W-2", "W", "M", 6)),
        ("W", "W-1", "W-2"),
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(Rule)


def replace_rows(world: World, rows: tuple[RawItem, ...]) -> None:
    world.pos.rows = {}
    for index, row in enumerate(rows):
        world.pos.rows[f"{index}:{row.sku}"] = row


@pytest.mark.parametrize("rule", list(CASES), ids=lambda rule: rule.value)
async def test_a_bad_row_is_quarantined_shown_resolved_when_fixed_and_then_synced(
    world: World, rule: Rule
) -> None:
    case = CASES[rule]
    good = raw("GOOD", line=1)
    replace_rows(world, (good, *case.extra, *case.bad))

    first = await world.sync()

    assert first.report.outcome == "ok"
    assert rule.value in {q.reason for q in first.report.quarantined}
    with world.services.sessions() as session:
        shown = list_open(session, store="main")
    assert rule.value in {row.reason for row in shown}
    assert all(row.detail for row in shown)
    bad_skus = {str(row.sku) for row in case.bad}
    assert "GOOD" in {d["sku"] for d in world.docs()}
    assert not bad_skus & {d["sku"] for d in world.docs()}

    replace_rows(world, (good, *case.extra, *case.fixed))
    second = await world.sync()

    assert second.report.quarantined == []
    assert second.report.counts["quarantine_resolved"] >= 1
    with world.services.sessions() as session:
        assert list_open(session, store="main") == []
    synced = {d["sku"] for d in world.docs()}
    assert set(case.synced) <= synced


async def test_a_quarantined_row_leaves_its_linked_product_alone(world: World) -> None:
    world.pos.put(raw("KEEP", "10.00", 6))
    await world.sync()
    world.pos.change("KEEP", regular_price="-5")

    run = await world.sync()

    assert run.report.writes == 0
    doc = world.by_sku("KEEP")
    assert money(doc, "regular_price") == Decimal("10.00") and doc["stock_quantity"] == 6


async def test_the_same_bad_row_seen_again_stays_one_entry(world: World) -> None:
    world.pos.put(raw("AGAIN", "-1", line=3))
    await world.sync()
    await world.sync()

    with world.services.sessions() as session:
        rows = session.scalars(select(QuarantineRow)).all()
    assert len(rows) == 1
    assert rows[0].last_seen >= rows[0].first_seen
    assert rows[0].source == "fake:items" and rows[0].line == 3


def test_quarantined_rows_keep_their_source_reference() -> None:
    row = raw("REF", line=9, source="feed.csv")
    assert row.ref == SourceRef("feed.csv", 9, "REF,10.00")
