"""The link table as the core sees it, and how to judge a linked product read back.

A link joins a POS SKU to a WooCommerce id (design.md §2, "the glue") and
remembers the POS-owned values last pushed, so that only changes are sent.
`classify_remote` tells the engine and reconcile whether the linked product
still carries the SKU: a SKU edited by hand in WooCommerce is a *broken*
link to report, never a reason to create a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from storebridge.domain.model import sku_key
from storebridge.domain.ownership import PosOwned

__all__ = [
    "BrokenLink",
    "Deleted",
    "Healthy",
    "LinkKind",
    "LinkState",
    "LinkView",
    "RemoteHealth",
    "WooView",
    "classify_remote",
    "judge_remote",
]

LinkKind = Literal["simple", "variable", "variation"]
#: ``linked`` is the only state the planner writes to.  ``broken`` (the SKU was
#: edited in WooCommerce), ``deleted`` (the product is gone) and ``parked`` (writes
#: kept failing) wait for a human; ``parked`` creates have no WooCommerce id yet.
LinkState = Literal["linked", "broken", "deleted", "parked"]


@dataclass(frozen=True, slots=True)
class LinkView:
    """One row of the link table: SKU <-> WooCommerce id, and what was last pushed."""

    sku_key: str
    sku: str
    woo_id: int | None
    woo_parent_id: int | None = None
    kind: LinkKind = "simple"
    state: LinkState = "linked"
    last_pushed: PosOwned | None = None

    def __post_init__(self) -> None:
        if self.state == "linked" and self.woo_id is None:
            raise ValueError(f"link {self.sku!r} is 'linked' but has no WooCommerce id")

    @property
    def live_id(self) -> int:
        """The WooCommerce id to write to (always set on a ``linked`` link)."""
        if self.woo_id is None:
            raise ValueError(f"link {self.sku!r} ({self.state}) has no WooCommerce id")
        return self.woo_id

    def pushed(self, desired: PosOwned) -> LinkView:
        """This link after a successful write of `desired`."""
        return replace(self, last_pushed=desired)


@dataclass(frozen=True, slots=True)
class WooView:
    """A WooCommerce product or variation as found by SKU (only what planning needs)."""

    id: int
    sku: str
    type: str  # simple | variable | variation | grouped | external
    parent_id: int | None
    status: str
    owned: PosOwned  # the POS-owned fields as WooCommerce holds them now


# --- what a read-back of a linked product says ------------------------------


@dataclass(frozen=True, slots=True)
class Healthy:
    """The linked id still holds the linked SKU."""


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The linked id now holds another SKU: someone edited it in WooCommerce."""

    found_sku: str


@dataclass(frozen=True, slots=True)
class Deleted:
    """The linked id is gone or in the trash."""


RemoteHealth = Healthy | BrokenLink | Deleted


def classify_remote(link: LinkView, found: WooView | None) -> RemoteHealth:
    """Judge a linked product from what WooCommerce returned for its id.

    The engine and reconcile call this with the product read by id (with
    ``context=edit``, so a variation without its own SKU does not show its
    parent's).  SKUs compare as WooCommerce compares them (`sku_key`).
    """
    if found is None:
        return Deleted()
    return judge_remote(link, found.sku, found.status)


def judge_remote(link: LinkView, found_sku: str, status: str) -> RemoteHealth:
    """Judge a linked product from the SKU and status WooCommerce holds for its id.

    The light form of `classify_remote`, for listings that read only
    ``id,sku,status`` (the pre-write link check, `sync.catalogue.link_check`).
    """
    if status == "trash":
        return Deleted()
    if sku_key(found_sku) != link.sku_key:
        return BrokenLink(found_sku)
    return Healthy()
