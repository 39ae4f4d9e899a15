"""The pre-write link check: no write reaches a product whose SKU was edited or that was trashed.

A merchant may edit a linked product's SKU or trash it in WooCommerce at any
time.  The executor notices it in the answer to a write, which is one write
too late: the POS price and stock have landed on the wrong product.  So every
products run and every stock push first asks WooCommerce what changed since
the last check and judges the links of those products *before* planning:

``GET /products?include_status=<every status, trash included>
&modified_after=<cursor>&dates_are_gmt=true&orderby=modified&order=asc
&_fields=id,sku,status,type,date_modified_gmt``

walked with `domain.cursor.Sweep` (closed start, keyset paging, same-second
drain: gap-free without relying on how ties are ordered), the same walk as
the order ledger.  Facts measured on WooCommerce 10.0.2 that this relies on:

* trashing a product moves its ``date_modified``; a default listing (status
  ``any``) leaves trashed products out, so the trash is asked for with
  ``include_status`` (one request covers both);
* editing a variation (its SKU too) moves its *parent's* ``date_modified``;
  a listing of products never returns variations, so the linked variations
  of a changed parent are read (``/products/<parent>/variations?include=``,
  ``context=edit`` so an empty SKU does not show the parent's).

The first check of a store has no cursor yet and reads its whole catalogue
once (``id,sku,status,type`` only: one request per 100 products).  An idle
check costs one request.  While 100 or more products share the
newest modification second (one batch of our own writes), the sweep must
drain that second on every check (three requests) until it knows no write
can still be stamped in it: once the server's ``Date``, read as the check
begins, is `SEAL_MARGIN` past that second, the cursor moves on
(`domain.cursor.seal_past`) and idle checks cost one request again.

Limits.  WooCommerce dates have whole seconds: a parent already read at its
modification second is not read again for a variation edited within that
same second (the executor still sees the SKU in the write's answer).

A linked product that now carries another SKU becomes *broken*, a trashed one
(or a linked variation that is gone, or whose parent is trashed) *deleted*
(`domain.links.judge_remote`); the marks are committed with the cursor that
covers them, in one transaction.  The cursor alone is written every
`_SAVE_EVERY` pages (a crash re-reads at most those: judging is idempotent).

Our own writes move ``date_modified`` too, so the check after a run that
wrote N products reads them back once.  That read-back used to cost ~5
requests per 100 products and ~2.3 ms of CPU per product: 4,983 listings for
100,000 products.  Why, and what it costs now:

* A batch of writes stamps hundreds of products in one second, and
  WooCommerce returns a second's products in no set order.  Each page
  restarted at the cursor's second (closed start), so it returned mostly
  products already delivered, in a new order: a coupon collector's walk,
  then drain, beyond and seal requests per crowded second.  Now the first
  answer's ``Date`` minus `SEAL_MARGIN` is the sweep's *horizon*
  (`domain.cursor.Sweep.sealed_before`): below it no product can be
  stamped any more, and a product this check delivered that is edited again
  lands at or after it, so those pages exclude the ids this check delivered
  in the cursor's second and hold only new products; N products cost
  ceil(N / 100) + 2 requests.  The newest seconds (within the margin of the
  check's start) are still walked as before, but a crowded one is drained
  at once: about three requests more per crowded second.  Larger pages are
  no way out (100 is WooCommerce's maximum).  Starting the cursor at the
  server's clock before the first sync's creates would read the same
  products (all were stamped after it) and needs no horizon; it would save
  only the first check's full read, and adds a coupling to the first sync.
* CPU: each page looked its links up with ``woo_id IN (..) OR
  woo_parent_id IN (..)``; ``woo_parent_id`` has no index, so every page
  scanned the whole link table.  Now only the fresh products of a page are
  judged (a product read again at the same second was judged already), by
  ``woo_id`` (indexed), and by ``woo_parent_id`` only for the products known
  to have linked variations (`link_table.linked_parent_ids`, read once per
  check).  Skipping the judgement of our own writes (their answer carries
  ``date_modified_gmt``) was considered: it would need that date stored per
  link, and the judgement left is one indexed query per page.

The horizon assumes what `seal_past` assumes: a product save is committed,
and a listing answered, within `SEAL_MARGIN` (10 s) of its stamp.  The
``exclude`` list of a page holds the ids delivered in one second: a few
dozen on a real store (20 to 80 creates a second), about seven characters
each, so the URL stays far below a web server's 8 KB line limit unless a
store stamps over a thousand products in one second.

A product deleted for good is in no listing; a write to it fails with 404
and the executor marks it deleted, so nothing lands on it either.  What the check cannot see
is an edit made in the seconds between it and the write: the executor still
catches that from the write's answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Literal

import httpx
from sqlalchemy.orm import Session, sessionmaker

from storebridge.domain.cursor import Cursor, Record, Sweep, seal_past
from storebridge.domain.links import BrokenLink, Deleted, LinkView, judge_remote
from storebridge.persistence.repositories import cursors as cursor_repo
from storebridge.persistence.repositories import links as link_repo
from storebridge.persistence.types import utcnow
from storebridge.sync.catalogue.link_table import linked_parent_ids, load_links_of_products
from storebridge.sync.catalogue.recorder import Lost
from storebridge.sync.messages import broken_link, deleted_product, trashed_product
from storebridge.sync.orders.ledger import load_cursor
from storebridge.sync.orders.ledger_record import write_with_retry
from storebridge.sync.report import RunReport
from storebridge.woocommerce import WooClient, WooInvalidResponse
from storebridge.woocommerce.payloads import parse_gmt
from storebridge.woocommerce.session import decode_json

__all__ = ["CHANGES_STREAM", "SEAL_MARGIN", "LinkCheck", "check_links"]

#: The cursor stream of the products listing by modification time.
CHANGES_STREAM = "products:changed"

#: How far the server's clock must be past the cursor's second before no write can still be
#: stamped in it (`domain.cursor.seal_past`); WordPress commits a product save within it.
SEAL_MARGIN = timedelta(seconds=10)

#: Every product status, trash included (a default listing leaves the trash out).
_ALL_STATUSES = ("publish", "future", "draft", "pending", "private", "trash")
_FIELDS = ("id", "sku", "status", "type", "date_modified_gmt")
_VARIATION_FIELDS = ("id", "sku", "status")
#: Link states the engine may write to (a parked link comes back by itself).
_WRITABLE = ("linked", "parked")
#: Pages judged between two writes of the cursor when no link was lost (a crash re-reads them).
_SAVE_EVERY = 20


@dataclass
class LinkCheck:
    """What one check found."""

    lost: list[Lost] = field(default_factory=list)

    def report(self, report: RunReport) -> None:
        """Add every lost link to the run's problems."""
        for link in self.lost:
            report.problem(link.sku, link.state, link.problem, link.woo_id)

    @property
    def keys(self) -> set[str]:
        """The SKU keys of the links found lost."""
        return {link.sku_key for link in self.lost}


