"""Quarantined POS rows: recorded once per fingerprint, refreshed, resolved when fixed.

A row's fingerprint is its source plus its SKU (normalised), or its source
plus its line number when the row has no usable SKU, so the same bad row seen
on every run stays one entry whose `last_seen` moves.  An entry is resolved
when the row later validates (`resolve`) or no longer appears in a full read
of its source (`resolve_absent`); seeing it bad again reopens it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storebridge.domain.model import Quarantined, sku_key
from storebridge.persistence.repositories._sql import insert_for, now_or, rowcount
from storebridge.persistence.tables import QuarantineRow

__all__ = ["count_open", "fingerprint", "list_open", "record", "resolve", "resolve_absent"]

_CHUNK = 500


def fingerprint(*, source: str, sku: str | None = None, line: int | None = None) -> str:
    """The identity of a quarantined row: source + SKU, else source + line."""
    if sku is not None and sku.strip():
        identity = f"{source}\x00sku\x00{sku_key(sku)}"
    elif line is not None:
        identity = f"{source}\x00line\x00{line}"
    else:
        identity = f"{source}\x00row"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def record(
    session: Session, *, store: str, row: Quarantined, now: datetime | None = None
) -> QuarantineRow:
    """Record `row` as quarantined, or refresh (and reopen) the entry already there."""
    at = now_or(now)
    key = fingerprint(source=row.ref.source, sku=row.sku, line=row.ref.line)
    values = {
        "source": row.ref.source,
        "line": row.ref.line,
        "sku": row.sku,
        "raw": row.ref.raw,
        "reason": row.reason,
        "detail": row.detail,
        "last_seen": at,
        "resolved_at": None,
    }
    statement = insert_for(session, QuarantineRow).values(
        store=store, fingerprint=key, first_seen=at, **values
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["store", "fingerprint"], set_=values),
    )
    return session.scalars(
        select(QuarantineRow)
        .where(QuarantineRow.store == store, QuarantineRow.fingerprint == key)
        .execution_options(populate_existing=True)
    ).one()


def resolve(
    session: Session,
    *,
    store: str,
    source: str,
    sku: str | None = None,
    line: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Close the open entry of this row (it validated); False when none was open."""
    key = fingerprint(source=source, sku=sku, line=line)
    return (
        rowcount(
            session,
            update(QuarantineRow)
            .where(
                QuarantineRow.store == store,
                QuarantineRow.fingerprint == key,
                QuarantineRow.resolved_at.is_(None),
            )
            .values(resolved_at=now_or(now)),
        )
        == 1
    )


def resolve_absent(
    session: Session,
    *,
    store: str,
    source: str,
    present: Collection[str],
    now: datetime | None = None,
) -> int:
    """After a full read of `source`, close open entries whose fingerprint was not seen.

    Args:
        present: fingerprints of the rows quarantined during that read.

    Returns:
        How many entries were closed.
    """
    at = now_or(now)
    open_keys = session.scalars(
        select(QuarantineRow.fingerprint).where(
            QuarantineRow.store == store,
            QuarantineRow.source == source,
            QuarantineRow.resolved_at.is_(None),
        )
    ).all()
    gone = sorted(set(open_keys).difference(present))
    closed = 0
    for start in range(0, len(gone), _CHUNK):
        closed += rowcount(
            session,
            update(QuarantineRow)
            .where(
                QuarantineRow.store == store,
                QuarantineRow.fingerprint.in_(gone[start : start + _CHUNK]),
            )
            .values(resolved_at=at),
        )
    return closed


def list_open(
    session: Session, *, store: str | None = None, limit: int = 500
) -> list[QuarantineRow]:
    """Open entries, most recently seen first (all stores when `store` is None)."""
    query = select(QuarantineRow).where(QuarantineRow.resolved_at.is_(None))
    if store is not None:
        query = query.where(QuarantineRow.store == store)
    query = query.order_by(QuarantineRow.last_seen.desc(), QuarantineRow.id.desc()).limit(limit)
    return list(session.scalars(query))


def count_open(session: Session, *, store: str) -> int:
    """How many entries of `store` are open."""
    return (
        session.scalar(
            select(func.count())
            .select_from(QuarantineRow)
            .where(QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None))
        )
        or 0
    )
