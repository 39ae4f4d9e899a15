"""Job locks: one holder at a time, expiry, renewal, release, and a race with one winner."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories import locks

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)
Sessions = sessionmaker[Session]


def acquire(sessions: Sessions, holder: str, now: datetime, job: str = "products") -> bool:
    with sessions.begin() as session:
        return locks.try_acquire(session, store="main", job=job, holder=holder, ttl=TTL, now=now)


def test_a_held_lock_refuses_a_second_holder(migrated_session_factory: Sessions) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    assert not acquire(migrated_session_factory, "worker-b", T0 + timedelta(minutes=9))
    with migrated_session_factory() as session:
        holder = locks.current_holder(session, store="main", job="products", now=T0)
        assert holder == "worker-a"


def test_locks_are_per_store_and_job(migrated_session_factory: Sessions) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    assert acquire(migrated_session_factory, "worker-b", T0, job="orders")
    with migrated_session_factory.begin() as session:
        assert locks.try_acquire(
            session, store="outlet", job="products", holder="worker-b", ttl=TTL, now=T0
        )


def test_an_expired_lock_can_be_taken_over(migrated_session_factory: Sessions) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    assert acquire(migrated_session_factory, "worker-b", T0 + TTL)
    with migrated_session_factory() as session:
        assert locks.current_holder(session, store="main", job="products", now=T0 + TTL) == (
            "worker-b"
        )
        assert locks.current_holder(session, store="main", job="products", now=T0 + 3 * TTL) is None


def test_the_holder_can_renew_but_not_after_losing_the_lock(
    migrated_session_factory: Sessions,
) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    with migrated_session_factory.begin() as session:
        assert locks.renew(
            session, store="main", job="products", holder="worker-a", ttl=TTL,
            now=T0 + timedelta(minutes=9),
        )  # fmt: skip
    assert not acquire(migrated_session_factory, "worker-b", T0 + timedelta(minutes=15))
    assert acquire(migrated_session_factory, "worker-b", T0 + timedelta(minutes=19))
    with migrated_session_factory.begin() as session:
        assert not locks.renew(
            session, store="main", job="products", holder="worker-a", ttl=TTL,
            now=T0 + timedelta(minutes=20),
        )  # fmt: skip


def test_acquiring_again_as_the_same_holder_extends_the_lock(
    migrated_session_factory: Sessions,
) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    assert acquire(migrated_session_factory, "worker-a", T0 + timedelta(minutes=5))
    assert not acquire(migrated_session_factory, "worker-b", T0 + timedelta(minutes=12))


def test_only_the_holder_can_release(migrated_session_factory: Sessions) -> None:
    assert acquire(migrated_session_factory, "worker-a", T0)
    with migrated_session_factory.begin() as session:
        assert not locks.release(session, store="main", job="products", holder="worker-b")
    assert not acquire(migrated_session_factory, "worker-b", T0)
    with migrated_session_factory.begin() as session:
        assert locks.release(session, store="main", job="products", holder="worker-a")
    assert acquire(migrated_session_factory, "worker-b", T0)


def test_a_non_positive_ttl_is_refused(migrated_session_factory: Sessions) -> None:
    with migrated_session_factory() as session, pytest.raises(ValueError, match="positive"):
        locks.try_acquire(
            session, store="main", job="products", holder="a", ttl=timedelta(0), now=T0
        )


@pytest.mark.parametrize("expired_lock_exists", [False, True])
def test_of_many_racing_contenders_exactly_one_gets_the_lock(
    migrated_session_factory: Sessions, expired_lock_exists: bool
) -> None:
    if expired_lock_exists:
        assert acquire(migrated_session_factory, "crashed-worker", T0 - 2 * TTL)
    contenders = 6
    barrier = threading.Barrier(contenders)
    winners: list[str] = []
    errors: list[Exception] = []

    def contend(name: str) -> None:
        try:
            barrier.wait()
            if acquire(migrated_session_factory, name, T0):
                winners.append(name)
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"w{n}",)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(winners) == 1
    with migrated_session_factory() as session:
        assert locks.current_holder(session, store="main", job="products", now=T0) == winners[0]


def test_job_lock_holds_the_lock_for_the_block_and_releases_it(
    migrated_session_factory: Sessions,
) -> None:
    def clock() -> datetime:
        return T0

    with locks.job_lock(
        migrated_session_factory, store="main", job="export", holder="a", ttl=TTL, clock=clock
    ) as acquired:
        assert acquired
        with locks.job_lock(
            migrated_session_factory, store="main", job="export", holder="b", ttl=TTL, clock=clock
        ) as second:
            assert not second
        with migrated_session_factory() as session:
            assert locks.current_holder(session, store="main", job="export", now=T0) == "a"
    with migrated_session_factory() as session:
        assert locks.current_holder(session, store="main", job="export", now=T0) is None
