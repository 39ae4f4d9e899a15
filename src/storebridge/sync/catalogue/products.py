"""The products synchronizer: POS items in, WooCommerce drafts, prices and stock out.

`sync_products` runs one store through a fixed sequence of named steps:

1. **read** the POS feed (an incremental connector: only what changed since
   the stored position) and validate it (`feed.read_feed`), skipping the rows
   whose source digest is the one stored at their last sync (`digests`: they
   count as unchanged unless their allocation moved); record the quarantined
   rows and resolve the fixed ones (`quarantine`); **check** the links of the
   products changed in WooCommerce since the last check (`link_check`: an
   edited SKU or a trashed product is marked before any write);
2. **load** the link table (needed columns only) and the order ledger, and
   compute each selected item's available quantity (`feed.Availability`);
3. **look up** the unlinked SKUs in WooCommerce (`lookup.find_existing`), so
   existing products are adopted, never duplicated, and resolve the new
   drafts' category names to ids;
4. **plan** (`domain.plan.plan`, pure) and, unless it is a dry run,
5. **execute** the plan (`executor.Executor`), which records in the link
   table only what WooCommerce confirmed, then push the stock of the SKUs
   whose allocation the ledger refresh moved that a delta did not carry
   (`stock.push_available`: the refresh consumed their orders);
6. **record** the on-hand read, the source digests of the rows now in sync,
   the inventory snapshot (which releases exported orders' allocations), the
   run and its request counts, and only then acknowledge a drop folder's
   files; an incremental connector's read position is stored with the
   on-hand it delivered.

Before the read, the connector is asked which exported orders the POS/ERP has
applied since (`orders.applied.note_applied`): this read's on-hand includes
those, so they are released by this run.

An idle cycle (nothing changed) makes no write request and one read (the
link check's listing), no per-product read.  A dry run (`plan_products`, the `storebridge plan` command) reads
WooCommerce but writes neither there nor in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

from sqlalchemy.orm import Session

from storebridge.bootstrap import Services, StoreServices
from storebridge.domain.allocation import StockExplanation, explain
from storebridge.domain.links import LinkView, WooView
from storebridge.domain.model import DelistPolicy, PosItem, sku_key
from storebridge.domain.operations import Conflict, Plan, SkipBroken
from storebridge.domain.plan import plan, unlinked_keys
from storebridge.domain.plan_slices import plan_slices
from storebridge.domain.price_basis import PriceBasis, price_entry_mismatch
from storebridge.persistence.repositories.cursors import advance_cursor, get_cursor
from storebridge.persistence.tables import InventorySnapshot
from storebridge.persistence.types import utcnow
from storebridge.ports import IncrementalReader
from storebridge.settings import StoreSettings
from storebridge.sync.catalogue.digests import load_source_digests, store_source_digests
from storebridge.sync.catalogue.executor import Executor, Progress
from storebridge.sync.catalogue.feed import (
    Acknowledging,
    Availability,
    Feed,
    read_feed,
    validate_unchanged,
)
from storebridge.sync.catalogue.link_check import check_links
from storebridge.sync.catalogue.link_table import (
    DEFAULT_PARK_AFTER,
    LinkTable,
    input_digest,
    load_links,
    retry_parked,
    store_on_hand,
    unpark,
)
from storebridge.sync.catalogue.lookup import find_existing, resolve_categories
from storebridge.sync.catalogue.plan_buffer import ItemsInFlight, PlanBuffer
from storebridge.sync.catalogue.quarantine import record_quarantine
from storebridge.sync.catalogue.recorder import DbRecorder, Lost
from storebridge.sync.orders.applied import note_applied
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.orders.stock import push_available
from storebridge.sync.report import ItemProblem, RunReport
from storebridge.sync.runs import LedgerRefresh, run_job
from storebridge.woocommerce import WooClient, WooError

__all__ = [
    "POS_READ_STREAM",
    "LedgerRefresh",
    "ProductRun",
    "plan_products",
    "read_everything_next",
    "sync_products",
]

#: The cursor stream holding an incremental connector's read position.
POS_READ_STREAM = "pos_items"
#: Items planned at a time (`domain.plan_slices`): fewer items and writes wait in memory.
PLAN_SLICE = 1_000


class _PlanInputs(TypedDict):
    """`plan`'s arguments besides the items."""

    links: Mapping[str, LinkView]
    available: Mapping[str, int]
    existing: Mapping[str, WooView]
    delist: DelistPolicy
    category_ids: Mapping[str, int] | None
    quarantined: Collection[str]
    complete: bool
    unchanged: Collection[str]


