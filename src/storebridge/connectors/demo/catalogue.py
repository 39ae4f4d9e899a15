"""A believable retail catalogue for the demo POS, generated from a seed.

The demo, the tests and the benchmarks all need a catalogue that looks like a
real shop's: names by category ("Coastal Linen Shirt"), prices like 19.99,
some items on promotion with dates, about 80% flagged for the web, stock in
several locations with some items scarce or sold out, and matrix styles
(style x colour x size S/M/L/XL, each variant its own SKU, price and stock).

Everything is drawn from the `random.Random` passed in, and dates are relative
to the `today` passed in, so a seed and a day give the same catalogue on every
machine.  `insert_items` writes generated items into the demo schema.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from storebridge.domain.model import money, sku_key

__all__ = [
    "COLOURS",
    "SIZES",
    "WEBSTORE",
    "CatalogueItem",
    "catalogue",
    "charm_price",
    "insert_item",
    "insert_items",
    "simple_item",
    "style_variants",
]

#: The name of the demo POS's web store (the `webstore` selection mode reads its prices).
WEBSTORE = "online"
SIZES = ("S", "M", "L", "XL")
COLOURS = ("Black", "White", "Navy", "Olive", "Sand", "Burgundy", "Grey", "Forest", "Rust")


@dataclass(frozen=True, slots=True)
class _Category:
    prefix: str
    nouns: tuple[tuple[str, int, int], ...]  # (noun, lowest price, highest price) in whole units
    materials: tuple[str, ...]
    weight_grams: tuple[int, int]


_CATEGORIES: dict[str, _Category] = {
    "Apparel": _Category(
        "APP",
        (
            ("T-Shirt", 15, 35),
            ("Shirt", 35, 80),
            ("Hoodie", 45, 90),
            ("Sweater", 50, 120),
            ("Chinos", 45, 95),
            ("Jacket", 80, 250),
            ("Dress", 45, 140),
        ),
        ("Cotton", "Linen", "Merino", "Denim", "Fleece", "Corduroy"),
        (150, 900),
    ),
    "Footwear": _Category(
        "FTW",
        (("Sneakers", 60, 140), ("Boots", 90, 220), ("Loafers", 70, 160), ("Sandals", 30, 80)),
        ("Leather", "Suede", "Canvas", "Knit"),
        (500, 1600),
    ),
    "Accessories": _Category(
        "ACC",
        (
            ("Belt", 20, 60),
            ("Wallet", 25, 90),
            ("Beanie", 15, 35),
            ("Scarf", 20, 70),
            ("Tote Bag", 20, 60),
            ("Cap", 15, 35),
        ),
        ("Leather", "Canvas", "Wool", "Cotton", "Recycled"),
        (50, 600),
    ),
    "Home": _Category(
        "HOM",
        (
            ("Mug", 9, 24),
            ("Throw Blanket", 40, 120),
            ("Cushion Cover", 15, 45),
            ("Candle", 12, 40),
            ("Serving Bowl", 20, 70),
            ("Tea Towel Set", 10, 25),
        ),
        ("Ceramic", "Linen", "Stoneware", "Oak", "Wool", "Glass"),
        (200, 3000),
    ),
}
_CATEGORY_WEIGHTS = {"Apparel": 40, "Footwear": 15, "Accessories": 25, "Home": 20}
_ADJECTIVES = (
    "Classic",
    "Everyday",
    "Coastal",
    "Alpine",
    "Heritage",
    "Urban",
    "Relaxed",
    "Essential",
    "Vintage",
    "Nordic",
    "Harbor",
    "Meadow",
)


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One generated POS item with its stock per location."""

    sku: str
    name: str
    category: str
    description: str
    short_description: str
    price: Decimal
    weight: Decimal
    stock: dict[str, int]
    web: bool
    sale_price: Decimal | None = None
    sale_from: datetime | None = None
    sale_to: datetime | None = None
    webstore_prices: dict[str, Decimal] = field(default_factory=dict)
    parent_code: str | None = None
    parent_name: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def charm_price(rng: random.Random, whole: int) -> Decimal:
    """A shelf price near `whole` the way shops write them: 19.99, 19.95, 19.50 or 20.00."""
    whole = max(whole, 2)
    ending = rng.choices((".99", ".95", ".50", "+.00"), weights=(60, 15, 10, 15))[0]
    if ending == "+.00":
        return money(whole)
    return money(f"{whole - 1}{ending}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _promotion(
    rng: random.Random, price: Decimal, today: date
) -> tuple[Decimal, datetime | None, datetime | None]:
    """A sale price 15-40% off with current, upcoming or open-ended dates."""
    off = Decimal(rng.choice((15, 20, 25, 30, 40))) / 100
    sale = charm_price(rng, int(price * (1 - off)))
    if sale >= price:
        sale = money(price * Decimal("0.8"))
    shape = rng.random()
    if shape < 0.6:  # running now
        start = today - timedelta(days=rng.randint(0, 10))
        return sale, _midnight(start), _midnight(today + timedelta(days=rng.randint(3, 21)))
    if shape < 0.85:  # announced, starts soon
        start = today + timedelta(days=rng.randint(1, 7))
        return sale, _midnight(start), _midnight(start + timedelta(days=14))
    return sale, None, None  # a permanent markdown without dates


