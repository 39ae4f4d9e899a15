"""Stock that is due: SKUs whose published figure a ledger change made stale (design.md §4).

A ledger change (an orders page recorded with its cursor, a webhook's order,
released exports) and the push of the SKUs it moved are two steps.  A
process killed between them would leave nothing to say those SKUs are due:
the next refresh sees no new order for them and an incremental products read
does not carry an unchanged POS row.  So the transaction that records the
change also marks them (`mark_stock_due`): it forgets their last pushed
stock (``pushed_stock = None``, `forget_pushed_stock`), which the next push of
any kind finds (`allocation.forgotten_stock`) and which a successful push
sets again.

Only a SKU whose computed figure now differs from the one last pushed is
marked: a status change that leaves the allocation as it was (or a figure
clamped at 0) marks nothing, so nothing is written for it.  `stock_updates`
is that comparison, shared with the stock push itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from sqlalchemy import update
from sqlalchemy.orm import Session

from storebridge.domain.allocation import StockExplanation
from storebridge.domain.operations import UpdateFields
from storebridge.domain.ownership import update_payload
from storebridge.persistence.tables import ProductLink
from storebridge.settings import StoreSettings
from storebridge.sync.catalogue.link_table import LinkTable, load_links
from storebridge.sync.orders.ledger_record import LedgerChange
from storebridge.sync.orders.ledger_view import allocated_for_store

__all__ = ["forget_pushed_stock", "mark_stock_due", "note_ledger_changes", "stock_updates"]


def forget_pushed_stock(session: Session, *, store: str, sku_keys: Collection[str]) -> int:
    """WooCommerce moved these SKUs' stock by itself: the last push no longer holds.

    Clearing ``pushed_stock`` makes the next push (stock push or products
    run) send the computed figure whatever it was before; it is an absolute
    value, so sending it again is always safe.  Returns the links touched.
    """
    keys = sorted(set(sku_keys))
    touched = 0
    for start in range(0, len(keys), 500):
        result = session.execute(
            update(ProductLink)
            .where(
                ProductLink.store == store,
                ProductLink.sku_key.in_(keys[start : start + 500]),
                ProductLink.pushed_stock.is_not(None),
            )
            .values(pushed_stock=None, source_digest=None)
        )
        touched += int(getattr(result, "rowcount", 0) or 0)
    return touched


def stock_updates(
    table: LinkTable, allocated: Mapping[str, int], settings: StoreSettings
) -> tuple[list[UpdateFields], dict[str, StockExplanation]]:
    """The stock writes ``max(0, stored on-hand - allocated - safety)`` needs for `table`'s links.

    Only linked simple products and variations with a stored on-hand that
    were pushed before count; a figure equal to the last pushed one needs no write.
    """
    terms: dict[str, StockExplanation] = {}
    updates: list[UpdateFields] = []
    for key, link in table.links.items():
        on_hand = table.on_hand.get(key)
        last = link.last_pushed
        if link.state != "linked" or link.kind == "variable" or on_hand is None:
            continue
        if last is None:
            continue  # never pushed: the next products run creates or adopts it
        held = allocated.get(key, 0)
        safety = settings.safety_for(link.sku)
        available = max(0, on_hand - held - safety)
        desired = replace(last, manage_stock=True, stock_quantity=available)
        payload = update_payload(desired, last)
        if payload:
            terms[key] = StockExplanation(on_hand, held, safety, available)
            updates.append(UpdateFields(key, link.live_id, link.woo_parent_id, payload, desired))
    return updates, terms


def mark_stock_due(
    session: Session, *, store: str, settings: StoreSettings, sku_keys: Collection[str]
) -> set[str]:
    """Mark the SKUs among `sku_keys` whose figure differs from the last pushed one.

    Call it inside the transaction that moved their allocation, after the
    change.  Returns the SKU keys marked.
    """
    if not sku_keys:
        return set()
    keys = set(sku_keys)
    table = load_links(session, store=store, keys=keys)
    allocated = allocated_for_store(session, store, settings, sku_keys=keys)
    updates, _terms = stock_updates(table, allocated, settings)
    due = {change.sku_key for change in updates}
    forget_pushed_stock(session, store=store, sku_keys=due)
    return due


def note_ledger_changes(
    session: Session, *, store: str, settings: StoreSettings, changes: Iterable[LedgerChange]
) -> None:
    """In the transaction that recorded `changes`: forget what WooCommerce moved, mark what is due."""
    recorded = list(changes)
    moved = {key for change in recorded for key in change.stock_moved}
    if moved:
        forget_pushed_stock(session, store=store, sku_keys=moved)
    mark_stock_due(
        session,
        store=store,
        settings=settings,
        sku_keys={key for change in recorded for key in change.skus} - moved,
    )
