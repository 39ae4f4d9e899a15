"""Fixtures of the runner tests: wired services on a migrated database, a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runner.runner_support import ManualClock, runner_settings

from storebridge.bootstrap import Services, build_services


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def services(migrated_db_url: str, tmp_path: Path) -> Iterator[Services]:
    """Two stores ("main", "outlet") on a migrated database (SQLite, then PostgreSQL)."""
    settings = runner_settings(
        migrated_db_url, tmp_path, ("main", "outlet"), intervals={"products": 60}
    )
    with build_services(settings) as built:
        yield built


@pytest.fixture
def second_services(services: Services) -> Iterator[Services]:
    """Another process's view of the same database (its own engine and pool)."""
    with build_services(services.settings) as built:
        yield built
