"""The products engine with the real SQL connector: the read position is kept between runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from tests.sync.sync_helpers import STORE, make_world

from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.sql.sample import create_schema, mapping, seed
from storebridge.persistence.repositories.cursors import get_cursor
from storebridge.persistence.tables import InventorySnapshot
from storebridge.sync.catalogue.products import POS_READ_STREAM


def sample_pos(url: str) -> None:
    engine = create_engine(url)
    create_schema(engine)
    seed(engine, n_items=12, n_styles=1, locations=("shop",))
    engine.dispose()


@pytest.mark.postgres
async def test_a_second_run_reads_only_the_changes_and_publishes_them(
    tmp_path: Path, _sqlite_template: Path, postgres_url: str
) -> None:
    sample_pos(postgres_url)
    table = {**mapping(), "url": postgres_url, "cursor_overlap_s": 0}
    with make_world(
        tmp_path, _sqlite_template, real_connector=True, connector=table, locations=["shop"]
    ) as world:
        first = await world.sync()
        assert first.report.error is None, first.report.error
        connector = world.services.store(STORE).connector
        assert isinstance(connector, SqlConnector)
        assert connector.reader.last is not None and connector.reader.last.complete
        with world.services.sessions() as session:
            stored = get_cursor(session, store=STORE, stream=POS_READ_STREAM)
        assert stored is not None and stored.value

        sku, other = [d["sku"] for d in world.docs() if d["type"] == "simple"][:2]
        engine = create_engine(postgres_url)

        def move(moved: str, qty: int) -> None:
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE stock SET qty = :q WHERE sku = :s"), {"q": qty, "s": moved}
                )

        move(sku, 41)
        second = await world.sync()
        assert second.report.error is None, second.report.error
        assert world.by_sku(sku)["stock_quantity"] == 41
        # The seed wrote every row in one transaction, at the first cursor's instant: this
        # delta re-reads them (closed start).  From now on the cursor sits on the move.
        move(other, 17)
        third = await world.sync()
        engine.dispose()

        assert third.report.error is None, third.report.error
        assert world.by_sku(other)["stock_quantity"] == 17
        last = connector.reader.last
        assert last is not None and not last.complete
        assert last.items == 2  # the new move, and the previous one at the cursor's instant
        with world.services.sessions() as session:
            moved = get_cursor(session, store=STORE, stream=POS_READ_STREAM)
            snapshots = session.scalar(select(func.count()).select_from(InventorySnapshot))
        assert moved is not None and moved.value != stored.value
        assert snapshots == 3  # a gap-free delta is an inventory snapshot too
        # Nothing the delta did not carry was zeroed.
        others = [d for d in world.docs() if d["sku"] not in {sku, other} and d["type"] == "simple"]
        assert any(d["stock_quantity"] for d in others)
