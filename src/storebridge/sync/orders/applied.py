"""Which exported orders the POS/ERP has applied: the first half of a release.

An exported order's units stay allocated until the POS on-hand includes the
sale (`domain.allocation.release_due`): the POS/ERP must have *applied* the
document, and a POS read must have started after that.  A file feed's
document sits in the outbox until the ERP imports it, so "written" says
nothing about the on-hand yet.

`note_applied` asks the connector (`PosWriter.applied`) about every exported
order not yet known as applied nor released, and stores the answer in
``exports.applied_at``.  The connector call happens outside any database
transaction; a POS that cannot answer now is asked again next cycle (its
orders simply stay allocated, which errs on the side of not overselling).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from storebridge.bootstrap import Services
from storebridge.errors import ConnectorError
from storebridge.persistence.tables import Export
from storebridge.sync.export.order_mapping import order_key

__all__ = ["note_applied"]

_log = logging.getLogger(__name__)
_EXPORTS = cast(Table, Export.__table__)


async def note_applied(services: Services, store: str) -> dict[int, datetime]:
    """Record which exported, unapplied orders of `store` the POS/ERP has applied.

    Returns the order ids newly known as applied, with their applied time.
    """
    with services.sessions.begin() as session:
        waiting = session.scalars(
            select(Export.woo_order_id).where(
                Export.store == store,
                Export.exported_at.is_not(None),
                Export.applied_at.is_(None),
                Export.released_at.is_(None),
            )
        ).all()
    if not waiting:
        return {}
    keys = {order_key(store, order_id): order_id for order_id in waiting}
    connector = services.store(store).connector
    try:
        answered = await asyncio.to_thread(connector.applied, list(keys))
    except (ConnectorError, OSError) as error:
        _log.warning("store %s: cannot ask the POS which exports it applied: %s", store, error)
        return {}
    applied = {keys[key]: at for key, at in answered.items() if key in keys}
    if applied:
        with services.sessions.begin() as session:
            c = _EXPORTS.c
            # Core executemany (no ORM bulk-by-primary-key).  updated_at is the exporter's
            # order version: kept as it is, or its onupdate would hide the order's next change.
            session.execute(
                update(_EXPORTS)
                .where(
                    c.store == store,
                    c.woo_order_id == bindparam("b_order"),
                    c.applied_at.is_(None),
                )
                .values(applied_at=bindparam("b_at"), updated_at=c.updated_at),
                [{"b_order": order_id, "b_at": at} for order_id, at in applied.items()],
            )
    return applied
