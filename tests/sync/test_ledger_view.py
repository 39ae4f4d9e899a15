"""The read-only ledger view: allocated units per SKU, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.sync.ledger_rows import T0, add_order, add_snapshot

from storebridge.connectors.settings import DemoPosSettings
from storebridge.persistence.tables import Export
from storebridge.settings import StoreSettings
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.woocommerce import WooConnection

SETTINGS = StoreSettings(
    woocommerce=WooConnection(
        url="https://shop.test", consumer_key=SecretStr("ck"), consumer_secret=SecretStr("cs")
    ),
    connector=DemoPosSettings(),
)


def test_open_orders_allocate_and_closed_ones_do_not(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        add_order(session, 1, "processing", {"a": 2, "b": 1})
        add_order(session, 2, "on-hold", {"a": 1})
        add_order(session, 3, "cancelled", {"a": 5})
        add_order(session, 4, "pending", {"c": 4}, store="other")

    with migrated_session_factory() as session:
        assert allocated_for_store(session, "main", SETTINGS) == {"a": 3, "b": 1}


def test_an_exported_order_stays_allocated_until_a_read_after_the_pos_applied_it(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    applied = T0 + timedelta(seconds=30)
    with migrated_session_factory.begin() as session:
        add_order(session, 1, "completed", {"a": 2}, exported_at=T0)
        add_snapshot(session, T0 - timedelta(minutes=5))

    with migrated_session_factory() as session:
        assert allocated_for_store(session, "main", SETTINGS) == {"a": 2}
        # Written but not applied (still in the ERP's inbox): a later read changes nothing.
        later = T0 + timedelta(minutes=1)
        assert allocated_for_store(session, "main", SETTINGS, reading_since=later) == {"a": 2}

    with migrated_session_factory.begin() as session:
        export = session.scalars(select(Export)).one()
        export.applied_at = applied
    with migrated_session_factory() as session:
        # A read that started before the POS applied it predates the booking.
        before = applied - timedelta(seconds=1)
        assert allocated_for_store(session, "main", SETTINGS, reading_since=before) == {"a": 2}
        after = applied + timedelta(seconds=1)
        assert allocated_for_store(session, "main", SETTINGS, reading_since=after) == {}

    with migrated_session_factory.begin() as session:
        add_snapshot(session, T0 + timedelta(minutes=1))
    with migrated_session_factory() as session:
        assert allocated_for_store(session, "main", SETTINGS) == {}


def test_a_released_export_no_longer_allocates(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    with migrated_session_factory.begin() as session:
        add_order(session, 1, "completed", {"a": 2}, exported_at=T0, released_at=T0)
        add_order(session, 2, "completed", {"a": 1})

    with migrated_session_factory() as session:
        assert allocated_for_store(session, "main", SETTINGS) == {"a": 1}


def test_configured_statuses_decide_what_allocates(
    migrated_session_factory: sessionmaker[Session],
) -> None:
    settings = SETTINGS.model_copy(
        update={"allocating_statuses": ("processing",), "export_statuses": ("shipped",)}
    )
    with migrated_session_factory.begin() as session:
        add_order(session, 1, "pending", {"a": 1})
        add_order(session, 2, "processing", {"a": 2})
        add_order(session, 3, "shipped", {"a": 4})
        add_order(session, 4, "completed", {"a": 8})

    with migrated_session_factory() as session:
        assert allocated_for_store(session, "main", settings) == {"a": 6}
