"""Property tests: applying a plan and planning again converges to no writes; slices plan alike."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.domain.model import DelistPolicy, PosItem, sku_key
from storebridge.domain.ownership import POS_OWNED_KEYS, PosOwned, sync_fields
from storebridge.domain.plan import (
    AddVariation,
    Adopt,
    AdoptStyle,
    CreateVariableStyle,
    LinkKind,
    LinkState,
    LinkView,
    Plan,
    WooView,
    plan,
)
from storebridge.domain.plan_slices import plan_slices

STYLES = ["T0", "T1", "T2"]
LINK_STATES: list[LinkState] = ["linked", "linked", "broken", "deleted", "parked"]
SIZES = ["S", "M", "L", "XL"]

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999"), places=2)
owned_states = st.builds(
    PosOwned,
    regular_price=st.none() | prices,
    sale_price=st.none() | prices,
    sale_from=st.none(),
    sale_to=st.none(),
    manage_stock=st.booleans(),
    stock_quantity=st.none() | st.integers(0, 30),
)


@dataclass
class World:
    items: list[PosItem]
    links: dict[str, LinkView]
    existing: dict[str, WooView]
    available: dict[str, int]
    delist: DelistPolicy
    complete: bool
    quarantined: frozenset[str]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    ids = itertools.count(1000)
    items: list[PosItem] = []
    for n in range(draw(st.integers(0, 12))):
        regular = draw(st.decimals(min_value=Decimal("0.02"), max_value=Decimal("999"), places=2))
        below = st.decimals(
            min_value=Decimal("0.01"), max_value=regular - Decimal("0.01"), places=2
        )
        sale = draw(st.none() | below)
        style = draw(st.none() | st.sampled_from(STYLES))
        items.append(
            PosItem(
                sku=f"S{n}",
                name=f"Item {n}",
                regular_price=regular,
                sale_price=sale,
                on_hand={},
                selected=draw(st.booleans()),
                parent_code=style,
                parent_name=None if style is None else f"Style {style}",
                attributes=() if style is None else (("Size", f"{SIZES[n % 4]}{n}"),),
            )
        )
    available = {i.key: draw(st.integers(0, 20)) for i in items}
    links: dict[str, LinkView] = {}
    existing: dict[str, WooView] = {}
    for pos in items:
        choice = draw(st.sampled_from(["none", "linked", "existing"]))
        if choice == "linked":
            how = draw(st.sampled_from(["none", "same", "random"]))
            last: PosOwned | None = None
            if how == "same":
                last = sync_fields(pos, available[pos.key])
            elif how == "random":
                last = draw(owned_states)
            kind: LinkKind = "variation" if pos.parent_code else "simple"
            links[pos.key] = LinkView(
                pos.key,
                pos.sku,
                next(ids),
                next(ids) if kind == "variation" else None,
                kind,
                draw(st.sampled_from(LINK_STATES)),
                last,
            )
        elif choice == "existing":
            woo_type = draw(st.sampled_from(["simple", "variation", "variable", "grouped"]))
            existing[pos.key] = WooView(
                next(ids),
                pos.sku,
                woo_type,
                next(ids) if woo_type == "variation" else None,
                draw(st.sampled_from(["publish", "draft", "trash"])),
                draw(owned_states),
            )
    for style in STYLES:
        choice = draw(st.sampled_from(["none", "linked", "existing"]))
        key = sku_key(style)
        if choice == "linked":
            state: LinkState = draw(st.sampled_from(["linked", "broken"]))
            links[key] = LinkView(key, style, next(ids), kind="variable", state=state)
        elif choice == "existing":
            woo_type = draw(st.sampled_from(["variable", "simple"]))
            existing[key] = WooView(next(ids), style, woo_type, None, "draft", draw(owned_states))
    gone = draw(st.lists(st.sampled_from(["G1", "G2", "G3"]), unique=True))
    for sku in gone:
        links[sku_key(sku)] = LinkView(
            sku_key(sku), sku, next(ids), last_pushed=draw(st.none() | owned_states)
        )
    quarantined = frozenset(draw(st.lists(st.sampled_from(["g1", "g2", "g3"]), unique=True)))
    return World(
        items,
        links,
        existing,
        available,
        draw(st.sampled_from(["zero_stock", "leave"])),
        draw(st.booleans()),
        quarantined,
    )


def make_plan(world: World, links: dict[str, LinkView]) -> Plan:
    return plan(
        world.items,
        links,
        available=world.available,
        existing=world.existing,
        delist=world.delist,
        quarantined=world.quarantined,
        complete=world.complete,
    )


def execute(result: Plan, links: dict[str, LinkView], ids: Iterator[int]) -> dict[str, LinkView]:
    """What the executor records after every write of the plan succeeded."""
    after = dict(links)
    for create in result.creates:
        after[create.sku_key] = create.link(next(ids))
    for adopt in result.adopts:
        key = adopt.style_key if isinstance(adopt, AdoptStyle) else adopt.sku_key
        after[key] = adopt.link()
    for update in result.updates:
        after[update.sku_key] = after[update.sku_key].pushed(update.desired)
    for op in result.variable_creates:
        if isinstance(op, CreateVariableStyle):
            parent = next(ids)
            after[op.style_key] = op.link(parent)
            for variation in op.variations:
                after[variation.sku_key] = variation.link(next(ids), parent)
        else:
            after[op.variation.sku_key] = op.variation.link(next(ids), op.parent_id)
    return after


@settings(max_examples=80, deadline=None)
@given(worlds())
def test_planning_again_after_the_plan_was_applied_plans_no_writes(world: World) -> None:
    first = make_plan(world, world.links)
    second = make_plan(world, execute(first, world.links, itertools.count(10_000)))
    assert second.is_empty, second
    # Problems stay visible: what was reported is still reported.
    assert set(second.reports) >= set(first.reports)


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_updates_only_carry_pos_owned_keys_and_creates_are_drafts(world: World) -> None:
    result = make_plan(world, world.links)
    for update in result.updates:
        assert update.payload
        assert set(update.payload) <= set(POS_OWNED_KEYS)
    for adopt in result.adopts:
        if isinstance(adopt, Adopt):
            assert set(adopt.payload) <= set(POS_OWNED_KEYS)
    for create in result.creates:
        assert create.payload["status"] == "draft"
    for op in result.variable_creates:
        if isinstance(op, CreateVariableStyle):
            assert op.payload["status"] == "draft"
        else:
            assert isinstance(op, AddVariation)


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_every_selected_item_is_accounted_for_exactly_once(world: World) -> None:
    result = make_plan(world, world.links)
    touched = (
        [op.sku_key for op in result.creates]
        + [op.sku_key for op in result.adopts if isinstance(op, Adopt)]
        + [op.sku_key for op in result.updates]
        + [
            v.sku_key
            for op in result.variable_creates
            for v in (op.variations if isinstance(op, CreateVariableStyle) else (op.variation,))
        ]
    )
    assert len(touched) == len(set(touched))
    item_keys = {i.key for i in world.items}
    linked_or_gone = item_keys | {k for k in world.links if k not in world.quarantined}
    assert set(touched) <= linked_or_gone


@settings(max_examples=150, deadline=None)
@given(worlds(), st.integers(1, 5))
def test_planning_in_slices_is_planning_whole(world: World, slice_size: int) -> None:
    whole = make_plan(world, world.links)
    parts = list(
        plan_slices(
            world.items,
            world.links,
            slice_size=slice_size,
            available=world.available,
            existing=world.existing,
            delist=world.delist,
            quarantined=world.quarantined,
            complete=world.complete,
        )
    )

    for name in ("creates", "adopts", "updates", "variable_creates", "reports"):
        joined = tuple(op for part in parts for op in getattr(part, name))
        assert joined == getattr(whole, name), name
    assert sum(part.unchanged for part in parts) == whole.unchanged
    assert sum(part.left_alone for part in parts) == whole.left_alone
    simple = sum(1 for item in world.items if not item.parent_code)
    assert len(parts) >= 1 + -(-simple // slice_size)  # a slice at a time, then the delistings
