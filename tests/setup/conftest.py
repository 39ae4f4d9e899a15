"""Fixtures of the doctor and webhook tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.test_products_cli import server, shop  # noqa: F401 - a sandbox on a real port
from tests.setup.setup_support import setup_world
from tests.sync.sync_helpers import World


@pytest.fixture
def world(tmp_path: Path, _sqlite_template: Path) -> Iterator[World]:
    """A sandbox shop, a migrated database and the store's own demo connector."""
    with setup_world(tmp_path, _sqlite_template) as built:
        yield built
