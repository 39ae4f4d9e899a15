"""The oversell benchmark: a busy day replayed against StoreBridge's allocation and a naive sync.

A discrete-event simulation of one shop day, at the domain level: the same
seeded stream of web orders and in-store sales over a few hundred scarce SKUs
is played against each sync strategy, and the units sold online that cannot
be shipped are counted.  It models what really happens:

* WooCommerce lowers its stock when an order is placed, and refuses an order
  once its stock is 0 (backorders off);
* a web order is picked from the shelf some time later (5 to 60 minutes); a
  unit an in-store customer took meanwhile is not there any more: that line
  is **oversold** (the order cannot ship in full);
* the order is completed when it ships (1 to 4 hours after picking) and the
  POS learns of it only when the export job (every minute) exports it, so
  until then the POS on-hand still counts units that left the shelf;
* every stock push overwrites WooCommerce's stock.  A push is computed at one
  instant and lands `push_window_s` later; an order placed in between has its
  decrement overwritten until the next push (the *window* design.md §4 says
  must be measured, not hidden).

Strategies: the **naive sync** pushes the POS on-hand as it is every 5 minutes.
**StoreBridge** computes ``available = max(0, on_hand - allocated - safety)``
with `domain.allocation` (allocated recomputed from the order ledger,
released once a POS read started after the POS knew the order), refreshes
the ledger right before each push, and pushes the ordered SKU when an order
webhook arrives, besides its 1-minute orders job and 5-minute products run.
With **reservations** StoreBridge also holds each order's units in the POS
as soon as it learns of the order (webhook or orders job): the till sells
only what the POS shows as available (on-hand less held units), the POS
read excludes held units, and the export turns the hold into the sale.
**Ship-from-POS** adds that the POS ships the order: the hold becomes the
sale when the order is picked, not hours later at the export.

Run it alone with ``python -m bench.oversell``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.table import Table, fmt_int
from storebridge.domain.allocation import (
    OrderFacts,
    allocated_by_sku,
    available_by_sku,
    releasable,
)

__all__ = [
    "STRATEGIES",
    "BusyDay",
    "DayModel",
    "DayResult",
    "Strategy",
    "busy_day",
    "oversell_table",
    "simulate",
]

_EPOCH = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # sim second 0 = 08:00 (for OrderFacts)


@dataclass(frozen=True, slots=True)
class DayModel:
    """The timings of the day and of the jobs (seconds)."""

    day_s: float = 12 * 3600  # web orders from 08:00 to 20:00
    store_hours: tuple[float, float] = (3600, 11 * 3600)  # the shop is open 09:00-19:00
    products_interval_s: float = 300  # the runner's default products interval
    orders_interval_s: float = 60
    export_interval_s: float = 60
    webhook_delay_s: float = 2.0
    push_window_s: float = 1.0  # ledger read -> stock written in WooCommerce
    pick_s: tuple[float, float] = (300, 3600)  # checkout -> units taken off the shelf
    ship_s: tuple[float, float] = (3600, 4 * 3600)  # picked -> completed (then exported)


@dataclass(frozen=True, slots=True)
class Sale:
    """One demand event: a web order line or an in-store sale."""

    at: float
    sku: str
    quantity: int
    web: bool
    pick_s: float = 0.0
    ship_s: float = 0.0


@dataclass(frozen=True, slots=True)
class BusyDay:
    """The generated day: opening stock per SKU and the time-ordered demand."""

    stock: dict[str, int]
    sales: tuple[Sale, ...]
    model: DayModel

    @property
    def web_orders(self) -> int:
        """Web orders in the day."""
        return sum(1 for sale in self.sales if sale.web)


def busy_day(
    web_orders: int, store_sales: int, skus: int, *, seed: int = 7, model: DayModel | None = None
) -> BusyDay:
    """A reproducible busy day: popular SKUs sell out, stock is below demand for most."""
    model = model or DayModel()
    rng = random.Random(seed)
    names = [f"SKU-{n:04d}" for n in range(1, skus + 1)]
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(skus)]
    rng.shuffle(weights)
    scale = (web_orders + store_sales) / sum(weights)
    # Scarce: each SKU opens with 40%-110% of the units it will be asked for.
    stock = {
        sku: max(1, round(weight * scale * rng.uniform(0.4, 1.1)))
        for sku, weight in zip(names, weights, strict=True)
    }
    sales = [
        Sale(
            at=rng.uniform(0, model.day_s),
            sku=rng.choices(names, weights)[0],
            quantity=1 if rng.random() < 0.85 else 2,
            web=True,
            pick_s=rng.uniform(*model.pick_s),
            ship_s=rng.uniform(*model.ship_s),
        )
        for _ in range(web_orders)
    ]
    opens, closes = model.store_hours
    sales += [
        Sale(
            at=rng.uniform(opens, closes), sku=rng.choices(names, weights)[0], quantity=1, web=False
        )
        for _ in range(store_sales)
    ]
    sales.sort(key=lambda sale: sale.at)
    return BusyDay(stock, tuple(sales), model)


@dataclass(frozen=True, slots=True)
class Strategy:
    """How stock reaches WooCommerce."""

    label: str
    allocation: bool  # False: push the POS on-hand as it is
    webhooks: bool = False
    orders_job: bool = False
    safety: int = 0
    reservations: bool = False  # orders held in the POS once StoreBridge learns of them
    ship_from_pos: bool = False  # the POS picks and ships: it books the sale at picking


STRATEGIES = (
    Strategy("naive sync: POS on-hand pushed as is every 5 min", allocation=False),
    Strategy("StoreBridge: ledger + available, orders job every 1 min", True, orders_job=True),
    Strategy("StoreBridge: + order webhooks (default)", True, webhooks=True, orders_job=True),
    Strategy("StoreBridge: + webhooks + safety stock 1", True, True, orders_job=True, safety=1),
    Strategy(
        "StoreBridge: + webhooks + POS reservations", True, True, orders_job=True, reservations=True
    ),
    Strategy(
        "StoreBridge: + webhooks + reservations, ship from the POS",
        True,
        True,
        orders_job=True,
        reservations=True,
        ship_from_pos=True,
    ),
)


@dataclass
class DayResult:
    """What the day looked like under one strategy."""

    strategy: Strategy
    web_accepted: int = 0
    web_refused: int = 0
    store_sold: int = 0
    store_lost: int = 0
    oversold_units: int = 0
    orders_affected: int = 0
    pushes: int = 0
    in_window: int = 0  # orders whose decrement a landing push overwrote
    #: Units sold online when every unit was already sold (in store or online): the
    #: published figure was stale or overwritten.  The rest of the oversold units were in
    #: stock at checkout and sold in store before the order was picked.
    sold_when_gone: int = 0


@dataclass
class _Order:
    order_id: int
    sku: str
    quantity: int
    placed_at: float
    shipped: int | None = None  # set when picked
    completed: bool = False
    exported_at: float | None = None
    reserved_at: float | None = None  # when the POS started holding the units


@dataclass
class _Shop:
    """The simulated state; one per strategy run."""

    day: BusyDay
    strategy: Strategy
    result: DayResult
    woo: dict[str, int] = field(default_factory=dict)
    pos: dict[str, int] = field(default_factory=dict)
    shelf: dict[str, int] = field(default_factory=dict)
    pos_read: dict[str, int] = field(default_factory=dict)  # on-hand of the last products run
    read_at: float = 0.0
    orders: list[_Order] = field(default_factory=list)
    by_sku: dict[str, list[_Order]] = field(default_factory=lambda: defaultdict(list))
    since_tick: set[str] = field(default_factory=set)
    claimed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # units sold
    held: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # POS reservations

    def __post_init__(self) -> None:
        self.woo = dict(self.day.stock)
        self.pos = dict(self.day.stock)
        self.shelf = dict(self.day.stock)
        self.pos_read = dict(self.day.stock)

    # -- what StoreBridge publishes -----------------------------------------------------

    def available(self, skus: set[str], now: float) -> dict[str, int]:
        """design.md §4 with the ledger as it is at `now` (refreshed right before)."""
        if not self.strategy.allocation:
            return {sku: max(0, self.pos[sku]) for sku in skus}
        facts = [
            _facts(order, now)
            for sku in skus
            for order in self.by_sku[sku]
            if order.placed_at <= now
        ]
        released = releasable(facts, _EPOCH + timedelta(seconds=self.read_at))
        facts = [
            OrderFacts(f.order_id, f.status, f.lines, f.export_acked_at, f.order_id in released)
            for f in facts
        ]
        # (`releasable` judges each order by when the POS knew it: exported or reserved.)
        on_hand = {sku: {"pos": self.pos_read[sku]} for sku in skus}
        return available_by_sku(
            on_hand, allocated_by_sku(facts), safety_default=self.strategy.safety
        )

    def land(self, values: dict[str, int], computed_at: float, now: float) -> None:
        """A push lands: WooCommerce's stock is overwritten."""
        self.result.pushes += 1
        for sku, value in values.items():
            self.result.in_window += sum(
                1 for order in self.by_sku[sku] if computed_at < order.placed_at <= now
            )
            self.woo[sku] = value

    # -- demand ---------------------------------------------------------------------------

    def web_order(self, sale: Sale) -> _Order | None:
        if self.woo[sale.sku] < sale.quantity:
            self.result.web_refused += 1
            return None
        self.woo[sale.sku] -= sale.quantity  # WooCommerce reduces stock at order time
        left = self.day.stock[sale.sku] - self.claimed[sale.sku]
        self.result.sold_when_gone += sale.quantity - max(0, min(left, sale.quantity))
        self.claimed[sale.sku] += sale.quantity
        order = _Order(len(self.orders) + 1, sale.sku, sale.quantity, sale.at)
        self.orders.append(order)
        self.by_sku[sale.sku].append(order)
        self.since_tick.add(sale.sku)
        self.result.web_accepted += 1
        return order

    def pos_free(self, sku: str) -> int:
        """What the POS shows as available: on-hand less the units reservations hold."""
        return self.pos[sku] - self.held[sku]

    def reserve(self, orders: list[_Order], now: float) -> None:
        """StoreBridge learnt of these orders: the POS holds their units from now on."""
        if not self.strategy.reservations:
            return
        for order in orders:
            if order.reserved_at is None and order.exported_at is None:
                order.reserved_at = now
                self.held[order.sku] += order.quantity

    def store_sale(self, sale: Sale) -> None:
        # With reservations the till sells only what the POS shows as available.
        free = self.pos_free(sale.sku) if self.strategy.reservations else self.shelf[sale.sku]
        if min(self.shelf[sale.sku], free) < sale.quantity:
            self.result.store_lost += 1
            return
        self.shelf[sale.sku] -= sale.quantity
        self.pos[sale.sku] -= sale.quantity  # the till books it at once
        self.claimed[sale.sku] += sale.quantity
        self.result.store_sold += 1

    def pick(self, order: _Order, now: float) -> None:
        shipped = min(order.quantity, self.shelf[order.sku])
        self.shelf[order.sku] -= shipped
        order.shipped = shipped
        if shipped < order.quantity:
            self.result.oversold_units += order.quantity - shipped
            self.result.orders_affected += 1
        if self.strategy.ship_from_pos:
            self.book(order, now)  # the POS ships it: its sale is booked as it leaves

    def book(self, order: _Order, now: float) -> None:
        """The POS books the sale (a held reservation becomes it)."""
        assert order.shipped is not None
        order.exported_at = now
        self.pos[order.sku] -= order.shipped
        if order.reserved_at is not None:
            self.held[order.sku] -= order.quantity

    def export(self, now: float) -> None:
        for order in self.orders:
            if order.completed and order.shipped is not None and order.exported_at is None:
                self.book(order, now)  # the POS learns of the sale now