async def check_links(
    sessions: sessionmaker[Session],
    store: str,
    woo: WooClient,
    *,
    persist: bool = True,
    per_page: int = 100,
) -> LinkCheck:
    """Judge the links of every product changed since the last check (see the module docstring).

    Args:
        sessions: sessions on StoreBridge's database.
        store: the store name.
        woo: an open client for the store.
        persist: mark the lost links and move the cursor (False: a dry run, report only).
        per_page: products per request (1 to 100).
    """
    result = LinkCheck()
    with sessions.begin() as session:
        cursor = load_cursor(session, store=store, stream=CHANGES_STREAM)
        parents = linked_parent_ids(session, store=store)
    sweep = Sweep(cursor, per_page)
    started: datetime | None = None  # the server's clock when this check began
    unsaved = 0  # pages judged since the cursor was last written
    while True:
        query = sweep.query()
        params: dict[str, Any] = {
            "include_status": list(_ALL_STATUSES),
            "orderby": "modified",
            "order": "asc",
            "dates_are_gmt": True,
            "per_page": query.per_page,
            "page": 1,
            "modified_after": query.modified_after,
            "modified_before": query.modified_before,
            "exclude": sorted(query.exclude) or None,
            "_fields": list(_FIELDS),
        }
        response = await woo.request("GET", "/products", params=params)
        page = decode_json(response, "GET", "/products")
        if not isinstance(page, list):
            raise WooInvalidResponse(
                "expected a JSON list of products", status=200, code="invalid_collection",
                method="GET", endpoint="/products",
            )  # fmt: skip
        bodies = [item for item in page if isinstance(item, dict) and "id" in item]
        step = sweep.receive(_records(bodies))
        if started is None:
            started = _server_time(response)
            horizon = None if started is None else started - SEAL_MARGIN
            step = replace(step, sweep=step.sweep.sealed_before(horizon))
        # Only fresh products are judged: one read again (same id, same second) was judged
        # when it was delivered, and a "beyond" page only proves the clock moved on.
        fresh = {record_id for record_id, _ in step.fresh}
        judged = [item for item in bodies if int(item["id"]) in fresh]
        lost = await _judge(sessions, store, woo, judged, parents)
        result.lost.extend(lost)
        unsaved += 1
        reached = step.sweep.cursor
        if step.done:
            reached = seal_past(reached, started, SEAL_MARGIN)
        if persist and (lost or step.done or unsaved >= _SAVE_EVERY):
            work = partial(_record, store=store, lost=lost, cursor=reached, now=utcnow())
            write_with_retry(sessions, work)
            unsaved = 0
        if step.done:
            return result
        sweep = step.sweep


