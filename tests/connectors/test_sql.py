"""The SQL connector on real PostgreSQL and MariaDB: values, text, errors, exactly-once races.

The conformance and kill -9 suites cover the port's promises; this module
covers what only a SQL database brings: exact decimals and dates through
the drivers, text in any encoding, parameterised statements, clear errors
for a query that fails or lacks a column, and key conflicts read as
"already written".
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from connector_samples import credit, line, order, prepare_sql_pos, sql_settings
from sqlalchemy import create_engine, text

from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.sql.sample import create_schema, mapping, sample_settings, seed
from storebridge.connectors.sql.settings import SqlQueries, SqlSettings
from storebridge.connectors.sql.writer import SqlWriter
from storebridge.domain.selection import Selection
from storebridge.domain.validation import validate_feed
from storebridge.errors import ConfigError, PosRejected, PosUnavailable

SERVERS = [
    pytest.param("postgres_url", marks=pytest.mark.postgres, id="postgres"),
    pytest.param("mariadb_url", marks=pytest.mark.mariadb, id="mariadb"),
]
TEXTS = "Crème brûlée \u2013 Großhändler ☕🧁 Ελληνικά 漢字"


@pytest.fixture(params=SERVERS)
def pos_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The sample POS schema, seeded, in a fresh database on each server."""
    return prepare_sql_pos(request.getfixturevalue(request.param), tmp_path)


@pytest.fixture
def pos(pos_url: str, tmp_path: Path) -> Iterator[SqlConnector]:
    connector = SqlConnector(sql_settings(tmp_path))
    yield connector
    connector.close()


def execute(url: str, sql: str, **params: Any) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def by_sku(connector: SqlConnector) -> dict[str, Any]:
    return {str(item.sku): item for item in connector.read_items()}


def test_numeric_columns_arrive_as_exact_decimals_and_validate_to_the_cent(
    pos_url: str, pos: SqlConnector
) -> None:
    sku = next(s for s, i in by_sku(pos).items() if i.sale_price is None)
    execute(pos_url, "UPDATE variants SET price = :p WHERE sku = :sku", p=Decimal("0.10"), sku=sku)
    execute(pos_url, "UPDATE stock SET qty = :q WHERE sku = :sku", q=Decimal("7.000"), sku=sku)
    item = by_sku(pos)[sku]
    assert item.regular_price == Decimal("0.10")
    assert isinstance(item.regular_price, Decimal)
    assert set(item.on_hand.values()) == {Decimal("7.000")}
    valid = validate_feed(iter([item]), selection=Selection("all", None)).items[0]
    assert valid.regular_price == Decimal("0.10")
    assert set(valid.on_hand.values()) == {7}
    assert pos.float_columns == frozenset()


def test_sale_dates_arrive_as_iso_days_and_validate_to_the_same_days(
    pos_url: str, pos: SqlConnector
) -> None:
    sku = next(s for s, i in by_sku(pos).items() if i.parent_code is None)
    execute(
        pos_url,
        "UPDATE items SET sale_price = 1.00, sale_from = '2025-03-10', sale_to = '2025-03-20' "
        "WHERE item_no = :sku",
        sku=sku,
    )
    item = by_sku(pos)[sku]
    assert (item.sale_from, item.sale_to) == ("2025-03-10", "2025-03-20")
    valid = validate_feed(iter([item]), selection=Selection("all", None)).items[0]
    assert (
        valid.sale_from is not None and valid.sale_from.isoformat() == "2025-03-10T00:00:00+00:00"
    )
    assert valid.sale_to is not None and valid.sale_to.isoformat() == "2025-03-20T23:59:59+00:00"


def test_non_ascii_names_and_emoji_arrive_intact(pos_url: str, pos: SqlConnector) -> None:
    sku = next(s for s, i in by_sku(pos).items() if i.parent_code is None)
    execute(pos_url, "UPDATE items SET name = :name WHERE item_no = :sku", name=TEXTS, sku=sku)
    assert by_sku(pos)[sku].name == TEXTS