def _facts(order: _Order, now: float) -> OrderFacts:
    acked = None
    if order.exported_at is not None and order.exported_at <= now:
        acked = _EPOCH + timedelta(seconds=order.exported_at)
    reserved = None
    if order.reserved_at is not None and order.reserved_at <= now:
        reserved = _EPOCH + timedelta(seconds=order.reserved_at)
    return OrderFacts(
        order_id=order.order_id,
        status="completed" if order.completed else "processing",
        lines=((order.sku, order.quantity if order.shipped is None else order.shipped),),
        export_acked_at=acked,
        applied_at=acked,  # the simulated POS books an export as it receives it
        reserved_at=reserved,
    )


def simulate(day: BusyDay, strategy: Strategy) -> DayResult:
    """Replay `day` under `strategy`."""
    model = day.model
    shop = _Shop(day, strategy, DayResult(strategy))
    end = model.day_s + model.pick_s[1] + model.ship_s[1] + 2 * model.products_interval_s
    queue: list[tuple[float, int, str, object]] = []
    counter = itertools.count()

    def at(time: float, kind: str, payload: object = None) -> None:
        heapq.heappush(queue, (time, next(counter), kind, payload))

    for sale in day.sales:
        at(sale.at, "sale", sale)
    at(0.0, "products")
    at(model.export_interval_s, "export")
    if strategy.allocation and strategy.orders_job:
        at(model.orders_interval_s, "orders")
    while queue:
        now, _, kind, payload = heapq.heappop(queue)
        if kind == "sale":
            assert isinstance(payload, Sale)
            if not payload.web:
                shop.store_sale(payload)
                continue
            order = shop.web_order(payload)
            if order is not None:
                at(now + payload.pick_s, "pick", order)
                at(now + payload.pick_s + payload.ship_s, "complete", order)
                if strategy.webhooks:
                    at(now + model.webhook_delay_s, "webhook", order)
        elif kind == "webhook":
            assert isinstance(payload, _Order)
            shop.reserve([payload], now)
            at(now, "push", {payload.sku})
        elif kind == "pick":
            assert isinstance(payload, _Order)
            shop.pick(payload, now)
        elif kind == "complete":
            assert isinstance(payload, _Order)
            payload.completed = True
        elif kind == "land":
            assert isinstance(payload, tuple)
            values, computed_at = payload
            shop.land(values, computed_at, now)
        elif kind == "push":
            assert isinstance(payload, set)
            at(now + model.push_window_s, "land", (shop.available(payload, now), now))
        elif now <= end:  # the periodic jobs
            if kind == "export":
                shop.export(now)
                at(now + model.export_interval_s, "export")
            elif kind == "orders":
                shop.reserve([o for o in shop.orders if o.placed_at <= now], now)
                if shop.since_tick:
                    at(now, "push", set(shop.since_tick))
                    shop.since_tick = set()
                at(now + model.orders_interval_s, "orders")
            elif kind == "products":
                # The POS read: with reservations, what it shows as available.
                read = {sku: shop.pos_free(sku) for sku in shop.pos}
                shop.pos_read, shop.read_at = (
                    (read if strategy.reservations else dict(shop.pos)),
                    now,
                )
                at(now, "push", set(day.stock))
                at(now + model.products_interval_s, "products")
    return shop.result


