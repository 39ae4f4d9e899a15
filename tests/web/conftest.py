"""Fixtures of the dashboard tests: a `WebWorld` on a fresh migrated SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.web.web_support import WebWorld, web_world


@pytest.fixture
async def world(tmp_path: Path, _sqlite_template: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path, _sqlite_template) as built:
        yield built
