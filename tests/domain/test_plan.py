"""The planner: one example per decision (create, adopt, update, delist, broken, styles)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from storebridge.domain.model import PosItem
from storebridge.domain.ownership import CREATE_ONCE_KEYS, PosOwned, sync_fields
from storebridge.domain.plan import (
    AddVariation,
    Adopt,
    AdoptStyle,
    BrokenLink,
    Conflict,
    CreateDraft,
    CreateVariableStyle,
    Deleted,
    Healthy,
    LinkState,
    LinkView,
    Plan,
    SkipBroken,
    UpdateFields,
    WooView,
    ZeroStock,
    classify_remote,
    plan,
    unlinked_keys,
)
from storebridge.domain.plan_slices import plan_slices


def item(sku: str, price: str = "10", **fields: Any) -> PosItem:
    return PosItem(sku=sku, name=f"Item {sku}", regular_price=Decimal(price), on_hand={}, **fields)


def variant(sku: str, style: str, size: str, **fields: Any) -> PosItem:
    return item(
        sku, parent_code=style, parent_name=f"Style {style}", attributes=(("Size", size),), **fields
    )


def linked(pos: PosItem, woo_id: int, available: int, **fields: Any) -> LinkView:
    return LinkView(pos.key, pos.sku, woo_id, last_pushed=sync_fields(pos, available), **fields)


def run(
    items: list[PosItem],
    links: list[LinkView] = (),  # type: ignore[assignment]
    *,
    available: dict[str, int] | None = None,
    existing: list[WooView] = (),  # type: ignore[assignment]
    delist: str = "zero_stock",
    **options: object,
) -> Plan:
    return plan(
        items,
        {link.sku_key: link for link in links},
        available=available if available is not None else {i.key: 5 for i in items},
        existing={v.sku.casefold(): v for v in existing},
        delist=delist,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def test_a_new_selected_item_becomes_a_draft_with_its_available_quantity() -> None:
    result = run([item("A")], available={"a": 3}, category_ids={"x": 1})
    (create,) = result.creates
    assert isinstance(create, CreateDraft)
    assert create.payload["status"] == "draft"
    assert create.payload["stock_quantity"] == 3
    assert create.desired.stock_quantity == 3
    assert create.link(901) == LinkView("a", "A", 901, None, "simple", "linked", create.desired)
    assert result.summary()["create"] == 1


def test_a_linked_item_already_as_wanted_plans_nothing() -> None:
    pos = item("A")
    result = run([pos], [linked(pos, 7, 5)])
    assert result.is_empty
    assert result.unchanged == 1


def test_a_linked_item_whose_stock_changed_gets_only_the_stock_key() -> None:
    pos = item("A")
    result = run([pos], [linked(pos, 7, 5)], available={"a": 4})
    (update,) = result.updates
    assert update == UpdateFields("a", 7, None, {"stock_quantity": 4}, sync_fields(pos, 4))


def test_updates_never_carry_merchant_owned_fields() -> None:
    pos = item("A", description="new text", categories=("New",))
    link = linked(item("A", "8"), 7, 1)
    (update,) = run([pos], [link]).updates
    assert not set(update.payload) & (CREATE_ONCE_KEYS | {"sku"})
    assert update.payload == {"regular_price": "10.00", "stock_quantity": 5}


def test_a_variation_link_is_updated_through_its_parent() -> None:
    pos = variant("T-M", "T", "M")
    link = replace(linked(pos, 40, 1), woo_parent_id=39, kind="variation")
    (update,) = run([pos], [link]).updates
    assert (update.woo_id, update.parent_id) == (40, 39)


def test_an_unlinked_sku_that_woocommerce_already_has_is_adopted_not_duplicated() -> None:
    pos = item("A", "12")
    woo_state = PosOwned(Decimal("12"), None, None, None, True, 2)
    result = run([pos], existing=[WooView(55, "a", "simple", None, "publish", woo_state)])
    assert result.creates == ()
    (adopt,) = result.adopts
    assert isinstance(adopt, Adopt)
    assert (adopt.woo_id, adopt.kind, adopt.payload) == (55, "simple", {"stock_quantity": 5})
    assert adopt.link().last_pushed == adopt.desired


def test_an_existing_variation_is_adopted_with_its_parent() -> None:
    woo_state = PosOwned(None, None, None, None, False, None)
    (adopt,) = run(
        [item("V")], existing=[WooView(8, "V", "variation", 3, "publish", woo_state)]
    ).adopts
    assert isinstance(adopt, Adopt)
    assert (adopt.kind, adopt.parent_id) == ("variation", 3)
    assert adopt.payload["manage_stock"] is True


def test_a_trashed_product_does_not_hold_the_sku_so_a_draft_is_created() -> None:
    woo_state = PosOwned(None, None, None, None, False, None)
    result = run([item("A")], existing=[WooView(55, "A", "simple", None, "trash", woo_state)])
    assert len(result.creates) == 1


def test_a_sku_held_by_a_variable_product_is_a_conflict() -> None:
    woo_state = PosOwned(None, None, None, None, False, None)
    result = run([item("A")], existing=[WooView(55, "A", "variable", None, "draft", woo_state)])
    (report,) = result.reports
    assert isinstance(report, Conflict)
    assert report.reason == "sku_taken_by_variable"
    assert result.is_empty


@pytest.mark.parametrize("state", ["broken", "deleted", "parked"])
def test_a_broken_deleted_or_parked_link_is_never_written_to_nor_recreated(
    state: LinkState,
) -> None:
    pos = item("A")
    link = replace(linked(pos, 7, 1), state=state)
    result = run([pos], [link])
    assert result.is_empty
    assert result.reports == (SkipBroken("a", 7, state),)


def test_a_linked_item_that_left_the_selection_goes_to_zero_stock() -> None:
    pos = item("A")
    link = linked(pos, 7, 4)
    (zero,) = run([replace(pos, selected=False)], [link], available={}).updates
    assert isinstance(zero, ZeroStock)
    assert zero.payload == {"stock_quantity": 0}
    assert zero.desired == replace(link.last_pushed, stock_quantity=0)  # type: ignore[type-var]


def test_a_delisted_item_already_at_zero_or_with_policy_leave_is_left_alone() -> None:
    pos = item("A")
    zeroed = linked(pos, 7, 0)
    assert run([replace(pos, selected=False)], [zeroed], available={}).is_empty
    result = run([replace(pos, selected=False)], [linked(pos, 7, 4)], available={}, delist="leave")
    assert result.is_empty
    assert result.left_alone == 1


def test_an_unlinked_item_outside_the_selection_is_ignored() -> None:
    result = run([replace(item("A"), selected=False)], available={})
    assert result.is_empty
    assert result.left_alone == 1


def test_a_linked_sku_missing_from_a_complete_snapshot_is_delisted_unless_quarantined() -> None:
    gone = linked(item("GONE"), 1, 3)
    held = linked(item("HELD"), 2, 3)
    result = run([], [gone, held], quarantined={"held"})
    assert [op.sku_key for op in result.updates] == ["gone"]
    assert run([], [gone], complete=False).is_empty


def test_an_unchanged_row_is_in_the_snapshot_counted_unchanged_and_planned_once() -> None:
    kept = linked(item("KEPT"), 1, 3)
    result = run([], [kept], unchanged={"kept"})
    assert result.is_empty
    assert result.unchanged == 1
    with pytest.raises(ValueError, match="planned twice"):
        run([item("KEPT")], [kept], unchanged={"kept"})


def test_slices_refuse_a_sku_twice_across_slices_and_an_empty_slice() -> None:
    items = [item("A"), item("B"), item(" a")]
    available = {"a": 1, "b": 1}  # the slices before the second "a" are planned as it streams
    with pytest.raises(ValueError, match="planned twice"):
        list(plan_slices(items, {}, slice_size=1, available=available, existing={}, delist="leave"))
    with pytest.raises(ValueError, match="slice_size"):
        list(plan_slices([], {}, slice_size=0, available={}, existing={}, delist="leave"))


def test_a_link_without_a_pushed_record_is_zeroed_with_stock_keys_only() -> None:
    link = LinkView("a", "A", 7)
    (zero,) = run([], [link]).updates
    assert zero.payload == {"manage_stock": True, "stock_quantity": 0}


def test_the_same_sku_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="planned twice"):
        run([item("A"), item(" a")])


def test_a_missing_available_quantity_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        run([item("A")], available={})


def test_variants_of_a_new_style_become_one_variable_product_with_its_variations() -> None:
    items = [variant("T-S", "T", "S"), item("PLAIN"), variant("T-M", "T", "M")]
    result = run(items, category_ids={})
    (style,) = result.variable_creates
    assert isinstance(style, CreateVariableStyle)
    assert style.style_code == "T"
    assert style.payload["type"] == "variable"
    assert style.payload["name"] == "Style T"
    assert style.payload["attributes"] == [
        {"name": "Size", "options": ["S", "M"], "variation": True, "visible": True}
    ]
    assert [v.sku for v in style.variations] == ["T-S", "T-M"]
    assert style.variations[0].payload["attributes"] == [{"name": "Size", "option": "S"}]
    assert [c.sku for c in result.creates] == ["PLAIN"]
    assert result.summary()["create_variation"] == 2


def test_a_new_variant_of_a_linked_style_is_added_under_its_parent() -> None:
    old = variant("T-S", "T", "S")
    new = variant("T-L", "T", "L")
    links = [LinkView("t", "T", 30, kind="variable"), replace(linked(old, 31, 5), woo_parent_id=30)]
    result = run([old, new], links)
    (add,) = result.variable_creates
    assert isinstance(add, AddVariation)
    assert (add.parent_id, add.variation.sku, dict(add.new_options)) == (
        30,
        "T-L",
        {"Size": ("L",)},
    )
    assert add.variation.link(32, 30).kind == "variation"
    assert result.unchanged == 1


def test_a_style_found_in_woocommerce_by_its_code_is_adopted_before_adding_variants() -> None:
    woo_state = PosOwned(None, None, None, None, False, None)
    result = run(
        [variant("T-S", "T", "S")],
        existing=[WooView(30, "T", "variable", None, "draft", woo_state)],
    )
    assert result.adopts == (AdoptStyle("t", "T", 30),)
    (add,) = result.variable_creates
    assert isinstance(add, AddVariation) and add.parent_id == 30


def test_a_style_code_held_by_a_simple_product_blocks_the_new_variants_with_a_report() -> None:
    woo_state = PosOwned(None, None, None, None, False, None)
    result = run(
        [variant("T-S", "T", "S")], existing=[WooView(30, "T", "simple", None, "draft", woo_state)]
    )
    assert result.is_empty
    (report,) = result.reports
    assert isinstance(report, Conflict) and report.reason == "style_code_taken"


def test_new_variants_of_a_broken_style_wait_behind_its_report() -> None:
    result = run(
        [variant("T-S", "T", "S")], [LinkView("t", "T", 30, kind="variable", state="broken")]
    )
    assert result.is_empty
    assert result.reports == (SkipBroken("t", 30, "broken"),)


def test_unlinked_keys_lists_the_skus_and_style_codes_to_look_up() -> None:
    items = [item("A"), variant("T-S", "T", "S"), replace(item("OFF"), selected=False), item("L")]
    assert unlinked_keys(items, {"l": LinkView("l", "L", 1)}) == {"a", "t-s", "t"}


def test_classify_remote_tells_healthy_broken_and_deleted_links_apart() -> None:
    link = LinkView("abc", "ABC", 7)
    state = PosOwned(None, None, None, None, True, 1)
    assert classify_remote(link, WooView(7, " Abc", "simple", None, "draft", state)) == Healthy()
    assert classify_remote(link, WooView(7, "XYZ", "simple", None, "draft", state)) == BrokenLink(
        "XYZ"
    )
    assert classify_remote(link, None) == Deleted()
    assert classify_remote(link, WooView(7, "ABC", "simple", None, "trash", state)) == Deleted()


def test_a_parked_create_without_a_woocommerce_id_waits_behind_its_report() -> None:
    pos = item("A")
    result = run([pos], [LinkView("a", "A", None, state="parked")])
    assert result.is_empty
    assert result.reports == (SkipBroken("a", None, "parked"),)


def test_a_linked_link_must_have_a_woocommerce_id() -> None:
    with pytest.raises(ValueError, match="has no WooCommerce id"):
        LinkView("a", "A", None)
