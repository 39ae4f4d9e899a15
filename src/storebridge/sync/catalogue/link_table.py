"""Reading the link table for planning, and the parking rules around it.

`load_links` reads one store's links with only the columns planning needs
(no ORM objects: 100,000 rows must stay cheap) into `LinkView`s, plus the
stored on-hand and failure bookkeeping.

Parking (design.md §6: "an item that keeps failing is parked with its error,
not dropped"): a link whose writes failed `park_after` times in a row is
``parked`` and skipped by the planner.  It comes back by itself only when its
input changes: every failure message ends with a fingerprint of the input
that failed (``(input #1a2b3c4d5e6f)``), and `input_digest` of the current
POS row is compared with it.  A human brings it back with `retry_parked`.

A failed *create* has no WooCommerce id to hang a counter on, so it is
recorded as a parked row without id (`repositories.links.park`); while its
count is below `park_after` the engine keeps retrying it (the SKU look-up
before each create rules out a duplicate).

On-hand convention: ``on_hand`` is the POS on-hand of a *selected* item as
last read; it is NULL for an item out of the selection, so that a stock push
triggered by an order (`sync.stock`) never revives a delisted product.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from storebridge.domain.links import LinkView
from storebridge.domain.model import PosItem, sku_key
from storebridge.domain.ownership import sync_fields
from storebridge.persistence.tables import ProductLink
from storebridge.persistence.types import utcnow
from storebridge.sync.catalogue.mapping import owned_from_pushed

__all__ = [
    "DEFAULT_PARK_AFTER",
    "LinkTable",
    "input_digest",
    "linked_parent_ids",
    "load_links",
    "load_links_of_products",
    "parked_digest",
    "retry_parked",
    "store_on_hand",
    "unpark",
    "with_digest",
]

#: Consecutive failed writes after which an item is parked.
DEFAULT_PARK_AFTER = 3

_TABLE = cast(Table, ProductLink.__table__)
_DIGEST = re.compile(r"\(input #([0-9a-f]{12})\)\s*$")


@dataclass
class LinkTable:
    """One store's links as the engine plans with them."""

    links: dict[str, LinkView] = field(default_factory=dict)
    on_hand: dict[str, int | None] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # only links that failed
    problems: dict[str, str] = field(default_factory=dict)  # parked/broken/deleted links

    def parked_keys(self) -> set[str]:
        """The SKU keys of the parked links (`planning_view` needs their items)."""
        return {key for key, link in self.links.items() if link.state == "parked"}

    def planning_view(
        self, items_by_key: Mapping[str, PosItem], available: Mapping[str, int], park_after: int
    ) -> tuple[dict[str, LinkView], set[str]]:
        """The links to plan with, and the parked keys to bring back (`unpark`).

        `items_by_key` needs to hold the items of the parked keys only.  The
        links returned may be the table's own: read them, do not change them.

        A parked create still below `park_after` failures is left out, so the
        planner looks its SKU up and tries again; a parked link whose item
        changed since it failed comes back as ``linked`` (or, without id, is
        left out likewise).
        """
        revived: set[str] = set()
        parked = self.parked_keys()
        if not parked:
            return self.links, revived  # no copy of 100,000 links for nothing
        links = dict(self.links)
        for key in parked:
            link = self.links[key]
            item = items_by_key.get(key)
            stored = parked_digest(self.problems.get(key))
            changed = (
                item is not None
                and stored is not None
                and stored != input_digest(item, available.get(key, 0))
            )
            below = self.failures.get(key, 0) < park_after
            if link.woo_id is None and (below or changed):
                del links[key]
            elif changed:
                links[key] = replace(link, state="linked")
                revived.add(key)
        return links, revived


def load_links(session: Session, *, store: str, keys: Collection[str] | None = None) -> LinkTable:
    """The links of `store` (all, or those of `keys`), keyed by SKU key.

    One streamed query per 500 keys (one in all for the whole table), reading
    only the columns planning needs.
    """
    table = LinkTable()
    if keys is None:
        _load_into(table, session, store, None)
    else:
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            _load_into(table, session, store, ordered[start : start + 500])
    return table


def load_links_of_products(
    session: Session,
    *,
    store: str,
    woo_ids: Collection[int],
    parent_ids: Collection[int] | None = None,
) -> LinkTable:
    """The links to these WooCommerce ids or to variations of them, keyed by SKU key.

    `parent_ids`: the ids among `woo_ids` whose variations are wanted (all by
    default).  ``woo_parent_id`` has no index, so a caller that knows which
    products are linked parents (`linked_parent_ids`) spares a table scan.
    """
    table = LinkTable()
    c = _TABLE.c
    ordered = sorted(set(woo_ids))
    parents = ordered if parent_ids is None else sorted(set(parent_ids))
    for start in range(0, len(ordered), 500):
        _load_into(table, session, store, None, c.woo_id.in_(ordered[start : start + 500]))
    for start in range(0, len(parents), 500):
        _load_into(table, session, store, None, c.woo_parent_id.in_(parents[start : start + 500]))
    return table


