"""Fixtures of the order tests: a `Shop` (sandbox + migrated SQLite + demo POS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.orders.orders_helpers import Shop, make_shop

#: Three web items with stock in two of the demo POS's three locations.
STOCK = {
    "MUG-1": {"store-1": 6, "warehouse": 4},
    "CAP-2": {"store-1": 3},
    "BAG-3": {"store-2": 2, "warehouse": 8},
}


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    """A shop whose POS holds `STOCK` (nothing in WooCommerce until a products run)."""
    with make_shop(tmp_path, _sqlite_template, stock=STOCK) as built:
        yield built
