"""`python -m bench.tryton`: read a 10,000-product Tryton catalogue, next to the demo POS.

The issue's benchmark row: how many JSON-RPC calls and how many seconds the
Tryton reader needs for a whole catalogue with on-hand in 3 warehouses and a
price list, and the demo POS reading as many items in the same run.

Set-up (not measured):

- the test suite's Tryton database (built once by `trytond-admin` and seeded
  through proteus, cached under the temp folder;
  storebridge/connectors/tryton/server.py) is copied to a scratch folder and served by a real
  `trytond` on a free loopback port;
- a third warehouse is created over RPC, so trytond keeps its location tree
  (``left``/``right``) right;
- the products are added with bulk SQL inserts into the SQLite file, modelled
  on the seeded rows (template, variant, list price, web-shop link, one done
  stock move per warehouse).  Creating them through the ORM takes ~25 s per
  500 and is capped at ~50 records a call on SQLite (docs/shared tryton notes);
  the reads measured below still go through trytond's normal RPC path, which
  computes every quantity from the moves.

Measured: `TrytonConnector.read_items()` twice per page size, the first right
after the server started (cold: trytond's caches and SQLite's page cache
empty) and once more (warm), counting the calls the connector made; then the
demo POS's `read_items()` over as many items.  The result replaces the
"Tryton" section of docs/benchmarks.md (`--output -` prints it instead);
`make bench` keeps that section when it rewrites the rest of the page.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.report import machine
from bench.table import Table, fmt_s
from bench.tryton_section import SECTION_HEADING, splice
from bench.workspace import CATALOGUE_SEED
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.demo.settings import DemoPosSettings
from storebridge.connectors.tryton import seed as tryton_seed
from storebridge.connectors.tryton import server as tryton_server
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.settings import TrytonSettings

__all__ = ["add_products", "main", "section"]

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
THIRD_WAREHOUSE = "BENCH"
PREFIX = "BENCH-"


@dataclass(frozen=True, slots=True)
class Read:
    """One whole-catalogue read."""

    label: str
    items: int
    calls: int | None
    seconds: float
    client_cpu: float  # CPU time of this process (StoreBridge's side) during the read


def _log(message: str) -> None:
    print(f"[bench.tryton {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _row(connection: sqlite3.Connection, table: str, where: str, *args: Any) -> dict[str, Any]:
    connection.row_factory = sqlite3.Row
    row = connection.execute(f'SELECT * FROM "{table}" WHERE {where} LIMIT 1', args).fetchone()
    if row is None:
        raise RuntimeError(f"the seeded Tryton database has no {table} row where {where}")
    return dict(row)


def _insert(connection: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    connection.executemany(
        f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
        [tuple(row[c] for c in columns) for row in rows],
    )


def _next_id(connection: sqlite3.Connection, table: str) -> int:
    return int(connection.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').fetchone()[0])


def add_products(database: Path, count: int, storages: Sequence[int]) -> None:
    """Insert `count` salable goods, in the web shop, with stock in each of `storages`.

    Each new row copies a row the ORM wrote for MUG-01, so every column the
    ORM fills (company, unit, accounting category, timestamps) is filled alike.
    """
    connection = sqlite3.connect(database)
    with contextlib.closing(connection), connection:
        template = _row(connection, "product_template", "code = ?", "MUG-01")
        product = _row(connection, "product_product", "code = ?", "MUG-01")
        price = _row(connection, "product_list_price", "template = ?", template["id"])
        link = _row(connection, "web_shop-product_product", "product = ?", product["id"])
        move = _row(connection, "stock_move", "product = ?", product["id"])
        first = {
            table: _next_id(connection, table)
            for table in (
                "product_template",
                "product_product",
                "product_list_price",
                "web_shop-product_product",
                "stock_move",
            )
        }
        templates, products, prices, links, moves = [], [], [], [], []
        for n in range(count):
            code = f"{PREFIX}{n:05d}"
            template_id = first["product_template"] + n
            product_id = first["product_product"] + n
            templates.append({**template, "id": template_id, "code": code, "name": f"Item {n}"})
            products.append({**product, "id": product_id, "code": code, "template": template_id})
            cents = 199 + (n * 37) % 9800
            prices.append(
                {
                    **price,
                    "id": first["product_list_price"] + n,
                    "template": template_id,
                    "list_price": f"{cents // 100}.{cents % 100:02d}",
                }
            )
            links.append(
                {**link, "id": first["web_shop-product_product"] + n, "product": product_id}
            )
            for w, storage in enumerate(storages):
                quantity = float((n + 7 * w) % 13)
                if quantity:
                    moves.append(
                        {
                            **move,
                            "id": first["stock_move"] + len(moves),
                            "product": product_id,
                            "to_location": storage,
                            "quantity": quantity,
                            "internal_quantity": quantity,
                        }
                    )
        _insert(connection, "product_template", templates)
        _insert(connection, "product_product", products)
        _insert(connection, "product_list_price", prices)
        _insert(connection, "web_shop-product_product", links)
        _insert(connection, "stock_move", moves)


def _checkpoint(database: Path) -> None:
    """Fold trytond's write-ahead log into the file, so a copy of the file holds every write."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _add_warehouse(connector: TrytonConnector) -> None:
    """A third warehouse, created the way the seed creates the shop floor (through the ORM)."""
    rpc = connector.rpc
    zones = rpc.call(
        "stock.location",
        "create",
        [{"name": f"Bench {kind}", "type": "storage"} for kind in ("input", "output", "storage")],
    )
    (warehouse,) = rpc.call(
        "stock.location",
        "create",
        [
            {
                "name": "Bench depot",
                "code": THIRD_WAREHOUSE,
                "type": "warehouse",
                "input_location": zones[0],
                "output_location": zones[1],
                "storage_location": zones[2],
            }
        ],
    )
    rpc.call("stock.location", "write", zones, {"parent": warehouse})