def _slices_of(unit: int) -> int:
    """Writes that may wait for a full batch: whole executor slices, at least `PLAN_SLICE`."""
    return -(-PLAN_SLICE // unit) * unit


@dataclass
class ProductRun:
    """A products run's result: its report and the plan it made."""

    report: RunReport
    #: The plan of a dry run; a run that writes plans and applies a slice at a time,
    #: keeping only the counts (`report.planned`).
    plan: Plan | None = None
    #: Advice for the operator that is not an item problem (price basis vs. tax setting).
    warnings: list[str] = field(default_factory=list)


async def sync_products(
    services: Services,
    store: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    refresh_ledger: LedgerRefresh | None = None,
    retry_parked_items: bool = False,
    park_after: int = DEFAULT_PARK_AFTER,
) -> ProductRun:
    """Bring WooCommerce in line with the POS for one store; see the module docstring.

    Args:
        services: the wired application (`bootstrap.build_services`).
        store: the store name.
        dry_run: plan only; write nothing anywhere.
        progress: called as the executor advances (phase, done, total).
        refresh_ledger: refreshes the order ledger right before stock is computed.
        retry_parked_items: release every parked item first (an operator's "retry").
        park_after: failed writes in a row after which an item is parked.

    Errors that stop the run (POS unreachable, WooCommerce refusing the key...)
    are not raised: the report's `error` says what happened and what to do.
    """
    synchronizer = _ProductSync(
        services.store(store), services, dry_run, progress, refresh_ledger, park_after
    )
    job = "plan" if dry_run else "products"
    result = ProductRun(RunReport(store, job, utcnow(), dry_run=dry_run))

    async def body(woo: WooClient) -> None:
        if retry_parked_items and not dry_run:
            with services.sessions.begin() as session:
                released = retry_parked(session, store=store)
            result.report.counts["released"] += released
        if dry_run:
            pos_prices = services.store(store).settings.pos_prices
            result.warnings.extend(await price_basis_warnings(woo, pos_prices))
        result.plan = await synchronizer.run(woo, result.report)

    await run_job(services, store, result.report, body, record=not dry_run)
    return result


def read_everything_next(session: Session, store: str) -> None:
    """Make the store's next products run read the whole catalogue, not only what changed.

    For a product whose pushed figures were forgotten ("Push now"): an
    incremental read carries only the rows that changed in the POS, so an
    unchanged product would not be planned, and pushed, until the next
    periodic full read.
    """
    if get_cursor(session, store=store, stream=POS_READ_STREAM) is not None:
        advance_cursor(session, store=store, stream=POS_READ_STREAM, value=None)


async def price_basis_warnings(woo: WooClient, pos_prices: PriceBasis | None) -> list[str]:
    """Compare the POS's price basis with WooCommerce's `woocommerce_prices_include_tax`."""
    try:
        body = await woo.request_json("GET", "/settings/tax")
    except WooError as error:
        return [f"cannot read WooCommerce's tax settings (GET /settings/tax): {error}"]
    warning = price_entry_mismatch(pos_prices, body)
    return [warning] if warning is not None else []


async def plan_products(services: Services, store: str) -> ProductRun:
    """What a products run would do now, without writing anything (`storebridge plan`)."""
    return await sync_products(services, store, dry_run=True)


class _ProductSync:
    def __init__(
        self,
        store: StoreServices,
        services: Services,
        dry_run: bool,
        progress: Progress | None,
        refresh_ledger: LedgerRefresh | None,
        park_after: int,
    ) -> None:
        self.services = services
        self.store = store
        self.name = store.name
        self.settings = store.settings
        self.sessions = services.sessions
        self.dry_run = dry_run
        self.progress = progress
        self.refresh_ledger = refresh_ledger
        self.park_after = park_after

    def _stored_digests(self) -> dict[str, str]:
        with self.sessions() as session:
            return load_source_digests(session, store=self.name)

    def _read_position(self) -> str | None:
        if not isinstance(self.store.connector, IncrementalReader):
            return None
        with self.sessions() as session:
            state = get_cursor(session, store=self.name, stream=POS_READ_STREAM)
        return None if state is None else state.value

    async def run(self, woo: WooClient, report: RunReport) -> Plan | None:
        """Run the steps; returns the plan of a dry run (a real run keeps only its counts)."""
        if not self.dry_run:
            # Before the read: an export the ERP has imported by now is in this read's on-hand.
            await note_applied(self.services, self.name)
        feed = await read_feed(
            self.store.connector,
            self.settings,
            self._read_position(),
            stored_digests=self._stored_digests,
        )
        try:
            return await self._run(woo, report, feed)
        finally:
            feed.close()

    async def _run(self, woo: WooClient, report: RunReport, feed: Feed) -> Plan | None:
        """The steps after the read; `feed.items()` is read again by each pass over it."""
        report.quarantined = list(feed.quarantined)
        moved: Collection[str] = ()
        if self.refresh_ledger is not None and not self.dry_run:
            moved = await self.refresh_ledger(woo)
        # Before anything is planned: a product whose SKU was edited or that was trashed
        # must never receive this run's writes (`link_check`).
        check = await check_links(self.sessions, self.name, woo, persist=not self.dry_run)
        check.report(report)
        with self.sessions.begin() as session:
            if not self.dry_run:
                update = record_quarantine(
                    session,
                    store=self.name,
                    rows=feed.quarantined,
                    valid_keys=feed.item_keys() | feed.unchanged.keys(),
                    complete=feed.complete,
                )
                report.counts["quarantine_resolved"] += update.resolved
            # A delta needs only its own items' links (and their styles'): an idle
            # cycle of an incremental connector must not load 100,000 links.
            table = load_links(session, store=self.name, keys=_link_keys(feed))
            _mark_lost(table, check.lost)  # a dry run stored nothing: its plan must skip them too
            allocated = allocated_for_store(
                session,
                self.name,
                self.settings,
                reading_since=feed.started_at if feed.snapshot else None,
            )
        # An unchanged row still publishes anew when its allocation moved.
        validate_unchanged(feed, _stock_moved(feed, table, allocated, self.settings), self.settings)
        parked = table.parked_keys()
        parked_items: dict[str, PosItem] = {}
        availability = Availability.compute(
            _noting(feed.items(), parked, parked_items), allocated, self.settings
        )
        links, revived = table.planning_view(parked_items, availability.available, self.park_after)
        if revived and not self.dry_run:
            with self.sessions.begin() as session:
                unpark(session, store=self.name, keys=revived)
        inputs = await self._plan_inputs(woo, feed, links, availability)
        if self.dry_run:
            the_plan = plan(feed.items(), **inputs)
            report.planned = the_plan.summary()
            _report_waiting(the_plan, table, report, reported=check.keys)
            return the_plan
        in_flight = ItemsInFlight()
        executor, recorder = self._executor(woo, table, availability, in_flight, report)
        # Planned and applied a slice at a time: a 100,000-item plan is never held whole,
        # nor are its items (read from the feed's file as they are planned).
        pending = PlanBuffer(executor.slice_size, _slices_of(executor.slice_size))
        items = in_flight.reading(feed.items())
        for part in plan_slices(items, slice_size=PLAN_SLICE, **inputs):
            in_flight.planned(part)
            for ready in pending.add(part):
                await executor.apply(ready)
                in_flight.applied(ready)
            report.planned = dict(pending.summary)
        await executor.apply(pending.drain())
        if not feed.complete:
            await self._push_unread(woo, feed, moved, allocated, report)
        waiting = pending.plan_of_reports()
        _report_waiting(waiting, table, report, reported=check.keys)
        self._record_read(feed, table, availability, keep_position=report.failed_items == 0)
        self._record_digests(feed, waiting, recorder.failed_keys)
        if isinstance(self.store.connector, Acknowledging) and report.failed_items == 0:
            # Only now are the results durable; a failed item keeps its file for the next run.
            self.store.connector.acknowledge()
        return None

    async def _plan_inputs(
        self,
        woo: WooClient,
        feed: Feed,
        links: dict[str, LinkView],
        availability: Availability,
    ) -> _PlanInputs:
        """Everything `plan` needs besides the items, WooCommerce's look-ups included."""
        new = _NewItems.find(feed.items(), links)
        existing = await find_existing(woo, new.spelled.values()) if new.spelled else {}
        names = new.category_names
        if any(key in existing for key in new.keys):
            # Adopted items bring no category: read the feed again without them.
            names = _new_category_names(feed.items(), new.keys, existing.keys())
        category_ids = None
        if names:
            create = self.settings.create_categories and not self.dry_run
            category_ids = await resolve_categories(woo, names, create=create)
        return _PlanInputs(
            links=links,
            available=availability.available,
            existing=existing,
            delist=self.settings.delist,
            category_ids=category_ids,
            quarantined=feed.quarantined_keys,
            complete=feed.complete,
            unchanged=feed.unchanged.keys(),
        )

    def _executor(
        self,
        woo: WooClient,
        table: LinkTable,
        availability: Availability,
        in_flight: ItemsInFlight,
        report: RunReport,
    ) -> tuple[Executor, DbRecorder]:
        """The executor of this run, and the recorder it reports to (failed keys)."""

        def digest(key: str) -> str | None:
            item = in_flight.get(key)
            if item is None:
                return None
            return input_digest(item, availability.available.get(key, 0))

        def on_hand(key: str) -> int | None:
            return availability.on_hand.get(key)

        def sku_of(key: str) -> str:
            item = in_flight.get(key)
            if item is not None:
                return item.sku
            link = table.links.get(key)
            return link.sku if link is not None else key

        def explain(key: str) -> tuple[StockExplanation, str] | None:
            found = availability.explain(key)
            if found is not None:
                return found
            # Not selected any more: a delisting publishes 0 whatever the POS holds.
            held = table.on_hand.get(key) or 0
            return StockExplanation(held, 0, 0, 0), "left the selection: 0 published"

        recorder = DbRecorder(
            self.sessions,
            self.name,
            explain=explain,
            on_hand=on_hand,
            park_after=self.park_after,
            digest=digest,
        )
        executor = Executor(woo, recorder, report, sku_of=sku_of, progress=self.progress)
        return executor, recorder

    async def _push_unread(
        self,
        woo: WooClient,
        feed: Feed,
        moved: Collection[str],
        allocated: Mapping[str, int],
        report: RunReport,
    ) -> None:
        """Push the stock of the SKUs the ledger refresh moved that this read did not carry.

        A full read carries every row, and a row whose allocation moved is
        planned (`_stock_moved`); a delta carries only the rows changed in the
        POS.  The refresh consumed the orders that moved the others (a cancelled
        or released order), so no later cycle would push them: their figure is
        recomputed here from the stored on-hand, current since the POS row has
        not changed, with the allocation this run publishes.
        """
        read = feed.item_keys() | feed.unchanged.keys() | feed.quarantined_keys
        unread = sorted(set(moved) - read)
        if unread:
            await push_available(self.services, self.name, woo, unread, allocated, report)

    def _record_digests(self, feed: Feed, the_plan: Plan, failed: Collection[str]) -> None:
        """Remember the rows validated by this run that are now in sync with WooCommerce.

        Written after every push of the run (a push clears the digest), and
        never for a row whose write failed or that waits for a human.
        """
        waiting = {entry.sku_key for entry in the_plan.reports}
        values = {
            row.key: digest
            for row in feed.item_facts()
            if row.selected
            and row.key is not None
            and row.key not in failed
            and row.key not in waiting
            and (digest := feed.digests.get(row.key)) is not None
        }
        with self.sessions.begin() as session:
            store_source_digests(session, store=self.name, values=values)

    def _record_read(
        self, feed: Feed, table: LinkTable, availability: Availability, *, keep_position: bool
    ) -> None:
        """Store changed on-hand figures, the inventory snapshot and the read position.

        The position moves only when no item failed: a failed item's change is
        then read again by the next run instead of waiting for a full read.
        """
        unselected = {row.key for row in feed.item_facts() if not row.selected}
        changed: dict[str, int | None] = {}
        for key, stored in table.on_hand.items():
            if key in feed.unchanged:
                continue  # read as it was, on-hand included
            current = availability.on_hand.get(key)
            if current is None and not feed.complete and key not in unselected:
                continue  # a delta says nothing about the items it does not carry
            if current != stored:
                changed[key] = current
        now = utcnow()
        with self.sessions.begin() as session:
            store_on_hand(session, store=self.name, values=changed, now=now)
            if feed.position is not None and keep_position:
                advance_cursor(
                    session, store=self.name, stream=POS_READ_STREAM, value=feed.position, now=now
                )
            if feed.snapshot:
                session.add(
                    InventorySnapshot(
                        store=self.name,
                        read_started_at=feed.started_at,
                        applied_at=now,
                        items=feed.item_count + len(feed.unchanged),
                    )
                )


def _link_keys(feed: Feed) -> set[str] | None:
    """The links a run plans with: all for a complete read, else the delta's items and styles."""
    if feed.complete:
        return None
    keys = feed.item_keys() | feed.unchanged.keys()
    keys.update(row.style for row in feed.item_facts() if row.style)
    return keys


def _stock_moved(
    feed: Feed, table: LinkTable, allocated: Mapping[str, int], settings: StoreSettings
) -> list[str]:
    """Unchanged rows whose available quantity is not the one last pushed (allocation moved).

    The row's on-hand is the stored one (the digest vouches it has not
    changed); a link that is no longer healthy is validated too, so the
    planner reports it as before.
    """
    moved: list[str] = []
    for key in feed.unchanged:
        link = table.links.get(key)
        on_hand = table.on_hand.get(key)
        last = None if link is None else link.last_pushed
        if link is None or link.state != "linked" or on_hand is None or last is None:
            moved.append(key)
            continue
        terms = explain(
            {"": on_hand}, (), allocated, settings.safety_stock, settings.safety_overrides, key
        )
        if not last.manage_stock or last.stock_quantity != terms.available:
            moved.append(key)
    return moved


def _noting(
    items: Iterable[PosItem], keys: Collection[str], found: dict[str, PosItem]
) -> Iterator[PosItem]:
    """`items`, noting in `found` those of `keys` on the way."""
    for item in items:
        if item.key in keys:
            found[item.key] = item
        yield item


@dataclass
class _NewItems:
    """What one pass over the feed learns of its items without a link."""

    #: SKU keys and style codes to look up in WooCommerce (`plan.unlinked_keys`).
    keys: set[str] = field(default_factory=set)
    #: Their POS spelling, for the look-up.
    spelled: dict[str, str] = field(default_factory=dict)
    #: The categories they bring, should none of them exist in WooCommerce.
    category_names: list[str] = field(default_factory=list)

    @classmethod
    def find(cls, items: Iterable[PosItem], links: Mapping[str, LinkView]) -> _NewItems:
        new = cls()
        names: dict[str, str] = {}
        # The first spelling of each key, in the order the feed first gives it (an item's
        # own SKU before its style code): the look-up asks for them in that order.
        spellings: dict[str, str] = {}
        for item in items:
            keys = unlinked_keys((item,), links)
            if keys:
                new.keys |= keys
            if item.key in keys:  # a selected item (`unlinked_keys`)
                spellings.setdefault(item.key, item.sku)
                for name in item.categories:
                    names.setdefault(name.casefold(), name)
            if item.parent_code:
                spellings.setdefault(sku_key(item.parent_code), item.parent_code)
        new.spelled = {key: sku for key, sku in spellings.items() if key in new.keys}
        new.category_names = list(names.values())
        return new


def _new_category_names(
    items: Iterable[PosItem], unlinked: Collection[str], existing: Collection[str]
) -> list[str]:
    """Category names of the items about to become new drafts."""
    names: dict[str, str] = {}
    for item in items:
        if not item.selected or item.key not in unlinked or item.key in existing:
            continue
        for name in item.categories:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def _mark_lost(table: LinkTable, lost: Sequence[Lost]) -> None:
    for found in lost:
        link = table.links.get(found.sku_key)
        if link is not None:
            table.links[found.sku_key] = replace(link, state=found.state)
            table.problems[found.sku_key] = found.problem


def _report_waiting(
    the_plan: Plan, table: LinkTable, report: RunReport, *, reported: Collection[str] = ()
) -> None:
    """Links waiting for a human and SKU conflicts: shown on every run until fixed.

    `reported`: links this run already reported as just broken or deleted.
    """
    for entry in the_plan.reports:
        if isinstance(entry, SkipBroken) and entry.sku_key in reported:
            continue
        link = table.links.get(entry.sku_key)
        sku = link.sku if link is not None else entry.sku_key
        if isinstance(entry, SkipBroken):
            problem = table.problems.get(entry.sku_key) or "waits for a human"
            detail = f"{entry.state}: {problem}"
            report.problems.append(ItemProblem(sku, "waiting", detail, entry.woo_id))
            report.counts[f"waiting_{entry.state}"] += 1
        elif isinstance(entry, Conflict):
            report.problem(sku, "conflict", f"{entry.reason}: {entry.detail}", entry.woo_id)
