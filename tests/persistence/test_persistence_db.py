"""Engines and column types: SQLite pragmas, aware UTC datetimes, transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.db import create_engine_for, normalise_url
from storebridge.persistence.tables import Order, OrderLine, ProductLink

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_sqlite_engine_creates_the_folder_and_enables_wal_foreign_keys_and_busy_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep" / "er" / "state.sqlite3"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert path.exists()
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_database_is_shared_by_every_checkout() -> None:
    engine = create_engine_for("sqlite://")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT x FROM t").scalar() == 1
    finally:
        engine.dispose()


def test_a_driverless_postgresql_url_uses_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.sqlite3").drivername == "sqlite"


def _link(at: datetime) -> ProductLink:
    return ProductLink(
        store="main", sku_key="a", sku="A", woo_id=1, kind="simple", origin="created",
        created_at=at, updated_at=at,
    )  # fmt: skip


def test_datetimes_come_back_aware_in_utc(migrated_session_factory: sessionmaker[Session]) -> None:
    paris = timezone(timedelta(hours=2))
    with migrated_session_factory.begin() as session:
        link = _link(T0)
        link.pushed_at = datetime(2025, 3, 1, 14, 30, tzinfo=paris)
        session.add(link)
    with migrated_session_factory() as session:
        stored = session.scalars(select(ProductLink)).one()
        assert stored.created_at == T0
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.pushed_at == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
        assert stored.pushed_at is not None and stored.pushed_at.utcoffset() == timedelta(0)


def test_datetimes_sort_chronologically_across_offsets(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    east = timezone(timedelta(hours=5))
    with migrated_session_factory.begin() as session:
        early = _link(datetime(2025, 3, 1, 16, 0, tzinfo=east))  # 11:00 UTC
        late = _link(T0)
        late.sku_key = late.sku = "b"
        session.add_all([late, early])
    with migrated_session_factory() as session:
        first = session.scalars(select(ProductLink).order_by(ProductLink.created_at)).first()
        assert first is not None and first.sku_key == "a"


def test_naive_datetimes_are_refused(migrated_session_factory: sessionmaker[Session]) -> None:
    with migrated_session_factory() as session:
        session.add(_link(datetime(2025, 3, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


def test_money_round_trips_as_exact_decimals(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        link = _link(T0)
        link.pushed_regular_price = Decimal("19.99")
        link.pushed_sale_price = Decimal("1234567890.10")
        session.add(link)
    with migrated_session_factory() as session:
        stored = session.scalars(select(ProductLink)).one()
        assert stored.pushed_regular_price == Decimal("19.99")
        assert stored.pushed_sale_price == Decimal("1234567890.10")


def test_a_savepoint_rolls_back_alone(migrated_session_factory: sessionmaker[Session]) -> None:
    with migrated_session_factory.begin() as session:
        session.add(_link(T0))
        session.flush()
        nested = session.begin_nested()
        second = _link(T0)
        second.sku_key = "b"
        session.add(second)
        session.flush()
        nested.rollback()
    with migrated_session_factory() as session:
        assert session.scalars(select(ProductLink.sku_key)).all() == ["a"]


def test_order_lines_are_deleted_with_their_order(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        session.add(
            Order(
                store="main", woo_order_id=7, number="7", status="processing",
                date_created_gmt=T0, date_modified_gmt=T0, customer_email="a@b.c",
                total=Decimal("10.00"), currency="EUR", payload="{}", first_seen=T0,
                updated_at=T0,
            )
        )  # fmt: skip
        session.flush()
        session.add(
            OrderLine(
                store="main", woo_order_id=7, line_id=1, sku_key="a", quantity=2,
                product_id=1, variation_id=0,
            )
        )  # fmt: skip
    with migrated_session_factory.begin() as session:
        session.execute(delete(Order).where(Order.woo_order_id == 7))
    with migrated_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 0


def test_an_order_line_needs_its_order(migrated_engine: Engine) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), migrated_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO order_lines (store, woo_order_id, line_id, quantity, product_id, "
                "variation_id) VALUES ('main', 999, 1, 1, 1, 0)"
            )
        )
