"""The StoreBridge side of the benchmark: catalogues synced, changed, ordered from, reconciled.

`BigCatalogue` is the 100,000-item installation the follow-up scenarios share.
Its steps run in a fixed order, each at most once, and each one asked for
brings the steps it depends on first (asking for the reconcile alone still
runs the first sync it needs, unreported):

    first sync -> read-back -> idle cycle -> idle full read -> till sale
        -> 1% prices -> 5% stock -> order burst -> reconcile

The read-back is the first cycle after the first sync: the link check lists
the products changed in WooCommerce since it last looked, which is, once,
every product the first sync created.  The idle cycle is the one after.

The demo POS reads incrementally: the idle cycle, the till sale and the
changes read only what changed since the previous run; the idle full read
is the periodic full read (every ``full_read_every_s``), where unchanged
rows are recognised by their source digest.

`first_sync(n)` syncs another catalogue size into a fresh store, and
`variable_sync` the matrix-styles catalogue.  Every step is a `Measured`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import Measured, measure
from bench.sandbox_process import SandboxProcess
from bench.sizes import Sizes
from bench.store_events import (
    ChangeSet,
    change_prices,
    count_stock,
    order_burst,
    till_sale,
    web_skus,
)
from bench.workspace import STORE, Workspace
from storebridge.persistence.repositories.cursors import advance_cursor
from storebridge.sync.catalogue.link_check import CHANGES_STREAM, SEAL_MARGIN

__all__ = ["BigCatalogue", "BurstFacts", "Lab"]


@dataclass(frozen=True, slots=True)
class BurstFacts:
    """What the order burst placed."""

    orders: int
    skus: int
    place_s: float


@dataclass
class Lab:
    """Where the StoreBridge runs happen: one sandbox, a scratch folder, the sizes."""

    sandbox: SandboxProcess
    root: Path
    sizes: Sizes
    isolate: bool = True
    log: Callable[[str], None] = field(default=lambda _message: None)

    def workspace(self, name: str, size: int, *, catalogue: str = "demo") -> Workspace:
        """A fresh installation against an emptied store."""
        self.sandbox.reset()
        workspace = Workspace(
            self.root / name,
            self.sandbox.url,
            "styles" if catalogue == "styles" else "demo",
            size,
            self.sizes.variants_per_style,
        )
        workspace.prepare()
        return workspace

    def run(
        self, workspace: Workspace, step: str, label: str, items: int, *, profile: bool = False
    ) -> Measured:
        """One measured step."""
        self.log(f"  {label} ...")
        measured = measure(
            self.sandbox,
            workspace,
            step,
            label=label,
            items=items,
            isolate=self.isolate,
            profile=profile,
        )
        result = measured.result
        self.log(
            f"  {label}: {result.wall_s:.1f} s wall, {result.cpu_s:.1f} s CPU, "
            f"{result.requests.reads} reads, {result.requests.writes} writes"
        )
        return measured

    def first_sync(self, items: int) -> Measured:
        """A first sync of `items` new simple items into an empty store."""
        workspace = self.workspace(f"first-{items}", items)
        return self.run(workspace, "sync", f"first sync of {items:,} items", items)

    def variable_sync(self) -> Measured:
        """A first sync of the matrix styles catalogue."""
        styles = self.sizes.styles
        workspace = self.workspace("styles", styles, catalogue="styles")
        variants = styles * self.sizes.variants_per_style
        label = f"first sync of {styles:,} styles x {self.sizes.variants_per_style} variants"
        return self.run(workspace, "sync", label, variants)


class BigCatalogue:
    """The big catalogue and the scenarios that follow its first sync."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.size = lab.sizes.big
        self._workspace: Workspace | None = None
        self._first: Measured | None = None
        self._read_back: Measured | None = None
        self._read_back_skipped = False
        self._idle: Measured | None = None
        self._idle_full: Measured | None = None
        self._sale: tuple[str, Measured] | None = None
        self._prices: tuple[ChangeSet, Measured] | None = None
        self._stock: tuple[ChangeSet, Measured] | None = None
        self._burst: tuple[BurstFacts, Measured] | None = None
        self._reconcile: Measured | None = None

    @property
    def workspace(self) -> Workspace:
        """The installation (after the first sync)."""
        self.first_sync()
        assert self._workspace is not None
        return self._workspace

    def first_sync(self) -> Measured:
        """Scenario 1 at the big size."""
        if self._first is None:
            self._workspace = self.lab.workspace(f"big-{self.size}", self.size)
            label = f"first sync of {self.size:,} items"
            self._first = self.lab.run(self._workspace, "sync", label, self.size)
        return self._first

    def read_back(self) -> Measured:
        """The first products run after the first sync (reads the new products back)."""
        workspace = self.workspace
        if self._read_back is None:
            label = "first cycle after the first sync (reads its products back)"
            self._read_back = self.lab.run(workspace, "sync", label, self.size)
        return self._read_back

    def skip_read_back(self) -> None:
        """Move the link check past the first sync's own writes, unmeasured, instead of `read_back`.

        For a run that measures memory and idle cost only: the read-back of
        a big first sync costs one listing request per 100 products (47 min
        at 100,000 items on a loaded machine).  The check's cursor is set to
        now, after the first sync's last write, as if it had read them.
        """
        workspace = self.workspace
        if self._read_back is None and not self._read_back_skipped:
            time.sleep(SEAL_MARGIN.total_seconds())  # past the second of the last write
            services, _log = workspace.open_services()
            try:
                with services.sessions.begin() as session:
                    advance_cursor(
                        session,
                        store=STORE,
                        stream=CHANGES_STREAM,
                        value=datetime.now(UTC).isoformat(),
                    )
            finally:
                services.close()
            self._read_back_skipped = True

    def idle(self) -> Measured:
        """Scenario 2: a products run with nothing changed."""
        if not self._read_back_skipped:
            self.read_back()
        workspace = self.workspace
        if self._idle is None:
            self._idle = self.lab.run(workspace, "sync", "idle cycle", self.size)
        return self._idle

    def idle_full(self) -> Measured:
        """Scenario 2b: the periodic full read with nothing changed."""
        self.idle()
        if self._idle_full is None:
            label = "idle cycle, periodic full read"
            self._idle_full = self.lab.run(self.workspace, "sync-full", label, self.size)
        return self._idle_full

    def till_sale(self) -> tuple[str, Measured]:
        """Scenario 2c: one unit sold at the till, then the next products run."""
        self.idle_full()
        if self._sale is None:
            sku = till_sale(self.workspace.pos_path)
            self._sale = (sku, self.lab.run(self.workspace, "sync", "till sale", self.size))
        return self._sale

    def price_change(self) -> tuple[ChangeSet, Measured]:
        """Scenario 3a: a share of the prices changed in the POS, then a products run."""
        self.till_sale()
        if self._prices is None:
            changed = change_prices(
                self.workspace.pos_path, self.lab.sizes.share(self.lab.sizes.price_share)
            )
            measured = self.lab.run(
                self.workspace, "sync", f"{len(changed):,} prices changed", self.size
            )
            self._prices = (changed, measured)
        return self._prices

    def stock_change(self) -> tuple[ChangeSet, Measured]:
        """Scenario 3b: a share of the on-hand counts changed, then a products run."""
        self.price_change()
        if self._stock is None:
            changed = count_stock(
                self.workspace.pos_path, self.lab.sizes.share(self.lab.sizes.stock_share)
            )
            measured = self.lab.run(
                self.workspace, "sync", f"{len(changed):,} stock counts changed", self.size
            )
            self._stock = (changed, measured)
        return self._stock

    def order_burst(self) -> tuple[BurstFacts, Measured]:
        """Scenario 4: web orders placed, then one allocation cycle."""
        self.stock_change()
        if self._burst is None:
            sizes = self.lab.sizes
            per_sku = -(-sizes.orders // sizes.order_skus)
            skus = web_skus(self.workspace.pos_path, sizes.order_skus, at_least=per_sku + 1)
            started = time.perf_counter()
            self.lab.sandbox.place_orders(order_burst(skus, sizes.orders))
            facts = BurstFacts(sizes.orders, len(skus), time.perf_counter() - started)
            label = f"{sizes.orders:,} web orders: ledger refresh + stock push"
            self._burst = (facts, self.lab.run(self.workspace, "allocation", label, self.size))
        return self._burst

    def reconcile(self) -> Measured:
        """Scenario 5: read every linked product back and fix drift."""
        self.order_burst()
        if self._reconcile is None:
            label = f"reconcile of {self.size:,} linked products"
            self._reconcile = self.lab.run(self.workspace, "reconcile", label, self.size)
        return self._reconcile
