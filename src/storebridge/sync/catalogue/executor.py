"""The executor: applies a `Plan` to WooCommerce through the batch API.

It is the only writer of products.  In order:

1. **creates** go through `WooClient.create_products_safely` (batches of at
   most 100, a SKU look-up after any ambiguous failure: never a duplicate);
2. **adoptions, updates and delistings** become ``update`` items of
   ``/products/batch`` (simple products) or ``/products/<parent>/variations/batch``
   (variations), at most 100 per request, one group per parent;
3. **variable styles** are handed to `variable.StyleWriter` (parent first,
   then its variations).

Requests run concurrently, bounded by the client's concurrency limit, and
work is cut into slices so that each slice's results are recorded (in the
link table, by the `Recorder`) as soon as WooCommerce confirmed them.  Two
slices are under way at a time (`in_slices`): the next slice's batches queue
behind the current one's, so the store is not left idle while the last
batches of a slice finish.  A crash loses at most those two slices of
bookkeeping, which the next run's SKU look-up recovers by adoption.  Only confirmed values are recorded; a failure is
counted per item, and an item that keeps failing is parked with its error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from storebridge.domain.links import LinkKind
from storebridge.domain.model import sku_key
from storebridge.domain.operations import (
    Adopt,
    AdoptStyle,
    CreateDraft,
    Plan,
    UpdateFields,
    ZeroStock,
)
from storebridge.domain.ownership import Payload, PosOwned
from storebridge.persistence.repositories.links import LinkOrigin
from storebridge.sync.catalogue.mapping import owned_from_item, owned_from_model
from storebridge.sync.catalogue.recorder import Confirmed, Failure, Lost, Recorder
from storebridge.sync.catalogue.variable import StyleWriter
from storebridge.sync.messages import (
    broken_link,
    create_failure,
    deleted_product,
    item_error,
    trashed_product,
)
from storebridge.sync.report import RunReport
from storebridge.woocommerce import (
    BatchItemError,
    BatchOutcome,
    BatchUnknown,
    CreateStatus,
    WooClient,
)

__all__ = ["Executor", "Progress"]

T = TypeVar("T")

#: Called as work advances: (phase, items done, items in the phase).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class _Write:
    """One update item, whichever operation it came from."""

    sku_key: str
    woo_id: int
    parent_id: int | None
    payload: Payload
    desired: PosOwned
    counter: str  # the report count a success adds to
    origin: LinkOrigin | None = None  # "adopted" when the write establishes the link

    @property
    def kind(self) -> LinkKind:
        return "variation" if self.parent_id is not None else "simple"

    @property
    def path(self) -> str:
        if self.parent_id is None:
            return "/products/batch"
        return f"/products/{self.parent_id}/variations/batch"


class Executor:
    """Applies plans for one store through one client, reporting to a `Recorder`."""

    def __init__(
        self,
        woo: WooClient,
        recorder: Recorder,
        report: RunReport,
        *,
        sku_of: Callable[[str], str] | None = None,
        progress: Progress | None = None,
        slice_size: int | None = None,
    ) -> None:
        """Args:
        woo: the store's client (its concurrency limit bounds the requests in flight).
        recorder: where confirmed writes, failures and lost links go.
        report: the run's report, whose counts and problems are filled in.
        sku_of: the POS spelling of a SKU key, for messages.
        progress: called as items are done.
        slice_size: items per recorded slice; default 2 x limit x concurrency.
        """
        self.woo = woo
        self.recorder = recorder
        self.report = report
        self.sku_of = sku_of or (lambda key: key)
        self.progress = progress or (lambda _phase, _done, _total: None)
        concurrency = woo.connection.max_concurrency
        self.slice_size = slice_size or 2 * woo.batch_limit * concurrency
        self.styles = StyleWriter(woo, self)

    async def apply(self, plan: Plan) -> None:
        """Apply every write of `plan` (its reports are the caller's business)."""
        await self.create_simple(plan.creates)
        styles = [op for op in plan.adopts if isinstance(op, AdoptStyle)]
        self.confirm(
            [
                Confirmed(op.style_key, op.style_code, op.woo_id, "variable", origin="adopted")
                for op in styles
            ]
        )
        self.report.counts["adopted_style"] += len(styles)
        writes = [*_adopt_writes(plan.adopts, self), *_update_writes(plan.updates)]
        await self.write_updates(writes)
        await self.styles.apply(plan.variable_creates)

    # -- reporting helpers shared with StyleWriter ---------------------------------------

    def confirm(self, writes: Sequence[Confirmed]) -> None:
        self.recorder.confirmed(writes)

    def fail(self, failures: Sequence[Failure]) -> None:
        parked = self.recorder.failed(failures)
        for failure in failures:
            kind = "parked" if failure.sku_key in parked else "failed"
            self.report.problem(failure.sku, kind, failure.error, failure.woo_id)

    def lose(self, links: Sequence[Lost]) -> None:
        self.recorder.lost(links)
        for link in links:
            self.report.problem(link.sku, link.state, link.problem, link.woo_id)

    async def in_slices(
        self, phase: str, items: Sequence[T], work: Callable[[Sequence[T]], Awaitable[None]]
    ) -> None:
        """Run `work` over consecutive slices of `items`, two at a time, reporting progress.

        A slice starts when the one before the previous has ended (so its requests queue
        behind that one's at the client's limit); slices end, and are reported, in order.
        The first error stops the run: the slice still going is cancelled.
        """
        total = len(items)
        size = self.slice_size
        running: list[tuple[asyncio.Future[None], int]] = []  # (slice, items done once it ends)
        try:
            for start in range(0, total, size):
                end = min(start + size, total)
                running.append((asyncio.ensure_future(work(items[start:end])), end))
                if len(running) == 2:
                    await self._finish(phase, running.pop(0), total)
            while running:
                await self._finish(phase, running.pop(0), total)
        finally:
            for slice_work, _ in running:
                slice_work.cancel()
            await asyncio.gather(*(slice_work for slice_work, _ in running), return_exceptions=True)

    async def _finish(
        self, phase: str, slice_work: tuple[asyncio.Future[None], int], total: int
    ) -> None:
        future, done = slice_work
        await future
        self.progress(phase, done, total)

    # -- simple creates ----------------------------------------------------------------

    async def create_simple(self, creates: Sequence[CreateDraft]) -> None:
        """Create drafts; link each product WooCommerce confirmed."""

        async def work(ops: Sequence[CreateDraft]) -> None:
            results = await self.woo.create_products_safely([op.payload for op in ops])
            confirmed: list[Confirmed] = []
            failures: list[Failure] = []
            for op, result in zip(ops, results, strict=True):
                product = result.product
                ok = result.status in (CreateStatus.CREATED, CreateStatus.ADOPTED)
                if ok and product is not None and product.type == "simple":
                    owned = owned_from_model(product)
                    confirmed.append(
                        Confirmed(
                            op.sku_key,
                            op.sku,
                            product.id,
                            "simple",
                            None,
                            owned,
                            "created",
                            stock_sent=True,
                        )
                    )
                    continue
                detail = create_failure(result)
                if ok and product is not None:
                    detail = (
                        f"SKU {op.sku!r} belongs to WooCommerce {product.type} {product.id}; "
                        "change the SKU on one side"
                    )
                failures.append(Failure(op.sku_key, op.sku, "simple", None, detail, True))
            self.confirm(confirmed)
            self.report.counts["created"] += len(confirmed)
            self.fail(failures)

        await self.in_slices("create", creates, work)

    # -- updates (adoptions, POS-owned changes, delistings) ------------------------------

    async def write_updates(self, writes: Sequence[_Write]) -> None:
        """Send update items grouped by endpoint, recording each slice's results."""

        async def work(batch: Sequence[_Write]) -> None:
            groups: dict[str, list[_Write]] = {}
            for write in batch:
                groups.setdefault(write.path, []).append(write)
            outcomes = await asyncio.gather(
                *(
                    self.woo.batch(path, update=[{"id": w.woo_id, **w.payload} for w in group])
                    for path, group in groups.items()
                )
            )
            for group, outcome in zip(groups.values(), outcomes, strict=True):
                self._updated(group, outcome)

        await self.in_slices("update", writes, work)

    def _updated(self, group: Sequence[_Write], outcome: BatchOutcome) -> None:
        confirmed: list[Confirmed] = []
        failures: list[Failure] = []
        lost: list[Lost] = []
        for success in outcome.updated:
            write = group[success.index]
            item = success.item
            sku = self.sku_of(write.sku_key)
            confirmed.append(
                Confirmed(
                    write.sku_key,
                    sku,
                    write.woo_id,
                    write.kind,
                    write.parent_id,
                    owned_from_item(item),
                    write.origin,
                    "stock_quantity" in write.payload,
                )
            )
            self.report.counts[write.counter] += 1
            found = str(item.get("sku") or "")
            if item.get("status") == "trash":
                lost.append(
                    Lost(write.sku_key, sku, "deleted", trashed_product(write.woo_id), write.woo_id)
                )
            elif "sku" in item and sku_key(found) != write.sku_key:
                lost.append(
                    Lost(
                        write.sku_key,
                        sku,
                        "broken",
                        broken_link(write.woo_id, sku, found),
                        write.woo_id,
                    )
                )
        problems: list[BatchItemError | BatchUnknown] = [*outcome.errors, *outcome.unknown]
        for problem in problems:
            write = group[problem.index]
            sku = self.sku_of(write.sku_key)
            stock = "stock_quantity" in write.payload
            if isinstance(problem, BatchItemError) and (
                problem.code.endswith("_invalid_id") or problem.status == 404
            ):
                if write.origin is None:
                    lost.append(
                        Lost(
                            write.sku_key,
                            sku,
                            "deleted",
                            deleted_product(write.woo_id),
                            write.woo_id,
                        )
                    )
                else:  # the product found by SKU vanished before adoption: look again next run
                    failures.append(
                        Failure(write.sku_key, sku, write.kind, None, item_error(problem), stock)
                    )
                continue
            if write.origin is not None:
                # The read confirmed the product holds the SKU: link it, prices unknown.
                confirmed.append(
                    Confirmed(
                        write.sku_key,
                        sku,
                        write.woo_id,
                        write.kind,
                        write.parent_id,
                        None,
                        write.origin,
                    )
                )
            failures.append(
                Failure(write.sku_key, sku, write.kind, write.woo_id, item_error(problem), stock)
            )
        self.confirm(confirmed)
        self.lose(lost)
        self.fail(failures)


def _adopt_writes(ops: Iterable[Adopt | AdoptStyle], executor: Executor) -> list[_Write]:
    writes: list[_Write] = []
    confirmed: list[Confirmed] = []
    for op in ops:
        if isinstance(op, AdoptStyle):
            continue
        if op.payload:
            writes.append(
                _Write(
                    op.sku_key,
                    op.woo_id,
                    op.parent_id,
                    op.payload,
                    op.desired,
                    "adopted",
                    "adopted",
                )
            )
        else:
            # WooCommerce already holds exactly what the POS says (the look-up read it).
            confirmed.append(
                Confirmed(
                    op.sku_key, op.sku, op.woo_id, op.kind, op.parent_id, op.desired, "adopted"
                )
            )
    executor.confirm(confirmed)
    executor.report.counts["adopted"] += len(confirmed)
    return writes


def _update_writes(ops: Iterable[UpdateFields | ZeroStock]) -> list[_Write]:
    return [
        _Write(
            op.sku_key,
            op.woo_id,
            op.parent_id,
            op.payload,
            op.desired,
            "zeroed" if isinstance(op, ZeroStock) else "updated",
        )
        for op in ops
    ]
