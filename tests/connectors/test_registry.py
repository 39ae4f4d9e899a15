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
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.errors import ConfigError
from storebridge.settings import parse_settings


def test_demo_settings_build_the_demo_pos(tmp_path: Path) -> None:
    assert isinstance(build_connector(demo_settings(tmp_path)), DemoPos)


def test_file_feed_settings_build_the_file_feed(tmp_path: Path) -> None:
    assert isinstance(build_connector(file_feed_settings(tmp_path)), FileFeed)


def test_an_unknown_connector_type_names_the_known_ones() -> None:
    unknown: Any = SimpleNamespace(type="abacus")
    with pytest.raises(ConfigError, match=r"'abacus'.*'demo', 'file_feed'"):
        build_connector(unknown)
    assert connector_types() == ["demo", "file_feed", "sql", "tryton"]


def test_sql_settings_build_the_sql_connector(tmp_path: Path) -> None:
    connector = build_connector(sample_settings(f"sqlite:///{tmp_path / 'pos.db'}"))
    assert isinstance(connector, SqlConnector)


def test_tryton_settings_build_the_tryton_connector_and_read_the_password_from_a_file(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "tryton-password"
    secret.write_text("s3cret-pw\n", encoding="utf-8")
    connector_table = {
        "type": "tryton",
        "url": "http://127.0.0.1:1",
        "database": "shop",
        "password_file": str(secret),
        "web_shop": "Web",
    }
    settings = parse_settings(
        {
            "web": {"secret_key": "s" * 40},
            "stores": {
                "main": {
                    "woocommerce": {
                        "url": "https://shop.test",
                        "consumer_key": "ck_x",
                        "consumer_secret": "cs_x",
                    },
                    "connector": connector_table,
                }
            },
        }
    )
    tryton = settings.stores["main"].connector
    assert isinstance(tryton, TrytonSettings)
    assert tryton.password.get_secret_value() == "s3cret-pw"
    assert "s3cret" not in repr(tryton)
    connector = build_connector(tryton)
    assert isinstance(connector, TrytonConnector)
    connector.close()
