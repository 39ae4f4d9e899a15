"""Recording the quarantine of a POS read, and closing entries whose row is fixed.

Every quarantined row of a run is recorded (or refreshed: same source and SKU,
or same line without SKU, is one entry).  An open entry is resolved:

* in a complete read (a snapshot of the whole catalogue), when the row was not
  quarantined this time: it validated, or it is gone;
* in a partial read (a drop-folder delta), when an item with the same SKU
  validated now, whichever file it came from.

Resolved rows are then synced like any other, since they are in the feed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.domain.model import Quarantined, sku_key
from storebridge.persistence.repositories import quarantine as quarantine_repo
from storebridge.persistence.tables import QuarantineRow

__all__ = ["QuarantineUpdate", "record_quarantine"]


@dataclass(frozen=True, slots=True)
class QuarantineUpdate:
    """What one run changed in the quarantine."""

    recorded: int
    resolved: int


def record_quarantine(
    session: Session,
    *,
    store: str,
    rows: Sequence[Quarantined],
    valid_keys: Collection[str],
    complete: bool,
    now: datetime | None = None,
) -> QuarantineUpdate:
    """Record this read's quarantined `rows` and resolve the entries it fixed.

    Args:
        session: an open session (the caller commits).
        store: the store name.
        rows: the rows quarantined by this read.
        valid_keys: SKU keys of the rows that validated in this read.
        complete: the read covered the whole catalogue.
        now: the time to stamp (aware).
    """
    present: set[str] = set()
    for row in rows:
        quarantine_repo.record(session, store=store, row=row, now=now)
        present.add(
            quarantine_repo.fingerprint(source=row.ref.source, sku=row.sku, line=row.ref.line)
        )
    open_entries = session.execute(
        select(
            QuarantineRow.fingerprint, QuarantineRow.source, QuarantineRow.sku, QuarantineRow.line
        ).where(QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None))
    ).all()
    resolved = 0
    for fingerprint, source, sku, line in open_entries:
        if fingerprint in present:
            continue
        fixed = sku is not None and sku_key(sku) in valid_keys
        if complete or fixed:
            resolved += quarantine_repo.resolve(
                session, store=store, source=source, sku=sku, line=line, now=now
            )
    return QuarantineUpdate(len(rows), resolved)