def oversell_table(
    day: BusyDay, results: list[DayResult], *, measured_window_s: float | None = None
) -> Table:
    """The oversell scenario's table."""
    model = day.model
    table = Table(
        f"Oversell: a busy day ({day.web_orders:,} web orders, "
        f"{len(day.sales) - day.web_orders:,} in-store sales, {len(day.stock):,} scarce SKUs)",
        [
            "strategy",
            "oversold units",
            "orders affected",
            "of which sold online after the last unit was gone",
            "web orders taken",
            "orders inside a push window",
            "stock pushes",
            "in-store sales turned away",
        ],
    )
    for result in results:
        window = fmt_int(result.in_window) if result.strategy.allocation else "every push"
        table.add(
            result.strategy.label,
            fmt_int(result.oversold_units),
            fmt_int(result.orders_affected),
            fmt_int(result.sold_when_gone),
            fmt_int(result.web_accepted),
            window,
            fmt_int(result.pushes),
            fmt_int(result.store_lost),
        )
    table.notes += [
        f"Opening stock {sum(day.stock.values()):,} units for "
        f"{sum(sale.quantity for sale in day.sales):,} units of demand. Web orders are picked "
        f"{model.pick_s[0] / 60:.0f}-{model.pick_s[1] / 60:.0f} min after checkout, ship "
        f"{model.ship_s[0] / 3600:.0f}-{model.ship_s[1] / 3600:.0f} h later and only then reach "
        f"the POS (export job every {model.export_interval_s:.0f} s).",
        f"Window: a push lands {model.push_window_s:g} s after the ledger read it was computed "
        "from; an order placed in between has its WooCommerce decrement overwritten until the "
        "next push (webhook pushes follow each order after "
        f"{model.webhook_delay_s:g} s). The naive sync overwrites every order not yet exported "
        "at every push.",
        "Without reservations, the other oversold units were in stock at checkout and sold "
        "in store before the order was picked: the POS knows of a web order only once it is "
        "exported, so allocation cannot hold those back; a safety stock narrows it. With POS "
        "reservations the till sells only what the POS shows as available, so no unit the "
        "POS showed as taken is sold in store; what remains was sold in store in the seconds "
        f"before the reservation landed (webhook after {model.webhook_delay_s:g} s) or sold "
        "online after the last unit was gone. Units sold online after the last one was gone "
        "come from overwritten decrements (the naive sync) or from in-store sales since the "
        f"last products run ({model.products_interval_s / 60:.0f} min). In-store sales turned "
        "away: the shelf was empty, or (with reservations) its units were held for web orders.",
    ]
    held = next((r for r in results if r.strategy.reservations), None)
    plain = next(
        (r for r in results if r.strategy.allocation and not r.strategy.reservations), None
    )
    if held is not None and plain is not None:
        taken = held.oversold_units - held.sold_when_gone
        table.notes.append(
            f"With POS reservations, {taken} of the oversold units were units the POS showed as "
            "taken (oversold minus sold online after the last unit was gone): the till is "
            "refused what web orders hold, and StoreBridge stops holding a reserved order once "
            "a POS read includes the hold, so no unit is counted twice. The "
            f"{held.sold_when_gone} that remain were sold online after the last unit was "
            "already gone, on a figure published from a POS read up to "
            f"{model.products_interval_s / 60:.0f} minutes old; a safety stock or a shorter "
            "products interval narrows that. More in-store customers are turned away "
            f"({held.store_lost:,} vs {plain.store_lost:,}): those units were promised to web "
            "orders. Ship-from-POS changes when the POS books the sale (at picking, not at the "
            "export hours later), not what the till may sell, so its oversell is the same; its "
            "gain is the fulfilment itself."
        )
    if measured_window_s is not None:
        table.notes.append(
            "Measured in this run: the allocation cycle after the order burst (the ledger read "
            f"of the whole burst, then the stock push) took {measured_window_s:.2f} s; a push "
            "after one order's webhook reads far less."
        )
    return table


def main() -> None:
    """Print the full-size simulation's table."""
    from bench.sizes import FULL

    day = busy_day(FULL.oversell_web_orders, FULL.oversell_store_sales, FULL.oversell_skus)
    print(oversell_table(day, [simulate(day, strategy) for strategy in STRATEGIES]).markdown())


if __name__ == "__main__":
    main()
