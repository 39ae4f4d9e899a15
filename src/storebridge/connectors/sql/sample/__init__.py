"""A sample POS database for the SQL connector: schema, mapping and a seeded catalogue.

``schema_postgresql.sql`` / ``schema_mariadb.sql`` / ``schema_sqlite.sql``
hold a small POS schema (items, variants, locations, stock, customers,
invoices, invoice lines) and the staging tables the connector writes into;
``mapping.toml`` is the connector configuration that reads it on PostgreSQL
and MariaDB, ``mapping_sqlite.toml`` the same in SQLite's spelling (for
``storebridge demo --pos sql``).  The tests, the benchmark and the
operations guide use them.

Example::

    engine = sqlalchemy.create_engine(url)
    create_schema(engine)
    seed(engine, n_items=200, n_styles=10, locations=("shop", "back", "warehouse"))
    connector = SqlConnector(sample_settings(url))
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, make_url, text

from storebridge.connectors.demo.catalogue import CatalogueItem, catalogue
from storebridge.connectors.sql.settings import SqlSettings

__all__ = [
    "SAMPLE_DIR",
    "create_schema",
    "insert_catalogue",
    "mapping",
    "sample_settings",
    "schema_statements",
    "seed",
]

SAMPLE_DIR = Path(__file__).parent
_BATCH = 2_000


def _schema_name(dialect: str) -> str:
    return dialect if dialect in ("postgresql", "sqlite") else "mariadb"


def schema_statements(dialect: str) -> list[str]:
    """The statements of the sample schema for `dialect` (postgresql, mysql/mariadb, sqlite)."""
    script = (SAMPLE_DIR / f"schema_{_schema_name(dialect)}.sql").read_text(encoding="utf-8")
    statements: list[str] = []
    current: list[str] = []
    in_body = False  # inside a $$ ... $$ or BEGIN ... END body, where ';' does not end it
    for line in script.splitlines():
        if line.startswith("--") and not current:
            continue
        current.append(line)
        stripped = line.strip()
        if line.count("$$") % 2 == 1:
            in_body = not in_body
        elif stripped == "BEGIN":
            in_body = True
        elif stripped == "END;":
            in_body = False
        if stripped.endswith(";") and not in_body:
            statements.append("\n".join(current).strip().rstrip(";"))
            current = []
    return statements


def create_schema(engine: Engine) -> None:
    """Create the sample schema (and its staging tables) in an empty database."""
    with engine.begin() as conn:
        for statement in schema_statements(engine.dialect.name):
            conn.exec_driver_sql(statement)


def mapping(dialect: str = "postgresql") -> dict[str, Any]:
    """The sample connector configuration for `dialect`, without a URL."""
    name = "mapping_sqlite.toml" if dialect == "sqlite" else "mapping.toml"
    with (SAMPLE_DIR / name).open("rb") as handle:
        return tomllib.load(handle)


def sample_settings(url: str, **overrides: Any) -> SqlSettings:
    """`SqlSettings` for the sample schema at `url`; `overrides` replace top-level keys."""
    dialect = make_url(url).get_backend_name()
    return SqlSettings.model_validate({**mapping(dialect), "url": url, **overrides})


def _rows(items: Sequence[CatalogueItem]) -> tuple[list[dict[str, Any]], ...]:
    parents: dict[str, dict[str, Any]] = {}
    variants: list[dict[str, Any]] = []
    stock: list[dict[str, Any]] = []
    for item in items:
        item_no = item.parent_code or item.sku
        if item_no not in parents:
            parents[item_no] = {
                "item_no": item_no,
                "name": item.parent_name or item.name,
                "category": item.category,
                "description": item.description,
                "price": item.price,
                "sale_price": item.sale_price,
                "sale_from": item.sale_from.date() if item.sale_from else None,
                "sale_to": item.sale_to.date() if item.sale_to else None,
                "web": item.web,
                "weight_kg": item.weight,
                "is_style": item.parent_code is not None,
            }
        variants.append(
            {
                "sku": item.sku,
                "item_no": item_no,
                "colour": item.attributes.get("Colour"),
                "size": item.attributes.get("Size"),
                "price": item.price if item.price != parents[item_no]["price"] else None,
            }
        )
        stock.extend({"sku": item.sku, "location": loc, "qty": q} for loc, q in item.stock.items())
    return list(parents.values()), variants, stock


def _as_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals and dates as text, for SQLite (no decimal type; exact digits kept)."""
    return [
        {k: str(v) if isinstance(v, Decimal | date) else v for k, v in row.items()} for row in rows
    ]


def insert_catalogue(conn: Connection, items: Iterable[CatalogueItem]) -> int:
    """Insert generated catalogue items as sample POS rows; returns the number of SKUs."""
    count = 0
    sqlite = conn.dialect.name == "sqlite"
    batch: list[CatalogueItem] = []

    def flush() -> None:
        if not batch:
            return
        parents, variants, stock = _rows(batch)
        if sqlite:
            parents, variants = _as_text(parents), _as_text(variants)
        conn.execute(
            text(
                "INSERT INTO items (item_no, name, category, description, price, sale_price, "
                "sale_from, sale_to, web, weight_kg, is_style) VALUES (:item_no, :name, "
                ":category, :description, :price, :sale_price, :sale_from, :sale_to, :web, "
                ":weight_kg, :is_style)"
            ),
            parents,
        )
        conn.execute(
            text(
                "INSERT INTO variants (sku, item_no, colour, size, price) "
                "VALUES (:sku, :item_no, :colour, :size, :price)"
            ),
            variants,
        )
        if stock:
            conn.execute(
                text("INSERT INTO stock (sku, location, qty) VALUES (:sku, :location, :qty)"),
                stock,
            )
        batch.clear()

    for item in items:
        batch.append(item)
        count += 1
        # Keep a style's variants in one batch: its parent row is inserted once.
        if len(batch) >= _BATCH and item.parent_code is None:
            flush()
    flush()
    return count


def seed(
    engine: Engine,
    *,
    n_items: int,
    n_styles: int,
    locations: Sequence[str] = ("shop", "back", "warehouse"),
    random_seed: int = 7,
    today: date | None = None,
) -> int:
    """Fill the sample schema with a believable catalogue and two POS customers."""
    day = today or datetime.now(UTC).date()
    items = catalogue(n_items, n_styles, random_seed, locations, day)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO locations (code, name) VALUES (:code, :name)"),
            [{"code": loc, "name": loc.title()} for loc in locations],
        )
        conn.execute(
            text("INSERT INTO customers (email, name, city) VALUES (:email, :name, :city)"),
            [
                {"email": "Regular@Example.com", "name": "Rita Regular", "city": "Leeds"},
                {"email": None, "name": "Cash sale", "city": None},
            ],
        )
        return insert_catalogue(conn, items)