def _storages(database: Path) -> list[int]:
    connection = sqlite3.connect(database)
    with contextlib.closing(connection):
        rows = connection.execute(
            "SELECT storage_location FROM stock_location WHERE type = 'warehouse' "
            "AND code IN (?, ?, ?) ORDER BY id",
            (tryton_seed.WAREHOUSE, tryton_seed.SHOP_WAREHOUSE, THIRD_WAREHOUSE),
        ).fetchall()
    return [int(row[0]) for row in rows]


def _settings(server: tryton_server.TrytonServer, page_size: int) -> TrytonSettings:
    return TrytonSettings.model_validate(
        {
            "url": server.url,
            "database": tryton_server.DATABASE,
            "password": tryton_seed.ADMIN_PASSWORD,
            "web_shop": tryton_seed.WEB_SHOP,
            "warehouses": [tryton_seed.WAREHOUSE, tryton_seed.SHOP_WAREHOUSE, THIRD_WAREHOUSE],
            "price_list": tryton_seed.PRICE_LIST,
            "page_size": page_size,
            "timeout": 600,
        }
    )


def _read_tryton(settings: TrytonSettings, label: str) -> Read:
    connector = TrytonConnector(settings)
    try:
        connector.rpc.login()
        connector.rpc.calls.clear()  # the read's calls, not the login's
        clock, cpu = time.perf_counter(), time.process_time()
        items = sum(1 for _ in connector.read_items())
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
        return Read(label, items, sum(connector.rpc.calls.values()), seconds, cpu)
    finally:
        connector.close()


def _read_changes(settings: TrytonSettings) -> list[Read]:
    """Changes reads after a full one: idle, then after one template's price write."""
    connector = TrytonConnector(settings)
    reads: list[Read] = []
    try:
        list(connector.read_items_since(None))
        assert connector.last_read is not None
        position = connector.last_read.position

        def measured(label: str) -> None:
            nonlocal position
            connector.rpc.calls.clear()
            clock, cpu = time.perf_counter(), time.process_time()
            items = sum(1 for _ in connector.read_items_since(position))
            seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
            assert connector.last_read is not None and not connector.last_read.complete
            position = connector.last_read.position
            reads.append(Read(label, items, sum(connector.rpc.calls.values()), seconds, cpu))

        measured("Tryton, changes read, nothing changed")
        (template,) = connector.rpc.call(
            "product.template", "search", [("code", "=", "MUG-01")], 0, 1, None
        )
        connector.rpc.call(
            "product.template", "write", [template], {"list_price": Decimal("13.00")}
        )
        measured("Tryton, changes read, one price written")
    finally:
        connector.close()
    return reads


