"""Fixtures of the settings tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from storebridge.settings import render_example_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example configuration `storebridge init` writes, as a file."""
    path = tmp_path / "storebridge.toml"
    path.write_text(render_example_config(), encoding="utf-8")
    return path
