"""The per-store job locks every writer shares, and waiting for one from async code.

Two locks per store (`persistence.repositories.locks.job_lock`: separate
processes on one database exclude each other too, and a dead process never
blocks the next run):

* ``catalog`` — every job that writes products or stock to WooCommerce: the
  products run, the orders/allocation cycle, reconcile, and the stock push a
  webhook triggers.  One at a time, so no push computed from an older ledger
  lands after a newer one.
* ``export`` — the order export, which only writes to the POS/ERP.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories.locks import job_lock

__all__ = ["CATALOG_LOCK", "EXPORT_LOCK", "unique_holder", "waiting_for_lock"]

CATALOG_LOCK = "catalog"
EXPORT_LOCK = "export"


def unique_holder(role: str) -> str:
    """A holder name no other process or task shares (a holder may re-enter its own lock)."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def waiting_for_lock(
    sessions: sessionmaker[Session],
    *,
    store: str,
    job: str,
    holder: str,
    wait: timedelta,
    poll: timedelta = timedelta(milliseconds=500),
) -> AsyncIterator[bool]:
    """Take the lock, waiting up to `wait` for its holder to finish; yields whether it was taken.

    Each attempt is `job_lock` (released on exit only if taken); waiting
    between attempts does not block the event loop.
    """
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        with job_lock(sessions, store=store, job=job, holder=holder) as acquired:
            if acquired or time.monotonic() >= deadline:
                yield acquired
                return
        await asyncio.sleep(poll.total_seconds())