def _stock(rng: random.Random, locations: Sequence[str]) -> dict[str, int]:
    shape = rng.random()
    if shape < 0.04:  # sold out everywhere
        return dict.fromkeys(locations, 0)
    if shape < 0.15:  # scarce: the last few units
        return {loc: rng.choice((0, 0, 1, 1, 2)) for loc in locations}
    last = len(locations) - 1
    # The last location is the back store / warehouse and holds the bulk.
    return {
        loc: rng.randint(5, 80) if i == last and last > 0 else rng.randint(0, 12)
        for i, loc in enumerate(locations)
    }


def _web_prices(
    rng: random.Random, price: Decimal, sale_price: Decimal | None, web: bool
) -> dict[str, Decimal]:
    """The web store's price list entry: the shelf price, sometimes a little under it.

    It is a *regular* price (the promotion still applies on top), so it must
    stay above any sale price.
    """
    if not web:
        return {}
    if rng.random() < 0.2:  # a web-only price a little under the shelf price
        web_price = charm_price(rng, int(price * Decimal("0.95")))
        if web_price < price and (sale_price is None or web_price > sale_price):
            return {WEBSTORE: web_price}
    return {WEBSTORE: price}


def simple_item(
    rng: random.Random, seq: int, locations: Sequence[str], today: date
) -> CatalogueItem:
    """One stand-alone item; `seq` makes its SKU unique (``APP-000017``)."""
    category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
    spec = _CATEGORIES[category]
    noun, low, high = rng.choice(spec.nouns)
    material = rng.choice(spec.materials)
    colour = rng.choice(COLOURS)
    name = f"{rng.choice(_ADJECTIVES)} {material} {noun}"
    price = charm_price(rng, rng.randint(low, high))
    sale_price, sale_from, sale_to = (None, None, None)
    if rng.random() < 0.15:
        sale_price, sale_from, sale_to = _promotion(rng, price, today)
    web = rng.random() < 0.8
    return CatalogueItem(
        sku=f"{spec.prefix}-{seq:06d}",
        name=name,
        category=category,
        description=f"{name} in {colour.lower()}. {material} made to last, from our "
        f"{category.lower()} range.",
        short_description=f"{material} {noun.lower()}, {colour.lower()}",
        price=price,
        weight=Decimal(rng.randint(*spec.weight_grams)) / 1000,
        stock=_stock(rng, locations),
        web=web,
        sale_price=sale_price,
        sale_from=sale_from,
        sale_to=sale_to,
        webstore_prices=_web_prices(rng, price, sale_price, web),
    )