@pytest.mark.mariadb
def test_a_latin1_mariadb_table_arrives_intact(mariadb_url: str) -> None:
    execute(
        mariadb_url,
        "CREATE TABLE legacy_items (code VARCHAR(20), descr VARCHAR(100), price DECIMAL(9,2))"
        " CHARACTER SET latin1",
    )
    execute(
        mariadb_url, "CREATE TABLE legacy_stock (code VARCHAR(20), qty INT) CHARACTER SET latin1"
    )
    name = (
        "Crème brûlée \u2013 Großhändler €"  # every character exists in MariaDB's latin1 (cp1252)
    )
    execute(mariadb_url, "INSERT INTO legacy_items VALUES ('LAT-1', :n, 4.50)", n=name)
    execute(mariadb_url, "INSERT INTO legacy_stock VALUES ('LAT-1', 3)")
    settings = SqlSettings.model_validate(
        {
            "url": mariadb_url,
            "queries": {
                "items": "SELECT code AS sku, descr AS name, price AS price FROM legacy_items",
                "on_hand": "SELECT code AS sku, 'shop' AS location, qty AS on_hand "
                "FROM legacy_stock",
            },
        }
    )
    with _connector(settings) as connector:
        [item] = list(connector.read_items())
    assert (item.name, item.regular_price, dict(item.on_hand)) == (
        name,
        Decimal("4.50"),
        {"shop": 3},
    )


def test_float_columns_are_read_through_their_shortest_decimal_and_reported(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'pos.db'}"
    execute(url, "CREATE TABLE items (sku TEXT, name TEXT, price REAL, qty REAL)")
    execute(url, "INSERT INTO items VALUES ('F-1', 'Float', 19.99, 3.0), ('F-2', 'Sum', :p, 1)",
            p=0.1 + 0.2)  # fmt: skip
    settings = SqlSettings.model_validate(
        {
            "url": url,
            "queries": {
                "items": "SELECT sku, name, price FROM items",
                "on_hand": "SELECT sku, 'shop' AS location, qty AS on_hand FROM items",
            },
        }
    )
    with _connector(settings) as connector:
        items = {str(i.sku): i for i in connector.read_items()}
        assert items["F-1"].regular_price == Decimal("19.99")
        assert items["F-1"].on_hand == {"shop": Decimal("3.0")}
        # The float's own digits, not a silently rounded price: validation refuses sub-cents.
        assert items["F-2"].regular_price == Decimal("0.30000000000000004")
        assert connector.float_columns == {"price", "on_hand"}


def _connector(settings: SqlSettings) -> Any:
    from contextlib import closing

    return closing(SqlConnector(settings))


# -- clear configuration errors ---------------------------------------------------------------


def _with_queries(tmp_path: Path, **queries: str) -> SqlSettings:
    base = mapping()["queries"]
    return sql_settings(tmp_path, queries={**base, **queries})


def test_an_items_query_without_a_required_column_is_a_config_error_naming_both(
    pos_url: str, tmp_path: Path
) -> None:
    items = "SELECT v.sku AS sku, v.sku AS name, v.updated_at AS cursor_value FROM variants v"
    with (
        _connector(_with_queries(tmp_path, items=items)) as connector,
        pytest.raises(ConfigError, match=r"queries\.items returns no column 'price'"),
    ):
        list(connector.read_items())


def test_an_on_hand_query_without_location_is_a_config_error(pos_url: str, tmp_path: Path) -> None:
    on_hand = "SELECT sku AS sku, qty AS on_hand, updated_at AS cursor_value FROM stock"
    with (
        _connector(_with_queries(tmp_path, on_hand=on_hand)) as connector,
        pytest.raises(ConfigError, match=r"queries\.on_hand returns no column 'location'"),
    ):
        list(connector.read_items())


def test_a_misspelt_column_is_refused_instead_of_ignored(pos_url: str, tmp_path: Path) -> None:
    items = (
        "SELECT v.sku AS sku, v.sku AS name, v.price AS price, v.price AS sale_prce, "
        "v.colour AS colour, v.size AS size, v.updated_at AS cursor_value FROM variants v"
    )
    with (
        _connector(_with_queries(tmp_path, items=items)) as connector,
        pytest.raises(
            ConfigError, match=r"queries\.items returns column 'sale_prce', which is no feed field"
        ),
    ):
        list(connector.read_items())


def test_a_query_that_fails_is_a_config_error_naming_the_query(
    pos_url: str, tmp_path: Path
) -> None:
    broken = "SELECT sku, location, qty AS on_hand FROM no_such_table"
    with (
        _connector(_with_queries(tmp_path, on_hand=broken)) as connector,
        pytest.raises(
            ConfigError, match=r"queries\.on_hand failed in the POS database: .*no_such_table"
        ),
    ):
        list(connector.read_items())


