"""The soak's invariants, checked from the outside once the system has settled.

`gather` reads the truth from each side: the sandbox's products, orders and
write journal (over the API and the control plane, faults off), the demo
POS's database (items, stock, documents) and StoreBridge's own tables.
`check` turns that `Snapshot` plus what the harness saw during the run
(`Observed`: forged webhooks, dashboard probes, bad rows, kills) into one
`Invariant` per rule of docs/reliability.md.  Expected figures are computed
here from first principles (on-hand from the POS, open allocation from the
sandbox's orders), never by calling StoreBridge's own arithmetic.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.soak.world import SAFETY_STOCK, STORE
from storebridge.bootstrap import Services
from storebridge.domain.model import RawItem, SourceRef
from storebridge.domain.validation import validate_feed
from storebridge.persistence.tables import Export, ProductLink, QuarantineRow, Run, WebhookDelivery
from storebridge.runner.execution import ORPHANED
from storebridge.woocommerce import WooClient

__all__ = [
    "CONVERGENT",
    "Invariant",
    "Observed",
    "Snapshot",
    "check",
    "gather",
    "overlapping_runs",
]

#: Fields the merchant owns once a product exists (design.md: create-once keys).
MERCHANT_FIELDS = frozenset(
    {"name", "description", "short_description", "status", "categories", "images"}
)
PRODUCT_WRITES = (
    "/products",
    "/products/batch",
    "/products/{product_id}",
    "/products/{product_id}/variations",
    "/products/{product_id}/variations/batch",
    "/products/{product_id}/variations/{variation_id}",
)
ALLOCATING = ("pending", "processing", "on-hold")
#: The invariants that become true once StoreBridge catches up (the settle waits for them);
#: the others judge the whole run and cannot change by waiting.
CONVERGENT = frozenset(
    {
        "every completed order was exported",
        "WooCommerce stock = on hand - open allocation - safety, for every linked SKU",
        "every price equals the POS's",
        "every bad row is quarantined with a reason",
        "every job ran again after the kills (no lock or queue left blocked)",
    }
)
#: Jobs sharing one lock per store (runner.jobs): they must never overlap.
SETTLE_JOBS = ("products", "orders", "export")
LOCK_GROUPS = {
    "products": "catalog",
    "orders": "catalog",
    "reconcile": "catalog",
    "export": "export",
}


@dataclass(frozen=True, slots=True)
class Invariant:
    """One rule and whether it held."""

    name: str
    ok: bool
    detail: str


@dataclass
class Observed:
    """What the harness saw during the run (filled by `chaos`)."""

    forged_ids: list[str] = field(default_factory=list)
    forged_answers: Counter[str] = field(default_factory=Counter)
    probes: int = 0
    probe_failures: list[str] = field(default_factory=list)
    probes_while_restarting: int = 0
    bad_rows: dict[str, str] = field(default_factory=dict)
    kill_times: list[datetime] = field(default_factory=list)
    settle_started: datetime | None = None


@dataclass
class Snapshot:
    """Both sides' state after the settle."""

    products: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    pos_items: dict[str, sqlite3.Row]
    pos_on_hand: dict[str, int]
    pos_invoices: Counter[str]
    links: list[ProductLink]
    exports: dict[int, Export]
    quarantine: dict[str, list[QuarantineRow]]
    deliveries: set[str]
    runs: list[Run]
    logs: dict[str, str]


