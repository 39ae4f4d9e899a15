"""Cursors: where each incremental read of a store stopped.

A cursor is a text value (e.g. an ISO-8601 ``modified_after`` bound) plus the
ids already processed at exactly that value, so a read that restarts at the
same value (closed start) can skip them.  What a cursor means and how it
advances is decided by the domain (`domain.cursor`); this module only stores
it.  Save it in the same transaction as the data it covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storebridge.persistence.repositories._sql import insert_for, now_or
from storebridge.persistence.tables import Cursor

__all__ = ["CursorState", "advance_cursor", "get_cursor", "start_cursor"]


@dataclass(frozen=True, slots=True)
class CursorState:
    """A stored cursor: its value and the ids already seen at that value."""

    value: str | None
    boundary_ids: tuple[int, ...] = ()


def get_cursor(session: Session, *, store: str, stream: str) -> CursorState | None:
    """The cursor of `stream` for `store`; None before the first read."""
    row = session.scalars(
        select(Cursor)
        .where(Cursor.store == store, Cursor.stream == stream)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return None
    return CursorState(row.value, tuple(row.boundary_ids))


def advance_cursor(
    session: Session,
    *,
    store: str,
    stream: str,
    value: str | None,
    boundary_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> CursorState:
    """Store `value` and `boundary_ids` as the new position of `stream`."""
    at = now_or(now)
    ids = sorted(set(boundary_ids))
    changes = {"value": value, "boundary_ids": ids, "updated_at": at}
    session.execute(
        insert_for(session, Cursor)
        .values(store=store, stream=stream, **changes)
        .on_conflict_do_update(index_elements=["store", "stream"], set_=changes),
    )
    return CursorState(value, tuple(ids))


def start_cursor(
    session: Session,
    *,
    store: str,
    stream: str,
    value: str,
    now: datetime | None = None,
) -> CursorState:
    """Store `value` as the position of `stream` unless it has one; the position it keeps.

    For a value set once and never moved (e.g. a go-live moment): of two
    concurrent first writers, the one that commits first wins.
    """
    session.execute(
        insert_for(session, Cursor)
        .values(store=store, stream=stream, value=value, boundary_ids=[], updated_at=now_or(now))
        .on_conflict_do_nothing(index_elements=["store", "stream"]),
    )
    state = get_cursor(session, store=store, stream=stream)
    assert state is not None, "the cursor row was just inserted or already there"
    return state