def _server_time(response: httpx.Response) -> datetime | None:
    """The server's clock from its ``Date`` header (None when absent or unreadable)."""
    header = response.headers.get("date")
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _records(bodies: Sequence[Mapping[str, Any]]) -> list[Record]:
    records: list[Record] = []
    for item in bodies:
        moment = parse_gmt(item.get("date_modified_gmt"))
        if moment is not None:
            records.append((int(item["id"]), moment))
    return records


async def _judge(
    sessions: sessionmaker[Session],
    store: str,
    woo: WooClient,
    bodies: Sequence[Mapping[str, Any]],
    parents: Collection[int],
) -> list[Lost]:
    """The links among these freshly delivered products (and their variations) that may not
    be written to; `parents` are the products with linked variations."""
    if not bodies:
        return []
    products = {int(item["id"]): item for item in bodies}
    with sessions.begin() as session:
        table = load_links_of_products(
            session,
            store=store,
            woo_ids=products.keys(),
            parent_ids=[woo_id for woo_id in products if woo_id in parents],
        )
    writable = [
        link for link in table.links.values() if link.state in _WRITABLE and link.woo_id is not None
    ]
    lost: list[Lost] = []
    variations: dict[int, list[LinkView]] = {}
    for link in writable:
        if link.woo_parent_id is None:
            item = products.get(link.live_id)
            if item is not None:
                lost.extend(_verdict(link, str(item.get("sku") or ""), str(item.get("status"))))
        elif link.woo_parent_id in products:
            variations.setdefault(link.woo_parent_id, []).append(link)
    for parent_id, links in variations.items():
        if products[parent_id].get("status") == "trash":
            lost.extend(_lost(link, "deleted", trashed_product(parent_id)) for link in links)
            continue
        found = await _read_variations(woo, parent_id, [link.live_id for link in links])
        for link in links:
            item = found.get(link.live_id)
            if item is None:
                lost.append(_lost(link, "deleted", deleted_product(link.live_id)))
            else:
                lost.extend(_verdict(link, str(item.get("sku") or ""), str(item.get("status"))))
    return lost


async def _read_variations(
    woo: WooClient, parent_id: int, ids: list[int]
) -> dict[int, Mapping[str, Any]]:
    found: dict[int, Mapping[str, Any]] = {}
    path = f"/products/{parent_id}/variations"
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        params: dict[str, Any] = {
            "include": chunk,
            "per_page": 100,
            "orderby": "id",
            "order": "asc",
            "context": "edit",
            "_fields": list(_VARIATION_FIELDS),
        }
        page = await woo.request_json("GET", path, params=params)
        if not isinstance(page, list):
            raise WooInvalidResponse(
                "expected a JSON list of variations", status=200, code="invalid_collection",
                method="GET", endpoint=path,
            )  # fmt: skip
        for item in page:
            if isinstance(item, dict) and "id" in item:
                found[int(item["id"])] = item
    return found


def _verdict(link: LinkView, found_sku: str, status: str) -> list[Lost]:
    health = judge_remote(link, found_sku, status)
    if isinstance(health, Deleted):
        return [_lost(link, "deleted", trashed_product(link.live_id))]
    if isinstance(health, BrokenLink):
        return [_lost(link, "broken", broken_link(link.live_id, link.sku, health.found_sku))]
    return []


def _lost(link: LinkView, state: Literal["broken", "deleted"], problem: str) -> Lost:
    return Lost(link.sku_key, link.sku, state, problem, link.woo_id)


def _record(
    session: Session, *, store: str, lost: Sequence[Lost], cursor: Cursor, now: datetime
) -> None:
    """One page's verdicts and the cursor that covers them, in one transaction."""
    for link in lost:
        mark = link_repo.mark_broken if link.state == "broken" else link_repo.mark_deleted
        mark(session, store=store, sku=link.sku_key, problem=link.problem, now=now)
    cursor_repo.advance_cursor(
        session,
        store=store,
        stream=CHANGES_STREAM,
        value=None if cursor.value is None else cursor.value.isoformat(),
        boundary_ids=cursor.boundary_ids,
        now=now,
    )
