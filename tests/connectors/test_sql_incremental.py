"""Incremental reads of the SQL connector never miss a change (property test, real servers).

Random sequences of POS changes -- new items, price and name edits, web flag
flips, stock moves -- interleaved with incremental reads: the items the
incremental reads delivered, applied over the first full read, must equal a
fresh full read.  The cursor overlap is 0 here, so the closed start of the
cursor (``>= :since``) alone must catch rows changed at the cursor's instant.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from connector_samples import prepare_sql_pos, replay_incremental, sql_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.sql.reader import SqlReader
from storebridge.domain.model import RawItem

SERVERS = [
    pytest.param("postgres_url", marks=pytest.mark.postgres, id="postgres"),
    pytest.param("mariadb_url", marks=pytest.mark.mariadb, id="mariadb"),
]
LOCATIONS = ("shop", "back", "warehouse")

cents = st.integers(min_value=100, max_value=99_999).map(lambda c: Decimal(c) / 100)
operation = st.one_of(
    st.tuples(st.just("read")),
    st.tuples(st.just("insert"), cents, st.integers(0, 20)),
    st.tuples(st.just("price"), st.integers(0, 10_000), cents),
    st.tuples(st.just("variant_price"), st.integers(0, 10_000), cents),
    st.tuples(st.just("rename"), st.integers(0, 10_000), st.text("abcé漢 ", min_size=1, max_size=8)),
    st.tuples(st.just("web"), st.integers(0, 10_000), st.booleans()),
    st.tuples(st.just("stock"), st.integers(0, 10_000), st.sampled_from(LOCATIONS),
              st.integers(-5, 5)),
)  # fmt: skip


def seen(item: RawItem) -> tuple[Any, ...]:
    """What a read says about an item (its line number aside)."""
    return (
        item.name,
        item.regular_price,
        item.sale_price,
        bool(item.web_flag),
        tuple(sorted((loc, Decimal(str(qty))) for loc, qty in item.on_hand.items())),
        item.parent_code,
        tuple(sorted(item.attributes.items())),
    )


class Pos:
    """Applies one random change to the sample POS, each in its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.numbers = itertools.count(1)

    def _pick(self, conn: Any, table: str, key: str, index: int) -> str:
        keys = conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}")).scalars().all()
        return str(keys[index % len(keys)])

    def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        with self.engine.begin() as conn:
            if kind == "insert":
                sku = f"NEW-{next(self.numbers):05d}-{id(self) % 997}"
                conn.execute(
                    text("INSERT INTO items (item_no, name, price, web) VALUES (:s, :s, :p, TRUE)"),
                    {"s": sku, "p": op[1]},
                )
                conn.execute(
                    text("INSERT INTO variants (sku, item_no) VALUES (:s, :s)"), {"s": sku}
                )
                conn.execute(
                    text("INSERT INTO stock (sku, location, qty) VALUES (:s, 'shop', :q)"),
                    {"s": sku, "q": op[2]},
                )
            elif kind == "price":
                item = self._pick(conn, "items", "item_no", op[1])
                conn.execute(
                    text("UPDATE items SET price = :p, sale_price = NULL WHERE item_no = :i"),
                    {"p": op[2], "i": item},
                )
            elif kind == "variant_price":
                sku = self._pick(conn, "variants", "sku", op[1])
                conn.execute(
                    text("UPDATE variants SET price = :p WHERE sku = :s"), {"p": op[2], "s": sku}
                )
            elif kind == "rename":
                item = self._pick(conn, "items", "item_no", op[1])
                conn.execute(
                    text("UPDATE items SET name = :n WHERE item_no = :i"), {"n": op[2], "i": item}
                )
            elif kind == "web":
                item = self._pick(conn, "items", "item_no", op[1])
                conn.execute(
                    text("UPDATE items SET web = :w WHERE item_no = :i"), {"w": op[2], "i": item}
                )
            elif kind == "stock":
                sku = self._pick(conn, "variants", "sku", op[1])
                moved = conn.execute(
                    text("UPDATE stock SET qty = qty + :d WHERE sku = :s AND location = :l"),
                    {"d": op[3], "s": sku, "l": op[2]},
                ).rowcount
                if not moved:  # the first stock of this SKU at that location
                    conn.execute(
                        text("INSERT INTO stock (sku, location, qty) VALUES (:s, :l, :d)"),
                        {"s": sku, "l": op[2], "d": op[3]},
                    )


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_incremental_reads_accumulated_equal_a_full_read(
    server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = prepare_sql_pos(request.getfixturevalue(server), tmp_path, n_items=8, n_styles=1)
    connector = SqlConnector(sql_settings(tmp_path, cursor_overlap_s=0))
    engine = create_engine(url)
    pos = Pos(engine)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=10))
    def incremental_reads_miss_nothing(operations: list[tuple[Any, ...]]) -> None:
        view = replay_incremental(connector, operations, pos.apply, seen)
        assert view == {str(item.sku): seen(item) for item in connector.read_items()}

    try:
        incremental_reads_miss_nothing()
    finally:
        connector.close()
        engine.dispose()