def linked_parent_ids(session: Session, *, store: str) -> set[int]:
    """The WooCommerce ids of the variable products that have linked variations."""
    c = _TABLE.c
    query = select(c.woo_parent_id).where(c.store == store, c.woo_parent_id.is_not(None)).distinct()
    return {int(parent) for parent in session.scalars(query)}


def _load_into(
    table: LinkTable,
    session: Session,
    store: str,
    keys: list[str] | None,
    where: ColumnElement[bool] | None = None,
) -> None:
    c = _TABLE.c
    query = (
        select(
            c.sku_key,
            c.sku,
            c.woo_id,
            c.woo_parent_id,
            c.kind,
            c.state,
            c.pushed_regular_price,
            c.pushed_sale_price,
            c.pushed_sale_from,
            c.pushed_sale_to,
            c.pushed_stock,
            c.pushed_at.is_not(None),
            c.on_hand,
            c.failures,
            c.problem,
        )
        .where(c.store == store)
        .execution_options(yield_per=5000)
    )
    if keys is not None:
        query = query.where(c.sku_key.in_(keys))
    if where is not None:
        query = query.where(where)
    links, on_hands, failures, problems = (
        table.links,
        table.on_hand,
        table.failures,
        table.problems,
    )
    # Plain tuple unpacking: attribute access on 100,000 rows is the slow part.
    for (
        key,
        sku,
        woo_id,
        parent_id,
        kind,
        state,
        regular,
        sale,
        sale_from,
        sale_to,
        stock,
        pushed,
        on_hand,
        failed,
        problem,
    ) in session.execute(query).tuples():
        key = sys.intern(key)  # one string with the feed's own key (`model.sku_key`)
        links[key] = LinkView(
            key,
            sku,
            woo_id,
            parent_id,
            kind,
            state,
            owned_from_pushed(regular, sale, sale_from, sale_to, stock, pushed),
        )
        on_hands[key] = on_hand
        if failed:
            failures[key] = failed
        if problem:
            problems[key] = problem


def input_digest(item: PosItem, available: int) -> str:
    """A short fingerprint of everything StoreBridge would send for `item`."""
    text = repr(
        (
            sync_fields(item, available),
            item.name,
            item.description,
            item.short_description,
            item.categories,
            item.weight,
            item.parent_code,
            item.attributes,
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def with_digest(error: str, digest: str | None) -> str:
    """A failure message carrying the fingerprint of the input that failed."""
    return f"{error} (input #{digest})" if digest else error


def parked_digest(problem: str | None) -> str | None:
    """The input fingerprint a parked link's problem ends with, if any."""
    match = _DIGEST.search(problem or "")
    return match.group(1) if match else None


def unpark(
    session: Session, *, store: str, keys: Collection[str], now: datetime | None = None
) -> int:
    """Bring parked links with a WooCommerce id back to ``linked`` with a fresh count."""
    if not keys:
        return 0
    at = now or utcnow()
    c = _TABLE.c
    total = 0
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        result = session.execute(
            update(_TABLE)
            .where(
                c.store == store,
                c.sku_key.in_(ordered[start : start + 500]),
                c.state == "parked",
                c.woo_id.is_not(None),
            )
            .values(state="linked", problem=None, failures=0, last_error=None, updated_at=at)
        )
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


def retry_parked(session: Session, *, store: str, skus: Collection[str] | None = None) -> int:
    """A human's "retry": parked items (all, or these SKUs) are tried again next run.

    Parked creates (no WooCommerce id) are forgotten, so the next run looks
    their SKU up and creates or adopts them; parked links come back as
    ``linked``.  Returns how many links were released.
    """
    c = _TABLE.c
    scope = [c.store == store, c.state == "parked"]
    if skus is not None:
        scope.append(c.sku_key.in_(sorted({sku_key(s) for s in skus})))
    keys = set(session.scalars(select(c.sku_key).where(*scope, c.woo_id.is_not(None))))
    released = unpark(session, store=store, keys=keys)
    result = session.execute(delete(_TABLE).where(*scope, c.woo_id.is_(None)))
    return released + int(getattr(result, "rowcount", 0) or 0)


def store_on_hand(
    session: Session,
    *,
    store: str,
    values: Mapping[str, int | None],
    now: datetime | None = None,
) -> int:
    """Store the POS on-hand per SKU key (None for items out of the selection)."""
    if not values:
        return 0
    at = now or utcnow()
    c = _TABLE.c
    statement = (
        update(_TABLE)
        .where(c.store == store, c.sku_key == bindparam("b_key"))
        .values(on_hand=bindparam("b_on_hand"), on_hand_at=at)
    )
    params = [{"b_key": key, "b_on_hand": qty} for key, qty in values.items()]
    session.execute(statement, params)
    return len(params)
