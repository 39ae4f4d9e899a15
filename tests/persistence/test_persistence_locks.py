"""Job locks: one holder at a time, re-entry, and a lock that dies with its holder's process.

Every test runs on SQLite (a file lock next to the database) and PostgreSQL
(an advisory lock on the holder's own connection).  The cross-process tests
start a real child process holding the lock and kill it with SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence import holder_locks
from storebridge.persistence.db import create_engine_for, session_factory, upgrade
from storebridge.persistence.repositories import locks

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
Sessions = sessionmaker[Session]

# Holds the lock (as holder "child") until killed; says "held" or "refused" first.
CHILD = """
import sys, time
from storebridge.persistence.db import create_engine_for, session_factory, upgrade
from storebridge.persistence.repositories.locks import job_lock
sessions = session_factory(create_engine_for(sys.argv[1]))
with job_lock(sessions, store="main", job="catalog", holder="child") as held:
    print("held" if held else "refused", flush=True)
    time.sleep(600)
"""


def clock() -> datetime:
    return T0


def takes(sessions: Sessions, holder: str, store: str = "main", job: str = "catalog") -> bool:
    """Whether `holder` can take the lock now (letting it go at once)."""
    with locks.job_lock(sessions, store=store, job=job, holder=holder, clock=clock) as taken:
        return taken


def holder_of(sessions: Sessions, job: str = "catalog") -> str | None:
    with sessions() as session:
        return locks.current_holder(session, store="main", job=job)


def test_a_held_lock_refuses_a_second_holder_and_names_the_first(
    migrated_session_factory: Sessions,
) -> None:
    with locks.job_lock(
        migrated_session_factory, store="main", job="catalog", holder="a", clock=clock
    ) as first:
        assert first
        assert not takes(migrated_session_factory, "b")
        assert holder_of(migrated_session_factory) == "a"
    assert holder_of(migrated_session_factory) is None
    assert takes(migrated_session_factory, "b")


def test_locks_are_per_store_and_job(migrated_session_factory: Sessions) -> None:
    with locks.job_lock(migrated_session_factory, store="main", job="catalog", holder="a"):
        assert takes(migrated_session_factory, "b", job="export")
        assert takes(migrated_session_factory, "b", store="outlet")
        assert not takes(migrated_session_factory, "b")


def test_the_holder_re_enters_its_lock_which_lasts_until_its_outer_block_ends(
    migrated_session_factory: Sessions,
) -> None:
    sessions = migrated_session_factory
    with locks.job_lock(sessions, store="main", job="catalog", holder="a") as outer:
        assert outer
        with locks.job_lock(sessions, store="main", job="catalog", holder="a") as inner:
            assert inner
        assert not takes(sessions, "b")
        assert holder_of(sessions) == "a"
    assert takes(sessions, "b")


def test_a_row_left_by_a_dead_holder_neither_blocks_nor_survives_the_next_one(
    migrated_session_factory: Sessions,
) -> None:
    with migrated_session_factory.begin() as session:
        locks.record_holder(session, store="main", job="catalog", holder="dead:1", now=T0)

    with locks.job_lock(migrated_session_factory, store="main", job="catalog", holder="a") as ok:
        assert ok
        assert holder_of(migrated_session_factory) == "a"


def test_of_many_racing_threads_exactly_one_gets_the_lock(
    migrated_session_factory: Sessions,
) -> None:
    contenders = 6
    start = threading.Barrier(contenders)
    tried = threading.Barrier(contenders)  # the winner holds the lock until all have tried
    winners: list[str] = []
    errors: list[Exception] = []

    def contend(name: str) -> None:
        try:
            start.wait()
            with locks.job_lock(
                migrated_session_factory, store="main", job="catalog", holder=name
            ) as taken:
                if taken:
                    winners.append(name)
                tried.wait(30)
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"w{n}",)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(winners) == 1


@pytest.fixture
def child_holder(migrated_db_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the ``catalog`` lock of store main."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, migrated_db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        said = child.stdout.readline().strip()
        assert said == "held", said + (child.stderr.read() if child.stderr else "")
        yield child
    finally:
        child.kill()
        child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def test_a_lock_held_by_another_process_excludes_until_that_process_is_killed(
    migrated_session_factory: Sessions, child_holder: subprocess.Popen[str], db_backend: str
) -> None:
    assert not takes(migrated_session_factory, "parent")
    assert holder_of(migrated_session_factory) == "child"

    child_holder.send_signal(signal.SIGKILL)
    assert child_holder.wait() == -signal.SIGKILL

    if db_backend == "sqlite":
        # The kernel drops a dead process's flocks before its parent can see it dead.
        assert takes(migrated_session_factory, "parent")
    else:
        # The server ends the session as soon as it reads the closed socket.
        assert _eventually(lambda: takes(migrated_session_factory, "parent"))
    assert holder_of(migrated_session_factory) is None


def test_a_released_lock_leaves_nothing_held_on_the_server_or_in_the_file(
    migrated_session_factory: Sessions, migrated_db_url: str, db_backend: str
) -> None:
    with locks.job_lock(migrated_session_factory, store="main", job="catalog", holder="a"):
        if db_backend == "postgres":
            assert _advisory_locks(migrated_session_factory) == 1
    if db_backend == "postgres":
        assert _advisory_locks(migrated_session_factory) == 0  # unlocked, not left in the pool
    # A brand-new process takes it at once: nothing of the released lock stayed behind.
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, migrated_db_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_a_lock_whose_connection_broke_is_let_go_without_error(
    migrated_session_factory: Sessions, db_backend: str
) -> None:
    if db_backend != "postgres":
        pytest.skip("only a PostgreSQL lock lives on a connection")
    with locks.job_lock(migrated_session_factory, store="main", job="catalog", holder="a") as held:
        assert held
        with migrated_session_factory() as session:  # the server ends the lock's session
            session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
    assert _advisory_locks(migrated_session_factory) == 0
    assert takes(migrated_session_factory, "b")


def test_the_sqlite_lock_is_a_file_next_to_the_database(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite3"
    assert holder_locks.lock_file(database, "main", "catalog") == (
        tmp_path / "state.sqlite3.main.catalog.lock"
    )
    with pytest.raises(ValueError, match="letters, digits"):
        holder_locks.lock_file(database, "../etc", "catalog")


def test_an_in_memory_database_is_locked_within_its_process() -> None:
    engine = create_engine_for("sqlite://")
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        with locks.job_lock(sessions, store="main", job="catalog", holder="a") as first:
            assert first
            assert not takes(sessions, "b")
        assert takes(sessions, "b")
        other = create_engine_for("sqlite://")  # another in-memory database: its own locks
        try:
            upgrade(other)
            with locks.job_lock(sessions, store="main", job="catalog", holder="a"):
                assert takes(session_factory(other), "b")
        finally:
            other.dispose()
    finally:
        engine.dispose()


def test_postgres_keys_differ_per_store_and_job() -> None:
    keys = {
        holder_locks.advisory_key(store, job)
        for store in ("main", "outlet")
        for job in ("catalog", "export")
    }
    assert len(keys) == 4
    assert all(-(2**63) <= key < 2**63 for key in keys)


def _advisory_locks(sessions: Sessions) -> int:
    """How many advisory locks the PostgreSQL server holds in this database."""
    with sessions() as session:
        count = session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return int(count or 0)


def _eventually(check: Callable[[], bool], attempts: int = 100) -> bool:
    for _ in range(attempts):
        if check():
            return True
        time.sleep(0.1)
    return False
