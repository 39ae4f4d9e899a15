"""Product links: the stored join between a POS SKU and a WooCommerce product.

A link is found by SKU (compared as `domain.model.sku_key`) or by WooCommerce
id, remembers what was last pushed so unchanged values are not sent again,
and records trouble: a *broken* link (the SKU was edited by hand in
WooCommerce), a *deleted* product, or a *parked* item that keeps failing.
Writers for one store are serialised by that store's job lock; the upserts
are nevertheless single ``INSERT ... ON CONFLICT DO UPDATE`` statements, safe
against a concurrent insert of the same SKU.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import Table, bindparam, case, null, select, update
from sqlalchemy.orm import Session

from storebridge.domain.model import sku_key
from storebridge.persistence.repositories._sql import insert_for, now_or, rowcount
from storebridge.persistence.tables import ProductLink

__all__ = [
    "LinkKind",
    "LinkOrigin",
    "LinkState",
    "NewLink",
    "Pushed",
    "PushedPrices",
    "get_link",
    "get_link_by_woo_id",
    "iter_links",
    "mark_broken",
    "mark_deleted",
    "mark_pushed",
    "mark_pushed_many",
    "park",
    "record_failure",
    "record_on_hand",
    "record_on_hand_many",
    "upsert_link",
    "upsert_links",
]

LinkKind = Literal["simple", "variable", "variation"]
LinkOrigin = Literal["created", "adopted"]
LinkState = Literal["linked", "broken", "deleted", "parked"]


@dataclass(frozen=True, slots=True)
class PushedPrices:
    """The POS-owned price fields as last written to WooCommerce."""

    regular: Decimal | None
    sale: Decimal | None = None
    sale_from: datetime | None = None
    sale_to: datetime | None = None


def get_link(session: Session, *, store: str, sku: str) -> ProductLink | None:
    """The link of `sku` (any spelling that normalises to the same key), if any."""
    return session.scalars(
        select(ProductLink)
        .where(ProductLink.store == store, ProductLink.sku_key == sku_key(sku))
        .execution_options(populate_existing=True)
    ).one_or_none()


def get_link_by_woo_id(session: Session, *, store: str, woo_id: int) -> ProductLink | None:
    """The link pointing at WooCommerce product or variation `woo_id`, if any."""
    return session.scalars(
        select(ProductLink).where(ProductLink.store == store, ProductLink.woo_id == woo_id)
    ).first()


def iter_links(
    session: Session, *, store: str, states: Collection[LinkState] | None = None
) -> Iterator[ProductLink]:
    """Every link of `store` (optionally only in `states`), by SKU key, streamed in chunks."""
    query = select(ProductLink).where(ProductLink.store == store)
    if states is not None:
        query = query.where(ProductLink.state.in_(list(states)))
    query = query.order_by(ProductLink.sku_key).execution_options(yield_per=1000)
    yield from session.scalars(query)


def _require(session: Session, store: str, sku: str) -> ProductLink:
    link = get_link(session, store=store, sku=sku)
    if link is None:
        raise LookupError(f"store {store!r} has no link for SKU {sku!r}")
    return link


@dataclass(frozen=True, slots=True)
class NewLink:
    """One SKU ↔ WooCommerce id pair to store with `upsert_links`."""

    sku: str
    woo_id: int
    kind: LinkKind
    origin: LinkOrigin
    woo_parent_id: int | None = None


_PUSHED = (
    "pushed_regular_price",
    "pushed_sale_price",
    "pushed_sale_from",
    "pushed_sale_to",
    "pushed_stock",
    "pushed_at",
)
#: Columns an upsert overwrites on an existing link (identity, state and trouble).
_REPAIRED = (
    "sku",
    "woo_id",
    "woo_parent_id",
    "kind",
    "origin",
    "state",
    "problem",
    "failures",
    "last_error",
    "updated_at",
)
_TABLE = cast(Table, ProductLink.__table__)


def upsert_links(
    session: Session, *, store: str, links: Iterable[NewLink], now: datetime | None = None
) -> int:
    """Create or repair many links at once (batched multi-row statements); returns how many.

    Each link ends up `linked` with its failures cleared.  A link pointed at a
    different WooCommerce id forgets its last-pushed values, because nothing
    has been pushed to the new product yet.  When a SKU appears twice, the
    last occurrence wins.
    """
    at = now_or(now)
    rows = {
        sku_key(link.sku): {
            "store": store,
            "sku_key": sku_key(link.sku),
            "sku": link.sku.strip(),
            "woo_id": link.woo_id,
            "woo_parent_id": link.woo_parent_id,
            "kind": link.kind,
            "origin": link.origin,
            "state": "linked",
            "problem": None,
            "failures": 0,
            "last_error": None,
            "created_at": at,
            "updated_at": at,
        }
        for link in links
    }
    values = list(rows.values())
    if not values:
        return 0
    statement = insert_for(session, _TABLE)
    new = statement.excluded
    same_product = _TABLE.c.woo_id.is_not_distinct_from(new.woo_id)
    changes: dict[str, Any] = {name: new[name] for name in _REPAIRED}
    changes.update({name: case((same_product, _TABLE.c[name]), else_=null()) for name in _PUSHED})
    changes["source_digest"] = null()  # a (re)linked row is judged anew by the next run
    # One cached statement with a parameter list: SQLAlchemy batches it into
    # multi-row INSERTs ("insertmanyvalues") without recompiling per chunk.
    session.execute(
        statement.on_conflict_do_update(index_elements=["store", "sku_key"], set_=changes),
        values,
    )
    return len(values)


def upsert_link(
    session: Session,
    *,
    store: str,
    sku: str,
    woo_id: int,
    kind: LinkKind,
    origin: LinkOrigin,
    woo_parent_id: int | None = None,
    now: datetime | None = None,
) -> ProductLink:
    """Link `sku` to `woo_id` (create, or repair and mark `linked`); see `upsert_links`."""
    upsert_links(
        session,
        store=store,
        links=[NewLink(sku, woo_id, kind, origin, woo_parent_id)],
        now=now,
    )
    return _require(session, store, sku)


@dataclass(frozen=True, slots=True)
class Pushed:
    """What one write sent for a SKU: its prices, its stock, or both."""

    prices: PushedPrices | None = None
    stock: int | None = None


def _executemany(session: Session, statement: Any, params: list[dict[str, Any]]) -> int:
    if not params:
        return 0
    return rowcount(session, statement, params)


def mark_pushed_many(
    session: Session, *, store: str, pushed: Mapping[str, Pushed], now: datetime | None = None
) -> int:
    """Remember what WooCommerce now holds for each SKU (only the parts that were sent).

    A successful push also clears the failure count and last error.  Returns
    how many links were updated (SKUs without a link are ignored).
    """
    at = now_or(now)
    table = _TABLE
    groups: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for sku, sent in pushed.items():
        params: dict[str, Any] = {"b_key": sku_key(sku)}
        if sent.prices is not None:
            params.update(
                b_regular=sent.prices.regular,
                b_sale=sent.prices.sale,
                b_from=sent.prices.sale_from,
                b_to=sent.prices.sale_to,
            )
        if sent.stock is not None:
            params["b_stock"] = sent.stock
        groups.setdefault((sent.prices is not None, sent.stock is not None), []).append(params)
    updated = 0
    for (has_prices, has_stock), params_list in groups.items():
        values: dict[str, Any] = {
            "pushed_at": at,
            "failures": 0,
            "last_error": None,
            "updated_at": at,
            # Only a products run vouches that the POS row and WooCommerce agree
            # (`sync.catalogue.digests`); it stores the digest again after its pushes.
            "source_digest": None,
        }
        if has_prices:
            values.update(
                pushed_regular_price=bindparam("b_regular"),
                pushed_sale_price=bindparam("b_sale"),
                pushed_sale_from=bindparam("b_from"),
                pushed_sale_to=bindparam("b_to"),
            )
        if has_stock:
            values["pushed_stock"] = bindparam("b_stock")
        statement = (
            update(table)
            .where(table.c.store == store, table.c.sku_key == bindparam("b_key"))
            .values(values)
        )
        updated += _executemany(session, statement, params_list)
    return updated


def mark_pushed(
    session: Session,
    *,
    store: str,
    sku: str,
    prices: PushedPrices | None = None,
    stock: int | None = None,
    now: datetime | None = None,
) -> None:
    """`mark_pushed_many` for one SKU; LookupError if it has no link."""
    if not mark_pushed_many(session, store=store, pushed={sku: Pushed(prices, stock)}, now=now):
        raise LookupError(f"store {store!r} has no link for SKU {sku!r}")


def record_on_hand_many(
    session: Session, *, store: str, on_hand: Mapping[str, int], now: datetime | None = None
) -> int:
    """Store the POS on-hand (summed over the store's locations) last read per SKU.

    Returns how many links were updated (SKUs without a link are ignored).
    """
    at = now_or(now)
    table = _TABLE
    statement = (
        update(table)
        .where(table.c.store == store, table.c.sku_key == bindparam("b_key"))
        .values(on_hand=bindparam("b_on_hand"), on_hand_at=at, updated_at=at)
    )
    params = [{"b_key": sku_key(sku), "b_on_hand": qty} for sku, qty in on_hand.items()]
    return _executemany(session, statement, params)


def record_on_hand(
    session: Session, *, store: str, sku: str, on_hand: int, now: datetime | None = None
) -> None:
    """`record_on_hand_many` for one SKU; LookupError if it has no link."""
    if not record_on_hand_many(session, store=store, on_hand={sku: on_hand}, now=now):
        raise LookupError(f"store {store!r} has no link for SKU {sku!r}")


def _set_state(
    session: Session, store: str, sku: str, state: LinkState, problem: str, at: datetime
) -> ProductLink:
    link = _require(session, store, sku)
    link.state = state
    link.problem = problem
    link.updated_at = at
    session.flush()
    return link


def mark_broken(
    session: Session, *, store: str, sku: str, problem: str, now: datetime | None = None
) -> ProductLink:
    """The WooCommerce product no longer carries this SKU (edited by hand): stop writing to it."""
    return _set_state(session, store, sku, "broken", problem, now_or(now))


def mark_deleted(
    session: Session, *, store: str, sku: str, problem: str, now: datetime | None = None
) -> ProductLink:
    """The WooCommerce product was deleted or trashed: stop writing to it."""
    return _set_state(session, store, sku, "deleted", problem, now_or(now))


def record_failure(
    session: Session,
    *,
    store: str,
    sku: str,
    error: str,
    park_after: int,
    now: datetime | None = None,
) -> ProductLink:
    """Count one more failed write for `sku`; park the link once `park_after` is reached."""
    at = now_or(now)
    link = _require(session, store, sku)
    link.failures += 1
    link.last_error = error
    if link.failures >= park_after:
        link.state = "parked"
        link.problem = error
    link.updated_at = at
    session.flush()
    return link


def park(
    session: Session,
    *,
    store: str,
    sku: str,
    error: str,
    kind: LinkKind = "simple",
    now: datetime | None = None,
) -> ProductLink:
    """Park `sku` with `error`, creating a link without WooCommerce id if none exists.

    Used when creating the product itself keeps failing: the parked row keeps
    the item visible (and skipped) until an operator fixes it.
    """
    at = now_or(now)
    link = get_link(session, store=store, sku=sku)
    if link is None:
        session.execute(
            insert_for(session, ProductLink)
            .values(
                store=store,
                sku_key=sku_key(sku),
                sku=sku.strip(),
                woo_id=None,
                kind=kind,
                origin="created",
                state="parked",
                failures=0,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["store", "sku_key"]),
        )
        link = _require(session, store, sku)
    link.state = "parked"
    link.problem = error
    link.last_error = error
    link.failures += 1
    link.updated_at = at
    session.flush()
    return link
