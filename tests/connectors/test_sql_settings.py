"""The SQL connector's settings: secrets from files and the environment, refused mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w
from pydantic import ValidationError

from storebridge.connectors.sql.sample import mapping
from storebridge.connectors.sql.settings import SqlSettings
from storebridge.errors import ConfigError
from storebridge.settings import load_settings, render_example_config

URL = "postgresql+psycopg://pos:s3cret-pw@db.example:5432/pos"


def config_with(tmp_path: Path, connector: dict[str, Any]) -> Path:
    """The example config with its connector table replaced by `connector`."""
    example = render_example_config()
    head = example[: example.index("[stores.main.connector]")]
    path = tmp_path / "storebridge.toml"
    body = tomli_w.dumps({"stores": {"main": {"connector": connector}}})
    path.write_text(head + body, encoding="utf-8")
    return path


def test_the_url_and_password_may_come_from_secret_files(tmp_path: Path) -> None:
    (tmp_path / "url").write_text("postgresql+psycopg://pos@db.example/pos\n", encoding="utf-8")
    (tmp_path / "pw").write_text("from-a-file\n", encoding="utf-8")
    table = {**mapping(), "url_file": str(tmp_path / "url"), "password_file": str(tmp_path / "pw")}
    settings = load_settings(config_with(tmp_path, table), environ={})
    connector = settings.stores["main"].connector
    assert isinstance(connector, SqlSettings)
    assert connector.engine_url().password == "from-a-file"
    assert connector.engine_url().host == "db.example"
    assert "from-a-file" not in repr(settings)


def test_the_url_may_come_from_the_environment_and_is_never_printed(tmp_path: Path) -> None:
    table = {**mapping(), "url": "sqlite:///placeholder.db"}
    settings = load_settings(
        config_with(tmp_path, table),
        environ={"STOREBRIDGE_STORES__MAIN__CONNECTOR__URL": URL},
    )
    connector = settings.stores["main"].connector
    assert isinstance(connector, SqlSettings)
    assert connector.engine_url().password == "s3cret-pw"
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(connector)


def test_a_url_that_is_not_a_sqlalchemy_url_is_refused_without_echoing_it(
    tmp_path: Path,
) -> None:
    table = {**mapping(), "url": "pos:hunter2@somewhere"}
    with pytest.raises(ConfigError) as caught:
        load_settings(config_with(tmp_path, table), environ={})
    assert "not a SQLAlchemy URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_changed_queries_come_in_pairs_and_bind_since() -> None:
    queries = dict(mapping()["queries"])
    del queries["changed_on_hand"]
    with pytest.raises(ValidationError, match="changed_items and changed_on_hand go together"):
        SqlSettings.model_validate({"url": URL, "queries": queries})
    queries = {**mapping()["queries"], "changed_on_hand": "SELECT sku, updated_at FROM stock"}
    with pytest.raises(ValidationError, match=r"compare its cursor column with .*:since"):
        SqlSettings.model_validate({"url": URL, "queries": queries})


def test_staging_table_names_must_be_plain_names() -> None:
    with pytest.raises(ValidationError, match="not a plain table name"):
        SqlSettings.model_validate(
            {"url": URL, "queries": mapping()["queries"], "staging": {"documents": "x; DROP"}}
        )
    ok = SqlSettings.model_validate(
        {"url": URL, "queries": mapping()["queries"], "staging": {"documents": "pos.web_docs"}}
    )
    assert ok.staging.documents == "pos.web_docs"
