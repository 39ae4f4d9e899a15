"""Fixtures of the product-sync tests: a `World` (sandbox + migrated SQLite + fake POS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sync.sync_helpers import World, make_world


@pytest.fixture
def world(tmp_path: Path, _sqlite_template: Path) -> Iterator[World]:
    """A fresh world with an empty catalogue (tests fill `world.pos`)."""
    with make_world(tmp_path, _sqlite_template) as built:
        yield built