@pytest.mark.parametrize("server", SERVERS)
def test_an_incremental_read_carries_only_the_changed_items_with_all_their_locations(
    server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = prepare_sql_pos(request.getfixturevalue(server), tmp_path)
    connector = SqlConnector(sql_settings(tmp_path, cursor_overlap_s=0))
    full = {str(item.sku): item for item in connector.read_items()}
    assert connector.last_read is not None
    position = connector.last_read.position
    sku = next(s for s, item in full.items() if len(item.on_hand) == 3)
    Pos(create_engine(url)).apply(("stock", sorted(full).index(sku), "back", 2))

    changes = {str(item.sku): item for item in connector.read_items_since(position)}
    expected = dict(full[sku].on_hand)
    expected["back"] = Decimal(str(expected["back"])) + 2
    assert changes[sku].on_hand == expected  # every location, not just the one that moved
    assert connector.last_read is not None and not connector.last_read.complete

    # The cursor now sits on the move: the next read re-delivers that instant's rows only
    # (a closed start), not the seeded catalogue.
    again = list(connector.read_items_since(connector.last_read.position))
    assert [str(item.sku) for item in again] == [sku]
    connector.close()


@pytest.mark.parametrize("server", SERVERS)
def test_changes_committed_during_a_delta_read_are_in_the_next_one(
    server: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = prepare_sql_pos(request.getfixturevalue(server), tmp_path)
    connector = SqlConnector(sql_settings(tmp_path, cursor_overlap_s=0))
    engine = create_engine(url)
    pos = Pos(engine)
    skus = sorted(str(item.sku) for item in connector.read_items())
    assert connector.last_read is not None
    # Move the cursor off the seed's instant (every seeded row shares it).
    pos.apply(("stock", 2, "shop", 1))
    list(connector.read_items_since(connector.last_read.position))
    assert connector.last_read is not None
    position = connector.last_read.position
    first, late = skus[0], skus[1]
    pos.apply(("stock", 0, "shop", 1))

    real = SqlReader._changed_skus

    def changes_land_meanwhile(self: SqlReader, *args: Any) -> list[object]:
        found = real(self, *args)
        # After the changed queries ran, before the refetch: another SKU moves, then the
        # first one again, so the refetch sees a cursor value newer than the late move.
        pos.apply(("stock", 1, "shop", 1))
        pos.apply(("stock", 0, "shop", 1))
        return found

    monkeypatch.setattr(SqlReader, "_changed_skus", changes_land_meanwhile)
    during = [str(item.sku) for item in connector.read_items_since(position)]
    monkeypatch.undo()
    assert first in during and late not in during
    assert connector.last_read is not None

    after = [str(i.sku) for i in connector.read_items_since(connector.last_read.position)]

    assert late in after
    connector.close()
    engine.dispose()
