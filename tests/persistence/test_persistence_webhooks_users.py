"""Webhook deliveries are recorded once; dashboard users store only a hash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories import users, webhooks

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
Sessions = sessionmaker[Session]


def test_a_delivery_is_new_once_and_a_redelivery_is_recognised(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        first = webhooks.record_delivery(
            session, store="main", delivery_id="d-1", topic="order.updated", resource_id=7, now=T0
        )
    with migrated_session_factory.begin() as session:
        again = webhooks.record_delivery(
            session, store="main", delivery_id="d-1", topic="order.updated", resource_id=7
        )
        elsewhere = webhooks.record_delivery(
            session, store="outlet", delivery_id="d-1", topic="order.updated"
        )
    assert (first, again, elsewhere) == (True, False, True)
    with migrated_session_factory() as session:
        delivery = webhooks.get_delivery(session, store="main", delivery_id="d-1")
        assert delivery is not None
        assert (delivery.topic, delivery.resource_id, delivery.received_at) == (
            "order.updated", 7, T0,
        )  # fmt: skip


def test_racing_redeliveries_are_new_for_exactly_one_receiver(
    migrated_session_factory: Sessions,
) -> None:
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def receive() -> None:
        barrier.wait()
        with migrated_session_factory.begin() as session:
            results.append(
                webhooks.record_delivery(
                    session, store="main", delivery_id="race", topic="order.created"
                )
            )

    threads = [threading.Thread(target=receive) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_a_processed_delivery_keeps_its_outcome(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        webhooks.record_delivery(session, store="main", delivery_id="d-2", topic="order.created")
        assert webhooks.mark_processed(
            session, store="main", delivery_id="d-2", outcome="ok", now=T0
        )
        assert not webhooks.mark_processed(
            session, store="main", delivery_id="unknown", outcome="ok"
        )
    with migrated_session_factory() as session:
        delivery = webhooks.get_delivery(session, store="main", delivery_id="d-2")
        assert delivery is not None and (delivery.outcome, delivery.processed_at) == ("ok", T0)


def test_users_are_stored_with_their_hash_and_found_by_name(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        assert users.count_users(session) == 0
        users.add_user(session, username=" admin ", password_hash="$argon2id$v=19$abc", now=T0)
    with migrated_session_factory.begin() as session:
        user = users.get_user(session, username="admin")
        assert user is not None
        assert (user.password_hash, user.created_at, user.last_login_at) == (
            "$argon2id$v=19$abc", T0, None,
        )  # fmt: skip
        assert users.record_login(session, username="admin", now=T0)
        assert users.set_password_hash(session, username="admin", password_hash="$argon2id$new")
        assert not users.record_login(session, username="nobody")
    with migrated_session_factory() as session:
        user = users.get_user(session, username="admin")
        assert user is not None
        assert (user.password_hash, user.last_login_at) == ("$argon2id$new", T0)
        assert users.count_users(session) == 1


def test_a_taken_username_is_refused(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory.begin() as session:
        users.add_user(session, username="admin", password_hash="h")
        with pytest.raises(users.UserExists, match="already exists"):
            users.add_user(session, username="admin ", password_hash="h2")
        with pytest.raises(ValueError, match="must not be empty"):
            users.add_user(session, username="  ", password_hash="h3")