def test_an_unreachable_server_is_a_retry_later_that_never_shows_the_password(
    tmp_path: Path,
) -> None:
    settings = SqlSettings.model_validate(
        {
            "url": "postgresql+psycopg://pos:hunter2-secret@127.0.0.1:1/pos",
            "queries": mapping()["queries"],
        }
    )
    with _connector(settings) as connector, pytest.raises(PosUnavailable) as caught:
        list(connector.read_items())
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(settings)


def test_values_are_bound_never_spliced_into_the_sql(pos_url: str, pos: SqlConnector) -> None:
    hostile = "X'); DROP TABLE items; --"
    assert pos.known_skus([hostile]) == set()
    ref = pos.upsert_customer(
        order(1, buyer=None).customer.__class__(
            email=f"o'brien+{hostile}@example.com",
            first_name="Seán",
            last_name="O'Brien",
            billing=order(1).customer.billing,
            shipping=order(1).customer.shipping,
        )
    )
    assert ref.startswith("WEBC-")
    assert by_sku(pos)  # the items table is still there


# -- key conflicts --------------------------------------------------------------------------------


def test_a_key_conflict_with_a_concurrent_writer_reads_as_already_written(
    pos: SqlConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku = next(str(r.sku) for r in pos.read_items() if r.on_hand and r.parent_code is None)
    document = order(1001, (line(sku, 1),))
    first = pos.write_order(document)
    # Another writer's row was not visible at our look-up: the INSERT hits the UNIQUE key.
    real_lookup = SqlWriter._lookup
    calls: list[int] = []

    def lookup_missing_once(self: SqlWriter, conn: Any, key: str) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real_lookup(self, conn, key)

    monkeypatch.setattr(SqlWriter, "_lookup", lookup_missing_once)
    again = pos.write_order(document)
    assert len(calls) == 2
    assert again.already_existed and again.pos_ref == first.pos_ref
    with pos.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM sb_documents")).scalar_one() == 1


def test_a_known_pos_customer_is_booked_on_its_own_customer_number(pos: SqlConnector) -> None:
    receipt = pos.write_order(order(7001, buyer=order(1).customer.__class__(
        email="regular@example.com", first_name="Rita", last_name="Regular",
        billing=order(1).customer.billing, shipping=order(1).customer.shipping,
    )))  # fmt: skip
    assert receipt.customer_ref == "C1"  # the sample's find_customer: POS customer 1


def test_the_mapping_in_the_operations_guide_reads_the_sample_pos_like_the_shipped_one(
    pos_url: str, pos: SqlConnector
) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Connect a SQL-based POS") :]
    block = section[section.index("```toml") + len("```toml") : section.index("```\n\n")]
    table = tomllib.loads(block)["stores"]["main"]["connector"]
    del table["url_file"]
    documented = SqlConnector(SqlSettings.model_validate({**table, "url": pos_url}))
    try:
        assert list(documented.read_items()) == list(pos.read_items())
    finally:
        documented.close()


# -- what lands in the staging tables ---------------------------------------------------------------

IMPORT_INVOICE = (
    "INSERT INTO invoices (invoice_date, total, web_ref) "
    "SELECT document_date, total, :pos_ref FROM sb_documents WHERE id = :document_id"
)


def test_an_order_lands_as_a_header_and_numbered_lines_with_exact_amounts(
    pos: SqlConnector,
) -> None:
    sku = next(str(r.sku) for r in pos.read_items() if r.on_hand and r.parent_code is None)
    document = order(
        1001, (line(sku, 2, "19.99"), line("NOT-IN-POS", 1, "0.10", known=False), line(None, 1))
    )
    receipt = pos.write_order(document)
    with pos.engine.connect() as conn:
        header = conn.execute(text("SELECT id, kind, total, customer_ref FROM sb_documents")).one()
        rows = conn.execute(
            text(
                "SELECT line_no, kind, sku, quantity, unit_price, total FROM sb_document_lines "
                "WHERE document_id = :id ORDER BY line_no"
            ),
            {"id": header.id},
        ).all()
    assert receipt.pos_ref == f"WEB-{header.id}"
    assert (header.kind, header.total, header.customer_ref) == (
        "invoice",
        Decimal("55.03"),
        receipt.customer_ref,
    )
    assert [tuple(r) for r in rows] == [
        (1, "item", sku, 2, Decimal("19.9900"), Decimal("39.98")),
        (2, "non_inventory", "NOT-IN-POS", 1, Decimal("0.1000"), Decimal("0.10")),
        (3, "non_inventory", None, 1, Decimal("10.0000"), Decimal("10.00")),
        (4, "shipping", None, 1, Decimal("4.9500"), Decimal("4.95")),
    ]


def test_after_write_statements_run_in_the_documents_transaction(
    pos_url: str, tmp_path: Path
) -> None:
    settings = sql_settings(tmp_path, staging={"after_write": [IMPORT_INVOICE]})
    with _connector(settings) as connector:
        receipt = connector.write_order(order(1001))
        connector.write_order(order(1001))
        with connector.engine.connect() as conn:
            refs = conn.execute(text("SELECT web_ref FROM invoices")).scalars().all()
    assert refs == [receipt.pos_ref]

    broken = sql_settings(tmp_path, staging={"after_write": ["CALL no_such_procedure(:pos_ref)"]})
    with _connector(broken) as connector:
        with pytest.raises(ConfigError, match=r"staging\.after_write\[1\] failed"):
            connector.write_order(order(1002))
        assert connector.find_document("main:1002") is None  # rolled back with the statement


def test_a_credit_for_an_invoice_the_staging_table_does_not_hold_is_rejected(
    pos: SqlConnector,
) -> None:
    document = order(1001)
    with pytest.raises(PosRejected, match=r"invoice 'WEB-999' is not in sb_documents"):
        pos.write_credit(credit(document, "WEB-999"))
    assert pos.find_document(f"{document.idempotency_key}:credit:1") is None


def test_on_sqlite_the_sample_keeps_money_exact_as_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pos.db'}"
    engine = create_engine(url)
    create_schema(engine)
    seed(engine, n_items=5, n_styles=1)
    engine.dispose()
    with _connector(sample_settings(url)) as connector:
        items = list(connector.read_items())
        assert all(isinstance(i.regular_price, str) and "." in i.regular_price for i in items)
        receipt = connector.write_order(order(1001, (line("X-1", 3, "0.10", known=False),)))
        with connector.engine.connect() as conn:
            stored = conn.execute(text("SELECT total, typeof(total) FROM sb_documents")).one()
        assert tuple(stored) == ("5.25", "text")  # 3 x 0.10 + 4.95 shipping, never 5.250000001
        assert connector.float_columns == frozenset()
        assert connector.find_document("main:1001") == receipt.pos_ref


# -- applied: when the POS booked a written document -------------------------------------------

APPLIED_BY_IMPORT = (
    "SELECT d.idempotency_key, i.invoice_date FROM sb_documents d"
    " JOIN invoices i ON i.web_ref = CONCAT('WEB-', d.id)"
    " WHERE d.idempotency_key IN :keys"
)


def test_without_an_applied_query_a_document_is_applied_as_it_is_written(
    pos: SqlConnector,
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    pos.write_order(order(1101))

    applied = pos.applied(["main:1101", "main:1199"])

    assert set(applied) == {"main:1101"}  # an unwritten key is not applied
    assert before <= applied["main:1101"] <= datetime.now(UTC)
    assert applied["main:1101"].tzinfo is not None


def test_an_applied_query_holds_a_document_until_the_pos_has_booked_it(
    pos_url: str, tmp_path: Path
) -> None:
    settings = _with_queries(tmp_path, applied=APPLIED_BY_IMPORT)
    with _connector(settings) as connector:
        receipt = connector.write_order(order(1102))
        assert connector.applied(["main:1102"]) == {}  # in staging, not imported yet

        booked = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        if pos_url.startswith("mysql"):  # DATETIME: naive, in the mapping's timezone (UTC)
            booked = booked.replace(tzinfo=None)
        execute(
            pos_url,
            "INSERT INTO invoices (invoice_date, total, web_ref) VALUES (:at, 10, :ref)",
            at=booked,
            ref=receipt.pos_ref,
        )

        assert connector.applied(["main:1102"]) == {
            "main:1102": datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        }


def test_an_applied_query_must_bind_the_keys() -> None:
    with pytest.raises(ValueError, match=":keys"):
        SqlQueries(items="SELECT 1", on_hand="SELECT 1", applied="SELECT idempotency_key, now()")
