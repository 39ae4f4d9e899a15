"""The registry builds the connector named by the settings' `type`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from connector_samples import demo_settings, file_feed_settings

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.registry import build_connector, connector_types
from storebridge.connectors.sql.connector import SqlConnector
from storebridge.connectors.sql.sample import sample_settings
from storebridge.errors import ConfigError


def test_demo_settings_build_the_demo_pos(tmp_path: Path) -> None:
    assert isinstance(build_connector(demo_settings(tmp_path)), DemoPos)


def test_file_feed_settings_build_the_file_feed(tmp_path: Path) -> None:
    assert isinstance(build_connector(file_feed_settings(tmp_path)), FileFeed)


def test_an_unknown_connector_type_names_the_known_ones() -> None:
    unknown: Any = SimpleNamespace(type="abacus")
    with pytest.raises(ConfigError, match=r"'abacus'.*'demo', 'file_feed'"):
        build_connector(unknown)
    assert connector_types() == ["demo", "file_feed", "sql"]


def test_sql_settings_build_the_sql_connector(tmp_path: Path) -> None:
    connector = build_connector(sample_settings(f"sqlite:///{tmp_path / 'pos.db'}"))
    assert isinstance(connector, SqlConnector)
    connector.close()
