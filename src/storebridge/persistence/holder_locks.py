"""Locks that die with their holder: what makes a store's job exclusive.

A lock row with an expiry blocks the job after a crash until it expires.
These locks are released by the operating system or the database server the
moment the holding process is gone, whatever killed it:

* **SQLite file**: an exclusive ``flock`` on a file next to the database, one
  per (store, job).  ``fcntl.flock`` directly rather than the `filelock`
  library: one non-blocking call is all we need, the re-entrancy and
  per-thread bookkeeping `filelock` adds is done here per holder (below), and
  it saves a dependency.  ``flock`` (not ``lockf``) because its lock belongs
  to the open file, so two holders in one process exclude each other too,
  and closing another descriptor of the same file never drops it.  The
  database file must be on a local disk of one machine (as SQLite itself
  requires); lock files are never deleted (deleting one while a process
  waits on it would let two holders in).
* **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a
  64-bit key derived from (store, job), held on a connection dedicated to the
  lock for its lifetime.  The server drops it when that connection ends, so
  a dead process, on any machine, frees it at once.
* **in-memory SQLite** (tests): the database lives and dies with the process,
  so the process-local registry below is the whole lock.

Within a process a registry maps each (database, store, job) to its holder:
the same holder taking a lock it holds re-enters it (released when its last
``release`` runs); another holder is refused without touching the OS.
Nothing here opens a database transaction: the advisory lock is taken on its
own autocommit connection.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = ["Lease", "advisory_key", "lock_file", "try_take"]

logger = logging.getLogger("storebridge.locks")

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _OsLock(Protocol):
    def release(self) -> None: ...


def lock_file(database: Path, store: str, job: str) -> Path:
    """The lock file of (`store`, `job`) next to the SQLite `database`."""
    for name in (store, job):
        if not _SAFE_NAME.match(name):
            raise ValueError(f"lock name part {name!r} must be letters, digits, '_' or '-'")
    return database.with_name(f"{database.name}.{store}.{job}.lock")


def advisory_key(store: str, job: str) -> int:
    """The signed 64-bit PostgreSQL advisory-lock key of (`store`, `job`)."""
    digest = hashlib.blake2b(f"storebridge:{store}:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _FileLock:
    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    @classmethod
    def try_take(cls, path: Path) -> _FileLock | None:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        except BaseException:
            os.close(descriptor)
            raise
        return cls(descriptor)

    def release(self) -> None:
        # Closing the only descriptor of the open file drops its flock.
        os.close(self.descriptor)


class _AdvisoryLock:
    def __init__(self, connection: Connection, key: int) -> None:
        self.connection = connection
        self.key = key

    @classmethod
    def try_take(cls, engine: Engine, key: int) -> _AdvisoryLock | None:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        if not taken:
            connection.close()
            return None
        return cls(connection, key)

    def release(self) -> None:
        try:
            self.connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except DBAPIError:
            # The connection broke: discarding it ends its session, which frees the lock.
            logger.warning("lost the connection holding advisory lock %s; discarded", self.key)
            self.connection.invalidate()
        finally:
            self.connection.close()


class _ProcessOnly:
    """The OS part of a lock on an in-memory database: nothing to take."""

    def release(self) -> None:
        return None


_NO_OS_LOCK = _ProcessOnly()


def _database_of(engine: Engine) -> tuple[str, Path | None]:
    """A process-wide identity of `engine`'s database, and its SQLite file if any."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
            return f"memory:{id(engine)}", None
        assert url.database is not None
        path = Path(url.database).expanduser().resolve()
        return f"sqlite:{path}", path
    if url.get_backend_name() == "postgresql":
        return url.render_as_string(hide_password=True), None
    raise RuntimeError(
        f"StoreBridge storage supports SQLite and PostgreSQL, not {url.get_backend_name()}"
    )


def _take_os_lock(engine: Engine, store: str, job: str, database: Path | None) -> _OsLock | None:
    """The OS or server lock of (`store`, `job`); None when someone else holds it."""
    if engine.url.get_backend_name() == "postgresql":
        return _AdvisoryLock.try_take(engine, advisory_key(store, job))
    if database is not None:
        return _FileLock.try_take(lock_file(database, store, job))
    return _NO_OS_LOCK


@dataclass(slots=True)
class _Entry:
    holder: str
    depth: int
    os_lock: _OsLock | None  # None while the first taker is still asking the OS


_registry: dict[tuple[str, str, str], _Entry] = {}
_registry_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class Lease:
    """A lock taken by `try_take`; `reentered` when its holder already held it."""

    key: tuple[str, str, str]
    reentered: bool

    def release(self) -> None:
        """Give this taking back; the lock itself goes with its holder's last lease."""
        with _registry_guard:
            entry = _registry[self.key]
            entry.depth -= 1
            if entry.depth:
                return
            del _registry[self.key]
        assert entry.os_lock is not None
        entry.os_lock.release()


def try_take(engine: Engine, *, store: str, job: str, holder: str) -> Lease | None:
    """Take the lock of (`store`, `job`) on `engine`'s database for `holder`, without waiting.

    Returns None while another holder, in this process or any other, has it.
    """
    identity, database = _database_of(engine)
    key = (identity, store, job)
    with _registry_guard:
        entry = _registry.get(key)
        if entry is not None:
            if entry.holder != holder or entry.os_lock is None:
                return None
            entry.depth += 1
            return Lease(key, reentered=True)
        entry = _registry[key] = _Entry(holder, 1, None)
    # Asked outside the guard: connecting to PostgreSQL must not stall other threads' locks.
    try:
        os_lock = _take_os_lock(engine, store, job, database)
    except BaseException:
        with _registry_guard:
            del _registry[key]
        raise
    with _registry_guard:
        if os_lock is None:
            del _registry[key]
            return None
        entry.os_lock = os_lock
    return Lease(key, reentered=False)
