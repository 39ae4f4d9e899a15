"""The planner: POS items + link table + allocation -> a plan of WooCommerce writes.

`plan()` is a pure function (design.md §7).  It decides, per SKU, one of:

* ``CreateDraft``: selected, unlinked, unknown to WooCommerce -> a new draft;
* ``Adopt``: selected, unlinked, but WooCommerce already has the SKU -> link
  it and push only the POS-owned fields that differ (never a duplicate);
* ``UpdateFields``: linked -> push the POS-owned fields changed since the last
  push (nothing at all when nothing changed);
* ``ZeroStock``: linked but out of the selection (or gone from a complete
  snapshot) and the delist policy is ``zero_stock``;
* ``SkipBroken``: the link is ``broken``/``deleted``; it is never written to
  nor re-created, so its report stays visible until a human relinks it;
* ``Conflict``: the SKU is held by something StoreBridge cannot sync (a
  variable or grouped product, a style code used as an item SKU...).

Matrix items (``parent_code``) are grouped by style: a new style becomes one
``CreateVariableStyle``; a new variant of a known style an ``AddVariation``;
a style found in WooCommerce by its code an ``AdoptStyle``.  Variations then
sync exactly like simple products, addressed through their parent.

The operation types live in `operations`, the link types in `links`; both
are re-exported here.  The executor applies the plan and records links with the ops' ``link()``
helpers and ``LinkView.pushed()``, so that planning again from the updated
links yields no writes.  Planning is one pass over the items (O(n), dict
lookups only); the items are streamed, variants are buffered per style.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Literal

from storebridge.domain.links import (
    BrokenLink,
    Deleted,
    Healthy,
    LinkKind,
    LinkState,
    LinkView,
    RemoteHealth,
    WooView,
    classify_remote,
)
from storebridge.domain.model import DelistPolicy, PosItem, sku_key
from storebridge.domain.operations import (
    AddVariation,
    Adopt,
    AdoptStyle,
    Conflict,
    CreateDraft,
    CreateVariableStyle,
    NewVariation,
    Plan,
    SkipBroken,
    UpdateFields,
    ZeroStock,
)
from storebridge.domain.ownership import (
    Payload,
    PosOwned,
    create_payload,
    create_variable_parent_payload,
    create_variation_payload,
    sync_fields,
    update_payload,
)

__all__ = [
    "AddVariation",
    "Adopt",
    "AdoptStyle",
    "BrokenLink",
    "Conflict",
    "CreateDraft",
    "CreateVariableStyle",
    "Deleted",
    "Healthy",
    "LinkKind",
    "LinkState",
    "LinkView",
    "NewVariation",
    "Plan",
    "RemoteHealth",
    "SkipBroken",
    "UpdateFields",
    "WooView",
    "ZeroStock",
    "classify_remote",
    "plan",
    "unlinked_keys",
]


def plan(
    items: Iterable[PosItem],
    links: Mapping[str, LinkView],
    *,
    available: Mapping[str, int],
    existing: Mapping[str, WooView],
    delist: DelistPolicy,
    category_ids: Mapping[str, int] | None = None,
    quarantined: Collection[str] = frozenset(),
    complete: bool = True,
    unchanged: Collection[str] = frozenset(),
    planned_apart: Collection[str] = frozenset(),
) -> Plan:
    """Plan the writes that bring WooCommerce in line with the POS.

    Args:
        items: validated items, unique by SKU key (`validate_feed` output).
        links: the link table by SKU key (items and style codes).
        available: the quantity to publish per SKU key, for every selected
            item; a missing key is a programming error (KeyError).
        existing: WooCommerce products found by SKU for unlinked SKU keys
            and style codes (see `unlinked_keys`).
        delist: what to do with linked items that left the selection.
        category_ids: category name -> id, for new drafts.
        quarantined: SKU keys quarantined in this feed; their links are left
            alone (a bad row must not zero a product's stock).
        complete: `items` is a full snapshot, so a linked SKU missing from it
            has left the POS and is delisted.  False for a delta.
        unchanged: SKU keys of feed rows that are as they were at their
            link's last confirmed sync (`FeedResult.unchanged`): in the feed,
            so not delisted, and nothing to write for them.
        planned_apart: SKU keys of feed items planned by another call (another
            slice, `plan_slices`): in the feed, so not delisted, and not counted.

    Raises:
        ValueError: two items share a SKU key.
    """
    planner = _Planner(links, available, existing, delist, category_ids)
    planner.unchanged = len(unchanged)
    seen: set[str] = set()
    styles: dict[str, list[tuple[str, PosItem]]] = {}
    for item in items:
        key = item.key
        if key in seen or key in unchanged:
            raise ValueError(
                f"SKU {item.sku!r} is planned twice; run the feed through validate_feed first"
            )
        seen.add(key)
        if item.parent_code:
            styles.setdefault(sku_key(item.parent_code), []).append((key, item))
        else:
            planner.item(key, item)
    for style_key, variants in styles.items():
        planner.style(style_key, variants)
    if complete:
        for key, link in links.items():
            if (
                key not in seen
                and key not in quarantined
                and key not in unchanged
                and key not in planned_apart
                and link.kind != "variable"
            ):
                planner.linked_but_gone(link)
    return planner.build()


def unlinked_keys(items: Iterable[PosItem], links: Mapping[str, LinkView]) -> set[str]:
    """SKU keys (and style codes) the engine must look up in WooCommerce before planning."""
    keys: set[str] = set()
    for item in items:
        if not item.selected:
            continue
        if item.key not in links:
            keys.add(item.key)
            if item.parent_code and sku_key(item.parent_code) not in links:
                keys.add(sku_key(item.parent_code))
    return keys


class _Planner:
    def __init__(
        self,
        links: Mapping[str, LinkView],
        available: Mapping[str, int],
        existing: Mapping[str, WooView],
        delist: DelistPolicy,
        category_ids: Mapping[str, int] | None,
    ) -> None:
        self.links = links
        self.available = available
        self.existing = existing
        self.delist = delist
        self.category_ids = category_ids
        self.creates: list[CreateDraft] = []
        self.adopts: list[Adopt | AdoptStyle] = []
        self.updates: list[UpdateFields | ZeroStock] = []
        self.variable_creates: list[CreateVariableStyle | AddVariation] = []
        self.reports: list[SkipBroken | Conflict] = []
        self.unchanged = 0
        self.left_alone = 0

    def build(self) -> Plan:
        return Plan(
            tuple(self.creates),
            tuple(self.adopts),
            tuple(self.updates),
            tuple(self.variable_creates),
            tuple(self.reports),
            self.unchanged,
            self.left_alone,
        )

    # -- simple items and linked variations

    def item(self, key: str, item: PosItem) -> None:
        link = self.links.get(key)
        if link is not None:
            self.linked(key, item, link)
        elif not item.selected:
            self.left_alone += 1
        elif (found := self._found(key)) is not None:
            self.adopt(key, item, found)
        else:
            available = self.available[key]
            payload = create_payload(item, available, self.category_ids)
            self.creates.append(CreateDraft(key, item.sku, payload, sync_fields(item, available)))

    def linked(self, key: str, item: PosItem, link: LinkView) -> None:
        if link.kind == "variable":
            self.reports.append(
                Conflict(
                    key,
                    link.woo_id,
                    "sku_is_style",
                    f"SKU {item.sku!r} is linked to a variable product (a style code); "
                    "rename the item or the style in the POS",
                )
            )
        elif link.state != "linked":
            self.reports.append(SkipBroken(key, link.woo_id, link.state))
        elif not item.selected:
            self.linked_but_gone(link)
        else:
            desired = sync_fields(item, self.available[key])
            if desired == link.last_pushed:
                self.unchanged += 1
                return
            payload = update_payload(desired, link.last_pushed)
            if payload:
                self.updates.append(
                    UpdateFields(key, link.live_id, link.woo_parent_id, payload, desired)
                )
            else:
                self.unchanged += 1

    def linked_but_gone(self, link: LinkView) -> None:
        if link.state != "linked":
            self.reports.append(SkipBroken(link.sku_key, link.woo_id, link.state))
            return
        last = link.last_pushed
        if self.delist == "leave" or (last and last.manage_stock and last.stock_quantity == 0):
            self.left_alone += 1
            return
        if last is None:
            desired = PosOwned(None, None, None, None, manage_stock=True, stock_quantity=0)
            payload: Payload = {"manage_stock": True, "stock_quantity": 0}
        else:
            desired = replace(last, manage_stock=True, stock_quantity=0)
            payload = update_payload(desired, last)
        self.updates.append(
            ZeroStock(link.sku_key, link.live_id, link.woo_parent_id, payload, desired)
        )

    def adopt(self, key: str, item: PosItem, found: WooView) -> None:
        if found.type not in ("simple", "variation"):
            self.reports.append(
                Conflict(
                    key,
                    found.id,
                    f"sku_taken_by_{found.type}",
                    f"WooCommerce product {found.id} ({found.type}) already has SKU "
                    f"{found.sku!r}; StoreBridge syncs only simple products and variations: "
                    "change the SKU on one side",
                )
            )
            return
        desired = sync_fields(item, self.available[key])
        kind: LinkKind = "variation" if found.type == "variation" else "simple"
        parent_id = found.parent_id if kind == "variation" else None
        payload = update_payload(desired, found.owned)
        self.adopts.append(Adopt(key, item.sku, found.id, kind, parent_id, payload, desired))

    def _found(self, key: str) -> WooView | None:
        found = self.existing.get(key)
        # A trashed product does not hold its SKU any more (woocommerce-rest-api.md §3.5).
        return found if found is not None and found.status != "trash" else None

    # -- styles

    def style(self, style_key: str, variants: list[tuple[str, PosItem]]) -> None:
        pending: list[tuple[str, PosItem]] = []
        for key, variant in variants:
            link = self.links.get(key)
            if link is not None:
                self.linked(key, variant, link)
            elif not variant.selected:
                self.left_alone += 1
            elif (found := self._found(key)) is not None:
                self.adopt(key, variant, found)
            else:
                pending.append((key, variant))
        if not pending:
            return
        parent = self._style_parent(style_key, pending)
        if parent == "new":
            self._create_style(style_key, pending)
            return
        if parent == "blocked":
            return  # reported by _style_parent
        for key, variant in pending:
            new = self._new_variation(key, variant)
            options = {name: (value,) for name, value in variant.attributes}
            self.variable_creates.append(AddVariation(style_key, parent, new, options))

    def _style_parent(
        self, style_key: str, pending: list[tuple[str, PosItem]]
    ) -> int | Literal["new", "blocked"]:
        """The parent's id, "new" for a style to create, "blocked" (and reported)."""
        code = pending[0][1].parent_code or style_key
        waiting = f"{len(pending)} new variant(s) wait"
        link = self.links.get(style_key)
        if link is not None:
            if link.kind == "variable" and link.state == "linked":
                return link.live_id
            if link.kind == "variable":
                self.reports.append(SkipBroken(style_key, link.woo_id, link.state))
            else:
                self.reports.append(
                    Conflict(
                        style_key,
                        link.woo_id,
                        "style_code_taken",
                        f"style code {code!r} is linked to a {link.kind} product; {waiting}: "
                        "rename the style or the item in the POS",
                    )
                )
            return "blocked"
        found = self._found(style_key)
        if found is None:
            return "new"
        if found.type == "variable":
            self.adopts.append(AdoptStyle(style_key, code, found.id))
            return found.id
        self.reports.append(
            Conflict(
                style_key,
                found.id,
                "style_code_taken",
                f"style code {code!r} is the SKU of WooCommerce {found.type} product "
                f"{found.id}; {waiting}: change the SKU on one side",
            )
        )
        return "blocked"

    def _new_variation(self, key: str, variant: PosItem) -> NewVariation:
        quantity = self.available[key]
        return NewVariation(
            key,
            variant.sku,
            create_variation_payload(variant, quantity),
            sync_fields(variant, quantity),
        )

    def _create_style(self, style_key: str, pending: list[tuple[str, PosItem]]) -> None:
        first = pending[0][1]
        code = first.parent_code or style_key
        # Attribute names and options compare ignoring case, as in WooCommerce's
        # matching of a variation's attributes to its parent's; first spelling wins.
        attributes: dict[str, list[str]] = {}
        spelled: dict[str, str] = {}
        for _, variant in pending:
            for name, value in variant.attributes:
                options = attributes.setdefault(spelled.setdefault(name.casefold(), name), [])
                if value.casefold() not in {o.casefold() for o in options}:
                    options.append(value)
        payload = create_variable_parent_payload(
            code,
            first.parent_name or first.name,
            attributes,
            description=first.description,
            short_description=first.short_description,
            categories=first.categories,
            category_ids=self.category_ids,
        )
        variations = tuple(self._new_variation(key, v) for key, v in pending)
        self.variable_creates.append(CreateVariableStyle(style_key, code, payload, variations))
