"""Properties of the products engine over random catalogues, merchant edits and POS changes.

For any catalogue (simple items and matrix styles), any merchant edits made in
WooCommerce through the REST API and any POS changes, after a sync:

* WooCommerce's prices and stock are the POS's (stock = available);
* every field the merchant edited is untouched;
* every product StoreBridge created is a draft (unless the merchant published it);
* no SKU exists twice;
* a second sync makes no write request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sync.sync_helpers import World, make_world, money, raw

from storebridge.domain.model import RawItem

SIZES = ("S", "M", "L", "XL")


@dataclass
class Spec:
    """One POS item as the test means it."""

    sku: str
    cents: int
    sale_cents: int | None
    stock: int
    selected: bool = True
    style: str | None = None
    size: str | None = None

    def row(self, line: int) -> RawItem:
        sale = None if self.sale_cents is None else f"{self.sale_cents / 100:.2f}"
        extra: dict[str, Any] = {}
        if self.style is not None:
            extra = {"parent_code": self.style, "attributes": {"Size": self.size}}
        return raw(
            self.sku,
            f"{self.cents / 100:.2f}",
            self.stock,
            line=line,
            sale_price=sale,
            web_flag=self.selected,
            **extra,
        )


@dataclass
class Scenario:
    items: list[Spec]
    edits: list[tuple[int, dict[str, Any]]]  # (index into the created products, changes)
    changes: list[tuple[int, str, int]]  # (item index, what, amount)
    new_items: list[Spec] = field(default_factory=list)


prices = st.integers(min_value=100, max_value=20_000)


@st.composite
def specs(draw: st.DrawFn) -> list[Spec]:
    simple = draw(st.integers(min_value=1, max_value=15))
    items: list[Spec] = []
    for n in range(simple):
        cents = draw(prices)
        sale = draw(st.one_of(st.none(), st.integers(min_value=50, max_value=cents - 1)))
        items.append(Spec(f"S-{n}", cents, sale, draw(st.integers(0, 20))))
    for s in range(draw(st.integers(min_value=0, max_value=3))):
        sizes = draw(st.lists(st.sampled_from(SIZES), min_size=1, max_size=4, unique=True))
        for size in sizes:
            cents = draw(prices)
            items.append(
                Spec(f"ST{s}-{size}", cents, None, draw(st.integers(0, 9)), True, f"ST{s}", size)
            )
    return items


merchant_changes = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["Merchant name", "Summer shirt"]),
        "description": st.sampled_from(["<p>Our copy</p>", "Hand written"]),
        "status": st.sampled_from(["publish", "private", "pending"]),
        "images": st.just([{"src": "https://img.example/photo.jpg", "alt": "photo"}]),
        "categories": st.just("created"),
    },
).filter(bool)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    items = draw(specs())
    edits = draw(st.lists(st.tuples(st.integers(0, 30), merchant_changes), max_size=6))
    kinds = st.sampled_from(["price", "sale_off", "stock", "delist", "relist"])
    changes = draw(
        st.lists(st.tuples(st.integers(0, len(items) - 1), kinds, st.integers(0, 30)), max_size=8)
    )
    new = [
        Spec(f"NEW-{n}", draw(prices), None, draw(st.integers(0, 5)))
        for n in range(draw(st.integers(0, 3)))
    ]
    if any(i.style == "ST0" for i in items) and draw(st.booleans()):
        unused = [s for s in SIZES if f"ST0-{s}" not in {i.sku for i in items}]
        if unused:
            new.append(Spec(f"ST0-{unused[0]}", draw(prices), None, 4, True, "ST0", unused[0]))
    return Scenario(items, edits, changes, new)


def apply_change(spec: Spec, what: str, amount: int) -> None:
    if what == "price":
        spec.cents += 100 + amount
    elif what == "sale_off":
        spec.sale_cents = None
    elif what == "stock":
        spec.stock = amount
    elif what == "delist":
        spec.selected = False
    else:
        spec.selected = True


async def play(world: World, scenario: Scenario) -> None:
    def load(specs: list[Spec]) -> None:
        world.pos.rows = {}
        for line, spec in enumerate(specs, start=1):
            world.pos.put(spec.row(line))

    load(scenario.items)
    first = await world.sync()
    assert first.report.outcome == "ok", first.report.problems
    category = await world.api("POST", "/products/categories", json={"name": "Merchant cat"})
    products = [d for d in world.docs() if d["type"] in ("simple", "variable")]
    edited: dict[int, dict[str, Any]] = {}
    for index, changes in scenario.edits:
        if not products:
            break
        doc = products[index % len(products)]
        body = dict(changes)
        if body.get("categories") == "created":
            body["categories"] = [{"id": category["id"]}]
        await world.api("PUT", f"/products/{doc['id']}", json=body)
        edited.setdefault(doc["id"], {}).update(body)
    before = {d["id"]: d for d in world.docs()}

    for index, what, amount in scenario.changes:
        apply_change(scenario.items[index], what, amount)
    final = scenario.items + scenario.new_items
    load(final)
    second = await world.sync()
    assert second.report.outcome == "ok", second.report.problems

    docs = world.docs()
    skus = [str(d["sku"]).casefold() for d in docs if d.get("sku")]
    assert len(skus) == len(set(skus)), "a SKU exists twice"
    by_sku = {str(d["sku"]).casefold(): d for d in docs if d.get("sku")}
    for spec in final:
        doc = by_sku.get(spec.sku.casefold())
        if not spec.selected:
            assert doc is None or doc["stock_quantity"] == 0
            continue
        assert doc is not None, spec.sku
        assert money(doc, "regular_price") == Decimal(spec.cents) / 100
        expected_sale = None if spec.sale_cents is None else Decimal(spec.sale_cents) / 100
        assert money(doc, "sale_price") == expected_sale
        assert (doc["manage_stock"], doc["stock_quantity"]) == (True, spec.stock)
    for product_id, changes in edited.items():
        doc = next(d for d in docs if d["id"] == product_id)
        for key in ("name", "description", "status"):
            if key in changes:
                assert doc[key] == changes[key], (key, doc[key])
        if "images" in changes:
            assert [image["id"] for image in doc["images"]] == [
                image["id"] for image in before[product_id]["images"]
            ]
        if "categories" in changes:
            assert doc["category_ids"] == [category["id"]]
    for doc in docs:
        if doc["type"] != "variation" and doc["id"] not in edited:
            assert doc["status"] == "draft"

    writes = world.writes()
    third = await world.sync()
    assert third.report.writes == 0
    assert world.writes() == writes


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_after_a_sync_woocommerce_matches_the_pos_and_keeps_merchant_edits(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, scenario: Scenario
) -> None:
    with make_world(tmp_path_factory.mktemp("world"), _sqlite_template) as world:
        asyncio.run(play(world, scenario))
