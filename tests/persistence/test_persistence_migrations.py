"""Alembic migrations match the models, on SQLite and PostgreSQL; `storebridge db` drives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from storebridge.cli.app import app
from storebridge.persistence.db import (
    alembic_config,
    create_engine_for,
    current_revision,
    head_revision,
    upgrade,
)
from storebridge.persistence.tables import Base
from storebridge.settings import render_example_config

TABLES = {
    "product_links", "quarantine", "stock_history", "orders", "order_lines",
    "order_status_history", "exports", "credits", "cursors", "inventory_snapshots", "runs",
    "webhook_deliveries", "users", "job_locks", "audit_events", "alerts", "reservations",
}  # fmt: skip


def test_the_migrated_schema_equals_the_models(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_migrated_fixture_database_is_at_head(migrated_engine: Engine) -> None:
    assert current_revision(migrated_engine) == head_revision()


def test_every_model_table_is_created_by_the_migrations() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_upgrading_twice_changes_nothing(migrated_engine: Engine) -> None:
    upgrade(migrated_engine)
    assert current_revision(migrated_engine) == head_revision()


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "storebridge.toml"
    path.write_text(render_example_config(), encoding="utf-8")
    return path


def test_db_upgrade_then_current_reports_the_head_revision(db_url: str, config_file: Path) -> None:
    runner = CliRunner()
    env = {"STOREBRIDGE_STORAGE__URL": db_url}
    before = runner.invoke(app, ["db", "current", "--config", str(config_file), "--check"], env=env)
    assert before.exit_code == 1
    assert "run `storebridge db upgrade`" in before.output

    upgraded = runner.invoke(app, ["db", "upgrade", "--config", str(config_file)], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"upgraded from empty to {head_revision()}" in upgraded.output

    again = runner.invoke(app, ["db", "upgrade", "--config", str(config_file)], env=env)
    assert f"already at revision {head_revision()}" in again.output

    after = runner.invoke(app, ["db", "current", "--config", str(config_file), "--check"], env=env)
    assert after.exit_code == 0
    assert "up to date" in after.output


def test_db_current_does_not_create_a_missing_sqlite_file(
    tmp_path: Path, config_file: Path
) -> None:
    database = tmp_path / "var" / "absent.sqlite3"
    result = CliRunner().invoke(
        app,
        ["db", "current", "--config", str(config_file)],
        env={"STOREBRIDGE_STORAGE__URL": f"sqlite:///{database}"},
    )
    assert result.exit_code == 0
    assert "revision none" in result.output
    assert not database.exists()


def test_db_upgrade_with_a_bad_config_exits_with_the_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(tmp_path / "no.toml")])
    assert result.exit_code == 2
    assert "storebridge init" in result.output


def test_db_upgrade_on_an_unreachable_server_masks_the_password(config_file: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["db", "upgrade", "--config", str(config_file)],
        env={"STOREBRIDGE_STORAGE__URL": "postgresql+psycopg://sb:hunter2@127.0.0.1:1/sb"},
    )
    assert result.exit_code == 2
    assert "cannot use the database postgresql+psycopg://sb:***@127.0.0.1:1/sb" in result.output
    assert "hunter2" not in result.output


def test_users_that_existed_before_roles_become_operators(db_url: str) -> None:
    upgrade(db_url, "0001")
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, created_at)"
                    " VALUES ('old-hand', 'x', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            role = connection.execute(
                text("SELECT role FROM users WHERE username = 'old-hand'")
            ).scalar_one()
        assert role == "operator"
    finally:
        engine.dispose()