async def _pages(woo: WooClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = await woo.request_json(
            "GET", path, params={**params, "per_page": 100, "page": page}
        )
        if not isinstance(batch, list) or not batch:
            return found
        found.extend(batch)
        page += 1


def _pos(path: Path) -> tuple[dict[str, sqlite3.Row], dict[str, int], Counter[str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        items = {row["sku"]: row for row in conn.execute("SELECT * FROM items")}
        on_hand: dict[str, int] = defaultdict(int)
        for row in conn.execute("SELECT sku, on_hand FROM stock"):
            on_hand[row["sku"]] += int(row["on_hand"])
        invoices: Counter[str] = Counter(
            row["idempotency_key"]
            for row in conn.execute("SELECT idempotency_key FROM documents WHERE kind = 'invoice'")
        )
    finally:
        conn.close()
    return items, dict(on_hand), invoices


async def gather(
    services: Services,
    woo: WooClient,
    writes: list[dict[str, Any]],
    pos_path: Path,
    logs: list[Path],
) -> Snapshot:
    """Read both sides (call with the sandbox's faults off)."""
    products = await _pages(
        woo, "/products", {"_fields": "id,sku,type,regular_price,sale_price,stock_quantity"}
    )
    orders = await _pages(woo, "/orders", {"_fields": "id,status,line_items"})
    items, on_hand, invoices = _pos(pos_path)
    with services.sessions() as session:
        links = list(session.scalars(select(ProductLink).where(ProductLink.store == STORE)))
        exports = {
            e.woo_order_id: e for e in session.scalars(select(Export).where(Export.store == STORE))
        }
        quarantine: dict[str, list[QuarantineRow]] = defaultdict(list)
        for row in session.scalars(select(QuarantineRow).where(QuarantineRow.store == STORE)):
            quarantine[row.sku or ""].append(row)
        deliveries = set(session.scalars(select(WebhookDelivery.delivery_id)))
        runs = list(session.scalars(select(Run).where(Run.store == STORE).order_by(Run.started_at)))
        session.expunge_all()
    return Snapshot(
        products=products,
        orders=orders,
        writes=writes,
        pos_items=items,
        pos_on_hand=on_hand,
        pos_invoices=invoices,
        links=links,
        exports=exports,
        quarantine=dict(quarantine),
        deliveries=deliveries,
        runs=runs,
        logs={str(path): path.read_text(encoding="utf-8", errors="replace") for path in logs},
    )


def _money(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _first(problems: list[str], limit: int = 5) -> str:
    shown = "; ".join(problems[:limit])
    return shown + (f"; ... ({len(problems)} in all)" if len(problems) > limit else "")


def _verdict(name: str, problems: list[str], good: str) -> Invariant:
    return Invariant(name, not problems, good if not problems else _first(problems))


def _no_duplicate_products(snap: Snapshot) -> Invariant:
    skus = Counter(p["sku"] for p in snap.products if p.get("sku"))
    twice = [f"{sku} x{n}" for sku, n in skus.items() if n > 1]
    by_woo = Counter(link.woo_id for link in snap.links if link.woo_id is not None)
    twice += [f"woo id {woo_id} linked {n} times" for woo_id, n in by_woo.items() if n > 1]
    return _verdict("no SKU has two WooCommerce products", twice, f"{len(skus)} SKUs, each once")


def _no_order_written_twice(snap: Snapshot) -> Invariant:
    twice = [f"{key} x{n}" for key, n in snap.pos_invoices.items() if n > 1]
    return _verdict(
        "no order was written to the POS twice",
        twice,
        f"{len(snap.pos_invoices)} invoices, each once",
    )


def _completed_exported(snap: Snapshot) -> Invariant:
    completed = [o["id"] for o in snap.orders if o["status"] == "completed"]
    missing = []
    for order_id in completed:
        export = snap.exports.get(order_id)
        state = export.state if export is not None else "unknown to StoreBridge"
        if f"{STORE}:{order_id}" not in snap.pos_invoices or state != "exported":
            missing.append(f"order {order_id}: {state}")
    return _verdict(
        "every completed order was exported", missing, f"{len(completed)} completed, all exported"
    )


def _open_allocation(orders: list[dict[str, Any]]) -> Counter[str]:
    held: Counter[str] = Counter()
    for order in orders:
        if order["status"] in ALLOCATING:
            for line in order["line_items"]:
                if line.get("sku"):
                    held[line["sku"]] += int(line["quantity"])
    return held


def _stock_and_prices(snap: Snapshot) -> tuple[Invariant, Invariant]:
    products = {p["id"]: p for p in snap.products}
    held = _open_allocation(snap.orders)
    stock_wrong: list[str] = []
    price_wrong: list[str] = []
    linked = [link for link in snap.links if link.state == "linked" and link.kind == "simple"]
    for link in linked:
        product = products.get(link.woo_id or -1)
        item = snap.pos_items.get(link.sku)
        if product is None or item is None:
            stock_wrong.append(f"{link.sku}: product {link.woo_id} or POS item missing")
            continue
        on_hand = snap.pos_on_hand.get(link.sku, 0)
        expected = max(0, on_hand - held[link.sku] - SAFETY_STOCK) if item["web"] else 0
        if product.get("stock_quantity") != expected:
            stock_wrong.append(
                f"{link.sku}: WooCommerce {product.get('stock_quantity')}, expected {expected} "
                f"(on hand {on_hand}, open orders {held[link.sku]}, safety {SAFETY_STOCK}, web {item['web']})"
            )
        if not item["web"]:
            continue  # delisted: stock zeroed, price left alone
        if _money(product.get("regular_price")) != _money(item["price"]):
            price_wrong.append(
                f"{link.sku}: WooCommerce {product.get('regular_price')}, POS {item['price']}"
            )
        elif _money(product.get("sale_price")) != _money(item["sale_price"]):
            price_wrong.append(
                f"{link.sku}: sale WooCommerce {product.get('sale_price')!r}, POS {item['sale_price']!r}"
            )
    return (
        _verdict(
            "WooCommerce stock = on hand - open allocation - safety, for every linked SKU",
            stock_wrong,
            f"{len(linked)} linked SKUs, all equal",
        ),
        _verdict(
            "every price equals the POS's", price_wrong, f"{len(linked)} linked SKUs, all equal"
        ),
    )


def _merchant_fields(snap: Snapshot) -> Invariant:
    touched = []
    for write in snap.writes:
        if write["operation"] != "update" or write["template"] not in PRODUCT_WRITES:
            continue
        owned = MERCHANT_FIELDS.intersection(write["keys"])
        if owned:
            target = write["target_id"] or write["path"]
            touched.append(
                f"{write['method']} {write['template']} ({target}): {', '.join(sorted(owned))}"
            )
    updates = sum(1 for w in snap.writes if w["operation"] == "update")
    return _verdict(
        "merchant-owned fields were never written after creation",
        touched,
        f"{updates} product/stock updates journaled, none carried a merchant field",
    )


def _bad_rows(snap: Snapshot, observed: Observed) -> Invariant:
    missing = []
    fixed = 0
    for sku, what in observed.bad_rows.items():
        rows = [r for r in snap.quarantine.get(sku, []) if r.reason]
        item = snap.pos_items.get(sku)
        # Store life may repair a bad row (a price change, a promotion ending): its
        # quarantine entry must then be resolved, and only then.
        still_bad = item is not None and _invalid(item)
        held = any(r.resolved_at is None for r in rows)
        if still_bad and not rows:
            missing.append(f"{sku} ({what}) never quarantined")
        elif still_bad and not held:
            missing.append(f"{sku} ({what}) released from quarantine while still bad")
        elif not still_bad and held:
            missing.append(f"{sku} ({what}) still quarantined after store life repaired it")
        elif not still_bad:
            fixed += 1
    reasons = sorted({r.reason for sku in observed.bad_rows for r in snap.quarantine.get(sku, [])})
    return _verdict(
        "every bad row is quarantined with a reason",
        missing,
        f"{len(observed.bad_rows)} bad rows, all quarantined ({', '.join(reasons)})"
        + (f"; {fixed} repaired by store life later, and not held" if fixed else ""),
    )


def _invalid(item: sqlite3.Row) -> bool:
    """Whether StoreBridge's own validation would quarantine the POS row as it is now.

    Store life may change a bad row (a price change scales a negative price,
    and can also repair it); only the domain's rules say which it is now.
    """
    raw = RawItem(
        ref=SourceRef("items"),
        sku=item["sku"],
        name=item["name"],
        regular_price=item["price"],
        sale_price=item["sale_price"],
    )
    return bool(validate_feed([raw]).quarantined)


def _forged(snap: Snapshot, observed: Observed) -> Invariant:
    problems = [
        f"{delivery} was recorded"
        for delivery in observed.forged_ids
        if delivery in snap.deliveries
    ]
    problems += [
        f"answered {code} x{n}" for code, n in observed.forged_answers.items() if code != "401"
    ]
    answered = observed.forged_answers.get("401", 0)
    return _verdict(
        "every forged webhook was refused",
        problems,
        f"{answered} forged deliveries, all refused with 401, none recorded",
    )


def _secrets(snap: Snapshot, secrets: dict[str, str]) -> Invariant:
    leaks = []
    lines = 0
    for path, text in snap.logs.items():
        for number, line in enumerate(text.splitlines(), 1):
            lines += 1
            leaks += [
                f"{what} in {Path(path).name}:{number}"
                for what, value in secrets.items()
                if value in line
            ]
    return _verdict(
        "no secret appears in any log line",
        leaks,
        f"{lines:,} log lines searched for {len(secrets)} secrets",
    )


def _dashboard(observed: Observed) -> Invariant:
    return _verdict(
        "the dashboard answered every request (no 5xx)",
        observed.probe_failures,
        f"{observed.probes} probes answered"
        + (
            f" ({observed.probes_while_restarting} more refused while the killed runner restarted)"
            if observed.probes_while_restarting
            else ""
        ),
    )


def overlapping_runs(runs: list[Run], kill_times: list[datetime]) -> list[str]:
    """Runs of one store's lock group whose intervals overlap (a killed run ends at its kill)."""
    spans: dict[tuple[str, str], list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for run in runs:
        group = LOCK_GROUPS.get(run.job)
        if group is None:
            continue  # "stock" rows are written inside an orders run or a webhook
        killed = next((k for k in sorted(kill_times) if k >= run.started_at), None)
        # A run cut by a kill is closed as orphaned later, when its lock is taken again:
        # it really ended at the kill.
        end = killed if run.finished_at is None or run.error == ORPHANED else run.finished_at
        end = end or run.finished_at
        if end is None:
            continue  # still running at the check
        spans[(run.store, group)].append((run.started_at, end, run.id))
    overlaps = []
    for (store, group), found in spans.items():
        found.sort()
        latest_end, latest_id = found[0][1], found[0][2]
        for start, end, run_id in found[1:]:
            if start < latest_end:
                overlaps.append(
                    f"{store}/{group}: run {run_id} started before run {latest_id} ended"
                )
            if end > latest_end:
                latest_end, latest_id = end, run_id
    return overlaps


def _runs(snap: Snapshot, observed: Observed) -> Invariant:
    overlaps = overlapping_runs(snap.runs, observed.kill_times)
    counted = Counter(run.job for run in snap.runs)
    return _verdict(
        "no job of one store ran twice at once",
        overlaps,
        ", ".join(f"{n} {job}" for job, n in sorted(counted.items())) + " runs, none overlapping",
    )


def _ran_after_settle(snap: Snapshot, observed: Observed) -> Invariant:
    """Kills left nothing blocked: every periodic job ran to the end once the faults stopped."""
    since = observed.settle_started
    done = {
        run.job
        for run in snap.runs
        if since is not None and run.started_at >= since and run.outcome == "ok"
    }
    missing = [
        f"no {job} run finished ok after the faults stopped"
        for job in SETTLE_JOBS
        if job not in done
    ]
    return _verdict(
        "every job ran again after the kills (no lock or queue left blocked)",
        missing,
        f"{', '.join(SETTLE_JOBS)} each ran ok after the faults stopped",
    )


def check(snap: Snapshot, observed: Observed, secrets: dict[str, str]) -> list[Invariant]:
    """Every invariant, in the order docs/reliability.md lists them."""
    stock, prices = _stock_and_prices(snap)
    return [
        _no_duplicate_products(snap),
        _no_order_written_twice(snap),
        _completed_exported(snap),
        stock,
        prices,
        _merchant_fields(snap),
        _bad_rows(snap, observed),
        _forged(snap, observed),
        _secrets(snap, secrets),
        _dashboard(observed),
        _runs(snap, observed),
        _ran_after_settle(snap, observed),
    ]
