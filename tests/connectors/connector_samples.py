"""Sample documents and connector settings shared by the connector tests and crash children.

Loaded by this folder's conftest under the module name `connector_samples`
(pytest runs with --import-mode=importlib, so test folders are not packages),
and imported by the kill -9 child processes from this folder's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import to_jsonable_python
from sqlalchemy import create_engine, text

from storebridge.connectors.settings import (
    ColumnMapping,
    ConnectorSettings,
    DemoPosSettings,
    FileFeedSettings,
    SqlSettings,
    TrytonSettings,
)
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.sql.sample import create_schema, sample_settings, seed
from storebridge.domain.model import (
    Address,
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
    RawItem,
)
from storebridge.ports import IncrementalReader

WHEN = datetime(2025, 3, 14, 10, 30, tzinfo=UTC)
FEED_SKUS = ("TEE-RED-M", "TEE-RED-L", "MUG-01", "BAG-7")
FEED_CSV = (
    "sku,name,price,qty_shop,qty_back\n"
    "TEE-RED-M,Red Tee M,19.99,4,10\n"
    "TEE-RED-L,Red Tee L,19.99,0,3\n"
    "MUG-01,Stoneware Mug,12.50,25,40\n"
    "BAG-7,Canvas Tote,24.00,2,0\n"
)

FEED_MAPPING = ColumnMapping(quantity={"shop": "qty_shop", "back": "qty_back"})


def demo_settings(folder: Path, **overrides: object) -> DemoPosSettings:
    values: dict[str, object] = {
        "path": folder / "demo.sqlite3",
        "incremental": True,
        "seed_items": 30,
        "seed_styles": 2,
        "random_seed": 7,
    }
    values.update(overrides)
    return DemoPosSettings.model_validate(values)


def file_feed_settings(folder: Path, **overrides: object) -> FileFeedSettings:
    feed = folder / "feed.csv"
    if not feed.exists():
        feed.write_text(FEED_CSV, encoding="utf-8")
    values: dict[str, object] = {
        "path": feed,
        "outbox": folder / "outbox",
        "mapping": FEED_MAPPING,
    }
    values.update(overrides)
    return FileFeedSettings.model_validate(values)


SQL_URL_FILE = "sql-pos.url"


def prepare_sql_pos(url: str, folder: Path, n_items: int = 30, n_styles: int = 2) -> str:
    """Create and seed the sample POS schema at `url`; `sql_settings(folder)` then finds it."""
    engine = create_engine(url)
    try:
        create_schema(engine)
        seed(engine, n_items=n_items, n_styles=n_styles, today=WHEN.date())
    finally:
        engine.dispose()
    (folder / SQL_URL_FILE).write_text(url, encoding="utf-8")
    return url


def sql_settings(folder: Path, **overrides: Any) -> SqlSettings:
    """The sample mapping on the database `prepare_sql_pos` made for this test folder."""
    return sample_settings((folder / SQL_URL_FILE).read_text(encoding="utf-8"), **overrides)


def sql_documents_under(connector: SqlConnector, key: str) -> int:
    """Documents under `key` in the staging table, counted in the database itself."""
    with connector.engine.connect() as conn:
        count = conn.execute(
            text("SELECT COUNT(*) FROM sb_documents WHERE idempotency_key = :key"), {"key": key}
        ).scalar_one()
    return int(count)


def tryton_settings(url: str, **overrides: object) -> TrytonSettings:
    """Settings for the seeded Tryton test database (connectors/tryton/seed.py) served at `url`."""
    from storebridge.connectors.tryton import seed

    values: dict[str, object] = {
        "url": url,
        "database": "storebridge",
        "user": "admin",
        "password": seed.ADMIN_PASSWORD,
        "web_shop": seed.WEB_SHOP,
        "warehouses": [seed.WAREHOUSE, seed.SHOP_WAREHOUSE],
        "price_list": seed.PRICE_LIST,
        "shipping_product": seed.SHIPPING_CODE,
        "fee_product": seed.FEE_CODE,
        "unknown_product": seed.UNKNOWN_CODE,
        "taxes": {"10": seed.TAX_NAME},
        "timeout": 120,
    }
    values.update(overrides)
    return TrytonSettings.model_validate(values)


def settings_for(kind: str, folder: Path, tryton_url: str | None = None) -> ConnectorSettings:
    if kind.startswith("sql-"):
        return sql_settings(folder)
    if kind == "tryton":
        assert tryton_url is not None, "the tryton connector needs a running server"
        return tryton_settings(tryton_url)
    return demo_settings(folder) if kind == "demo" else file_feed_settings(folder)


def settings_json(settings: ConnectorSettings) -> str:
    """`settings` as JSON for a child process, secrets included (model_dump_json masks them)."""

    def reveal(value: object) -> object:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, dict):
            return {key: reveal(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [reveal(item) for item in value]
        return value

    return json.dumps(to_jsonable_python(reveal(settings.model_dump())))


def address(city: str = "Leeds", email: str = "") -> Address:
    return Address(
        first_name="Ann",
        last_name="Lee",
        address_1="1 Mill Lane",
        city=city,
        postcode="LS1 1AA",
        country="GB",
        email=email,
    )


def customer(email: str = "ann@example.com", woo_id: int = 7, city: str = "Leeds") -> CustomerDoc:
    return CustomerDoc(
        email=email,
        first_name="Ann",
        last_name="Lee",
        billing=address(city, email.strip().lower()),
        shipping=address(city),
        woo_customer_id=woo_id,
        phone="+44 113 000 0000",
    )


def guest(email: str = "") -> CustomerDoc:
    return CustomerDoc(
        email=email, first_name="Walk", last_name="In", billing=address(), shipping=address()
    )


def line(sku: str | None, quantity: int = 1, price: str = "10.00", known: bool = True) -> DocLine:
    unit = Decimal(price)
    return DocLine(
        sku=sku,
        name=f"Item {sku}",
        quantity=quantity,
        unit_price=unit,
        subtotal=unit * quantity,
        total=unit * quantity,
        tax=Decimal("0.00"),
        known_to_pos=known,
    )


def order(
    order_id: int = 1001,
    lines: tuple[DocLine, ...] | None = None,
    buyer: CustomerDoc | None = None,
    store: str = "main",
) -> OrderDocument:
    lines = lines if lines is not None else (line("TEE-RED-M", 2),)
    shipping = ChargeLine("shipping", "Flat rate", Decimal("4.95"), Decimal("0.00"), "flat_rate")
    total = sum((ln.total for ln in lines), Decimal("0.00")) + shipping.total
    return OrderDocument(
        idempotency_key=f"{store}:{order_id}",
        store=store,
        woo_order_id=order_id,
        number=str(order_id),
        status="completed",
        created_at=WHEN,
        completed_at=WHEN,
        currency="GBP",
        customer=buyer if buyer is not None else customer(),
        lines=lines,
        charges=(shipping,),
        coupons=(),
        discount_total=Decimal("0.00"),
        discount_tax=Decimal("0.00"),
        tax_total=Decimal("0.00"),
        total=total,
        prices_include_tax=False,
        payment_method="bacs",
        payment_method_title="Bank transfer",
        transaction_id="",
        customer_note="Leave at the door",
    )


def credit(
    original: OrderDocument, original_ref: str, refund_id: int = 1, quantity: int = 1
) -> CreditDocument:
    first = original.lines[0]
    lines = (line(first.sku, quantity, str(first.unit_price)),)
    return CreditDocument(
        idempotency_key=f"{original.idempotency_key}:credit:{refund_id}",
        store=original.store,
        woo_order_id=original.woo_order_id,
        original_pos_ref=original_ref,
        reason="Too small",
        lines=lines,
        total=sum((ln.total for ln in lines), Decimal("0.00")),
        created_at=WHEN,
    )


def replay_incremental(
    reader: IncrementalReader,
    operations: Iterable[tuple[Any, ...]],
    apply: Callable[[tuple[Any, ...]], None],
    seen: Callable[[RawItem], Any],
    full_due: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """What incremental reads deliver over a full read, through `operations`.

    A full read first, then each operation: ``("read",)`` reads the changes
    since the last position, any other is `apply`-ed; a last read of the
    changes ends it.  Each read must be a delta unless `full_due()` (asked
    once per read) says it must be a full one, which replaces what was seen.
    Returns what was seen, by SKU.
    """
    view = {str(item.sku): seen(item) for item in reader.read_items_since(None)}
    first = reader.last_read
    assert first is not None and first.complete
    position = first.position

    def read_changes() -> None:
        nonlocal position, view
        delivered = {str(item.sku): seen(item) for item in reader.read_items_since(position)}
        outcome = reader.last_read
        assert outcome is not None
        assert outcome.complete == full_due()
        view = delivered if outcome.complete else {**view, **delivered}
        position = outcome.position

    for op in operations:
        if op[0] == "read":
            read_changes()
        else:
            apply(op)
    read_changes()
    return view
