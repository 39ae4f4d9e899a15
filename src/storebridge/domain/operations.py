"""The operations a `Plan` is made of, and the plan itself.

Each write operation carries the exact payload (built by `ownership`) and
the POS-owned values it establishes (`desired`), which the executor stores
on the link after a successful write: ``link.pushed(op.desired)``, or the
op's own ``link(...)`` for a new or adopted product.  Reports are not writes:
they keep a problem visible until a human fixes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from storebridge.domain.links import LinkKind, LinkState, LinkView
from storebridge.domain.ownership import Payload, PosOwned

__all__ = [
    "AddVariation",
    "Adopt",
    "AdoptStyle",
    "Conflict",
    "CreateDraft",
    "CreateVariableStyle",
    "NewVariation",
    "Plan",
    "SkipBroken",
    "UpdateFields",
    "ZeroStock",
]


@dataclass(frozen=True, slots=True)
class CreateDraft:
    sku_key: str
    sku: str
    payload: Payload
    desired: PosOwned

    def link(self, woo_id: int) -> LinkView:
        return LinkView(self.sku_key, self.sku, woo_id, None, "simple", "linked", self.desired)


@dataclass(frozen=True, slots=True)
class Adopt:
    """Link an existing WooCommerce product; `payload` may be empty."""

    sku_key: str
    sku: str
    woo_id: int
    kind: LinkKind
    parent_id: int | None
    payload: Payload
    desired: PosOwned

    def link(self) -> LinkView:
        return LinkView(
            self.sku_key, self.sku, self.woo_id, self.parent_id, self.kind, "linked", self.desired
        )


@dataclass(frozen=True, slots=True)
class UpdateFields:
    """Push changed POS-owned fields; `parent_id` set means a variation."""

    sku_key: str
    woo_id: int
    parent_id: int | None
    payload: Payload
    desired: PosOwned


@dataclass(frozen=True, slots=True)
class ZeroStock:
    """The item left the selection: publish 0 in stock, touch nothing else."""

    sku_key: str
    woo_id: int
    parent_id: int | None
    payload: Payload
    desired: PosOwned


@dataclass(frozen=True, slots=True)
class SkipBroken:
    """A link that waits for a human (broken, deleted or parked): nothing is written."""

    sku_key: str
    woo_id: int | None
    state: LinkState


@dataclass(frozen=True, slots=True)
class Conflict:
    sku_key: str
    woo_id: int | None
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class NewVariation:
    sku_key: str
    sku: str
    payload: Payload
    desired: PosOwned

    def link(self, woo_id: int, parent_id: int) -> LinkView:
        return LinkView(
            self.sku_key, self.sku, woo_id, parent_id, "variation", "linked", self.desired
        )


@dataclass(frozen=True, slots=True)
class CreateVariableStyle:
    """A new variable product (draft) and its variations."""

    style_key: str
    style_code: str
    payload: Payload
    variations: tuple[NewVariation, ...]

    def link(self, woo_id: int) -> LinkView:
        return LinkView(self.style_key, self.style_code, woo_id, None, "variable")


@dataclass(frozen=True, slots=True)
class AddVariation:
    """A new variation under a known parent.

    The engine first merges `new_options` into the parent's attributes
    (`ownership.merge_parent_attributes`), leaving the merchant's edits alone.
    """

    style_key: str
    parent_id: int
    variation: NewVariation
    new_options: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class AdoptStyle:
    """Link a variable product found in WooCommerce by its style code."""

    style_key: str
    style_code: str
    woo_id: int

    def link(self) -> LinkView:
        return LinkView(self.style_key, self.style_code, self.woo_id, None, "variable")


@dataclass(frozen=True, slots=True)
class Plan:
    creates: tuple[CreateDraft, ...] = ()
    adopts: tuple[Adopt | AdoptStyle, ...] = ()
    updates: tuple[UpdateFields | ZeroStock, ...] = ()
    variable_creates: tuple[CreateVariableStyle | AddVariation, ...] = ()
    reports: tuple[SkipBroken | Conflict, ...] = ()
    unchanged: int = 0  # linked items already as wanted
    left_alone: int = 0  # out of the selection and unlinked, or delist policy "leave"

    @property
    def is_empty(self) -> bool:
        """No write and no link to record (reports may remain)."""
        return not (self.creates or self.adopts or self.updates or self.variable_creates)

    def summary(self) -> dict[str, int]:
        def count(ops: Iterable[object], kind: type) -> int:
            return sum(1 for op in ops if isinstance(op, kind))

        return {
            "create": len(self.creates),
            "adopt": count(self.adopts, Adopt),
            "adopt_style": count(self.adopts, AdoptStyle),
            "update": count(self.updates, UpdateFields),
            "zero_stock": count(self.updates, ZeroStock),
            "create_style": count(self.variable_creates, CreateVariableStyle),
            "create_variation": sum(
                len(op.variations)
                for op in self.variable_creates
                if isinstance(op, CreateVariableStyle)
            ),
            "add_variation": count(self.variable_creates, AddVariation),
            "skip_broken": count(self.reports, SkipBroken),
            "conflict": count(self.reports, Conflict),
            "unchanged": self.unchanged,
            "left_alone": self.left_alone,
        }