def measure_tryton(root: Path, products: int, page_sizes: Sequence[int]) -> tuple[list[Read], int]:
    """Cold and warm reads per page size; also returns the catalogue's size."""
    built = tryton_server.built_database(tryton_seed.ADMIN_PASSWORD)
    folder = root / "trytond"
    reads: list[Read] = []
    with tryton_server.TrytonServer(built, folder) as server:
        setup = TrytonConnector(_settings(server, page_sizes[0]))
        try:
            _add_warehouse(setup)
        finally:
            setup.close()
        _log(f"inserting {products:,} products with stock in 3 warehouses")
        add_products(server.database_path, products, _storages(server.database_path))
    _checkpoint(server.database_path)
    for page_size in page_sizes:
        # a fresh server per page size, so the first read of each is really cold
        moved = root / f"trytond-{page_size}"
        with tryton_server.TrytonServer(folder / f"{tryton_server.DATABASE}.sqlite", moved) as srv:
            settings = _settings(srv, page_size)
            for state in ("cold", "warm"):
                _log(f"Tryton read, {page_size} a page, {state}")
                read = _read_tryton(settings, f"Tryton, {page_size} a page, {state}")
                _log(f"  {read.items:,} items, {read.calls} calls, {read.seconds:.1f} s")
                reads.append(read)
            if page_size == page_sizes[-1]:
                _log("Tryton changes reads")
                reads += _read_changes(settings)
    return reads, reads[0].items


def measure_demo(root: Path, items: int) -> Read:
    """The demo POS reading `items` items (one SQLite query, no network)."""
    settings = DemoPosSettings(path=root / "demo-pos.sqlite3", seed_items=0, seed_styles=0)
    pos = DemoPos(settings)
    try:
        pos.seed(items, 0, CATALOGUE_SEED)
        clock, cpu = time.perf_counter(), time.process_time()
        read = sum(1 for _ in pos.read_items())
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
        return Read("demo POS (SQLite file)", read, None, seconds, cpu)
    finally:
        pos.close()


def section(reads: Sequence[Read], products: int, command: str, started: datetime) -> str:
    """The Markdown section for docs/benchmarks.md."""
    table = Table(
        f"Reading {products:,} products with on-hand in 3 warehouses",
        ["source", "items read", "calls", "seconds", "StoreBridge CPU s", "items/s"],
    )
    for read in reads:
        calls = "none (local file)" if read.calls is None else str(read.calls)
        table.add(
            read.label,
            f"{read.items:,}",
            calls,
            fmt_s(read.seconds),
            fmt_s(read.client_cpu),
            f"{read.items / read.seconds:,.0f}",
        )
    host = machine()
    table.notes += [
        f"Run {started:%Y-%m-%d %H:%M UTC} with `{command}` on {host.cores} cores "
        f"({host.cpu_model}), load average {' / '.join(f'{v:.2f}' for v in os.getloadavg())} "
        "at the end; the machine was shared with other work.",
        "Tryton: trytond 8.2 on SQLite, one `trytond` process on loopback, the test suite's "
        f"database plus {products - len(tryton_seed.GOODS):,} products added by bulk SQL (each with a list price, a "
        "web-shop link and done stock moves into the 3 warehouses), a price list in the "
        "context; the connector reads the selection `all` as it does in production.",
        "Calls exclude the login. Per page: one `search_read` (with the first warehouse's "
        "`quantity`) plus one `read` of `quantity` per further warehouse; plus a handful of "
        "set-up calls (warehouses, attributes, price list, web shops).",
        "Cold = first read after trytond started; warm = the next one. `StoreBridge CPU s` is "
        "the reading process's CPU time: the rest of the wall time is trytond's (computing "
        "`quantity` from the stock moves and the price list's price product by product) and "
        "the machine's other load.",
        "Changes reads (`read_items_since`, after a full one): one `search_read` per kind of "
        "record whose stamps can change a product (products and templates, web shops, stock "
        "moves, price-list lines, the price list), then the changed products alone.",
        "Demo POS: the same number of items in its SQLite file with its 3 locations, read in one "
        "query inside the process.",
    ]
    return "\n".join([SECTION_HEADING, "", table.markdown(), ""])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.tryton",
        description="Read a big Tryton catalogue (real trytond) next to the demo POS.",
    )
    parser.add_argument("--products", type=int, default=10_000, help="catalogue size (10000)")
    parser.add_argument(
        "--page-size", type=int, action="append", dest="page_sizes",
        help="the connector's page_size; repeat for several (default: 500)",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT,
        help="the page whose Tryton section is rewritten (default docs/benchmarks.md; - prints)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    page_sizes = args.page_sizes or [500]
    command = " ".join(["python -m bench.tryton", *(sys.argv[1:] if argv is None else argv)])
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="storebridge-bench-tryton-") as scratch:
        root = Path(scratch)
        # the seeded database holds a few salable goods already
        reads, items = measure_tryton(root, args.products - len(tryton_seed.GOODS), page_sizes)
        _log(f"demo POS read of {items:,} items")
        reads.append(measure_demo(root, items))
    text = section(reads, items, command, started)
    if str(args.output) == "-":
        print(text)
        return 0
    old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    args.output.write_text(splice(old, text), encoding="utf-8")
    _log(f"wrote the Tryton section of {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
