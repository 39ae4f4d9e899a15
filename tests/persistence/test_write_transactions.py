"""Write transactions take the write lock up front; reads never wait; a busy writer retries.

On SQLite a deferred transaction that reads, then writes after another
connection committed, fails at once with "database is locked" (its snapshot is
stale, and the busy timeout does not apply).  `Sessions.begin` begins
IMMEDIATE instead; on PostgreSQL the same code begins normally.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence import contention, db
from storebridge.persistence.contention import BusyRetry, is_busy, retry_when_busy
from storebridge.persistence.db import create_engine_for, session_factory
from storebridge.persistence.repositories import runs
from storebridge.persistence.tables import Run


def _count_runs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Run)) or 0


def test_a_write_transaction_that_reads_first_survives_a_commit_made_meanwhile(
    migrated_engine: Engine,
) -> None:
    ours, theirs = session_factory(migrated_engine), session_factory(migrated_engine)
    other = _OtherWriter(theirs)
    with ours.begin() as session:
        seen = _count_runs(session)
        # A job commits between our read and our write (on SQLite it now waits for us).
        other.start_and_give_it_time()
        runs.start_run(session, store="main", job="products")
    other.join()

    with ours() as session:
        assert _count_runs(session) == seen + 2


class _OtherWriter:
    """Commit one run row from another thread, on another pooled connection."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.error: BaseException | None = None
        self._sessions = sessions
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with self._sessions.begin() as session:
                runs.start_run(session, store="main", job="orders")
        except BaseException as error:  # noqa: BLE001 (reported by join)
            self.error = error

    def start_and_give_it_time(self) -> None:
        self._thread.start()
        self._thread.join(timeout=0.5)  # long enough to commit unless it waits for a lock

    def join(self) -> None:
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()
        assert self.error is None, self.error


@pytest.fixture
def sqlite_file(tmp_path: Path, _sqlite_template: Path) -> Path:
    target = tmp_path / "busy.sqlite3"
    target.write_bytes(_sqlite_template.read_bytes())
    return target


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Busy timeout of 20 ms, so that a writer meets the lock quickly."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)


@pytest.fixture
def lock_holder(sqlite_file: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock until the test commits it."""
    holder = sqlite3.connect(sqlite_file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.close()


def test_a_read_session_never_waits_for_a_writer(
    sqlite_file: Path, short_busy_timeout: None, lock_holder: sqlite3.Connection
) -> None:
    engine = create_engine_for(f"sqlite:///{sqlite_file}")
    try:
        with session_factory(engine)() as session:
            assert _count_runs(session) == 0
    finally:
        engine.dispose()


def test_a_writer_retries_until_the_lock_holder_commits(
    sqlite_file: Path,
    short_busy_timeout: None,
    lock_holder: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    def pause_and_let_the_holder_finish(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            lock_holder.execute("COMMIT")

    monkeypatch.setattr(contention.time, "sleep", pause_and_let_the_holder_finish)
    engine = create_engine_for(f"sqlite:///{sqlite_file}")
    try:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            runs.start_run(session, store="main", job="products")
        with sessions() as session:
            assert _count_runs(session) == 1
    finally:
        engine.dispose()
    assert len(pauses) == 2


def test_a_writer_gives_up_after_a_bounded_number_of_attempts(
    sqlite_file: Path,
    short_busy_timeout: None,
    lock_holder: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(contention.time, "sleep", pauses.append)
    engine = create_engine_for(f"sqlite:///{sqlite_file}")
    try:
        with (
            pytest.raises(OperationalError, match="database is locked"),
            session_factory(engine).begin() as session,
        ):
            runs.start_run(session, store="main", job="products")
    finally:
        engine.dispose()
    assert len(pauses) == contention.DEFAULT_BUSY_RETRY.attempts - 1


def test_retry_pauses_grow_with_jitter_and_stay_under_the_cap() -> None:
    policy = BusyRetry(attempts=8, base=0.1, cap=1.0)
    rng = random.Random(7)
    delays = [policy.delay(attempt, rng) for attempt in range(1, 8)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(1.0, 0.1 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def test_only_a_busy_database_is_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: runs"))

    with pytest.raises(OperationalError, match="no such table"):
        retry_when_busy(broken, sleep=lambda _: None)
    assert calls == [1]
    assert is_busy(_locked())
    assert not is_busy(ValueError("database is locked"))


def test_a_busy_action_succeeds_on_a_later_attempt() -> None:
    outcomes: list[OperationalError | None] = [_locked(), _locked(), None]

    def action() -> str:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return "began"

    assert retry_when_busy(action, sleep=lambda _: None) == "began"
    assert outcomes == []