def style_variants(
    rng: random.Random, style_no: int, locations: Sequence[str], today: date
) -> list[CatalogueItem]:
    """A matrix style: 2-3 colours x sizes S/M/L/XL, each variant its own SKU and stock."""
    spec = _CATEGORIES["Apparel"]
    noun, low, high = rng.choice(spec.nouns)
    material = rng.choice(spec.materials)
    parent_code = f"STY-{style_no:05d}"
    parent_name = f"{rng.choice(_ADJECTIVES)} {material} {noun}"
    base = charm_price(rng, rng.randint(low, high))
    web = rng.random() < 0.85
    promo = _promotion(rng, base, today) if rng.random() < 0.2 else (None, None, None)
    variants: list[CatalogueItem] = []
    for colour in rng.sample(COLOURS, rng.randint(2, 3)):
        for size in SIZES:
            # Bigger sizes use more cloth; some shops price XL a little higher.
            price = money(base + 2) if size == "XL" and rng.random() < 0.5 else base
            sale_price = promo[0] if promo[0] is not None and promo[0] < price else None
            variants.append(
                CatalogueItem(
                    sku=f"{parent_code}-{colour[:3].upper()}-{size}",
                    name=f"{parent_name} - {colour} / {size}",
                    category="Apparel",
                    description=f"{parent_name}: {material.lower()} {noun.lower()} in "
                    f"{len(SIZES)} sizes.",
                    short_description=f"{material} {noun.lower()}",
                    price=price,
                    weight=Decimal(rng.randint(*spec.weight_grams)) / 1000,
                    stock=_stock(rng, locations),
                    web=web,
                    sale_price=sale_price,
                    sale_from=promo[1] if sale_price is not None else None,
                    sale_to=promo[2] if sale_price is not None else None,
                    webstore_prices={WEBSTORE: price} if web else {},
                    parent_code=parent_code,
                    parent_name=parent_name,
                    attributes={"Colour": colour, "Size": size},
                )
            )
    return variants


def catalogue(
    n_items: int, n_styles: int, random_seed: int, locations: Sequence[str], today: date
) -> Iterator[CatalogueItem]:
    """`n_items` simple items, then every variant of `n_styles` styles, reproducibly."""
    rng = random.Random(random_seed)
    for seq in range(1, n_items + 1):
        yield simple_item(rng, seq, locations, today)
    for style_no in range(1, n_styles + 1):
        yield from style_variants(rng, style_no, locations, today)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def insert_items(conn: sqlite3.Connection, items: Iterable[CatalogueItem], at: datetime) -> int:
    """Insert `items`, their web-store prices and stock (logged as `seed` moves); returns the count.

    Rows go in batches of 1,000 items: one `executemany` per table and batch
    keeps seeding a large catalogue fast.
    """
    count = 0
    batch: list[CatalogueItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == 1_000:
            count += _insert_batch(conn, batch, at.isoformat())
            batch = []
    return count + _insert_batch(conn, batch, at.isoformat())


def insert_item(conn: sqlite3.Connection, item: CatalogueItem, at: datetime) -> None:
    """Insert one item (see `insert_items`)."""
    _insert_batch(conn, [item], at.isoformat())


def _insert_batch(conn: sqlite3.Connection, batch: Sequence[CatalogueItem], at: str) -> int:
    conn.executemany(
        "INSERT INTO items (sku, sku_key, name, category, description, short_description,"
        " price, sale_price, sale_from, sale_to, web, weight, parent_code, parent_name,"
        " attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                item.sku,
                sku_key(item.sku),
                item.name,
                item.category,
                item.description,
                item.short_description,
                str(item.price),
                None if item.sale_price is None else str(item.sale_price),
                _iso(item.sale_from),
                _iso(item.sale_to),
                int(item.web),
                str(item.weight),
                item.parent_code,
                item.parent_name,
                json.dumps(item.attributes, sort_keys=True),
            )
            for item in batch
        ],
    )
    conn.executemany(
        "INSERT INTO webstore_prices (sku, webstore, price) VALUES (?, ?, ?)",
        [
            (item.sku, store, str(price))
            for item in batch
            for store, price in item.webstore_prices.items()
        ],
    )
    conn.executemany(
        "INSERT INTO stock (sku, location, on_hand) VALUES (?, ?, ?)",
        [(item.sku, loc, qty) for item in batch for loc, qty in item.stock.items()],
    )
    conn.executemany(
        "INSERT INTO stock_moves (sku, location, delta, reason, at) VALUES (?, ?, ?, 'seed', ?)",
        [(item.sku, loc, qty, at) for item in batch for loc, qty in item.stock.items() if qty],
    )
    return len(batch)
