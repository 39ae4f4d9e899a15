"""`storebridge user add | passwd`: prompted passwords, stored as argon2 hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import tomli_w
from sqlalchemy import select
from typer.testing import CliRunner

from storebridge.bootstrap import build_services
from storebridge.cli.app import app
from storebridge.persistence.tables import User
from storebridge.settings import load_settings
from storebridge.web.security import verify_password

runner = CliRunner()


def _config(tmp_path: Path, template: Path | None) -> Path:
    database = tmp_path / "sb.sqlite3"
    if template is not None:
        shutil.copyfile(template, database)
    path = tmp_path / "storebridge.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "storage": {"url": f"sqlite:///{database}"},
                "web": {"secret_key": "k" * 40},
                "stores": {
                    "main": {
                        "woocommerce": {
                            "url": "https://shop.test",
                            "consumer_key": "ck_x",
                            "consumer_secret": "cs_x",
                        },
                        "connector": {"type": "demo", "path": str(tmp_path / "pos.sqlite3")},
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    return path


def _users(config: Path) -> dict[str, str]:
    with (
        build_services(load_settings(config, environ={})) as services,
        services.sessions() as session,
    ):
        return {u.username: u.password_hash for u in session.scalars(select(User))}


def test_user_add_prompts_twice_and_stores_only_an_argon2_hash(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    config = _config(tmp_path, _sqlite_template)

    result = runner.invoke(
        app,
        ["user", "add", "ada", "--config", str(config)],
        input="short\nshort\nlong enough pw\nlong enough pw\n",
    )

    assert result.exit_code == 0, result.output
    assert "at least 8 characters" in result.output
    assert "user 'ada' (operator) created" in result.output
    stored = _users(config)["ada"]
    assert stored.startswith("$argon2id$") and verify_password(stored, "long enough pw")
    assert "long enough pw" not in result.output


def test_user_add_refuses_a_name_that_exists(tmp_path: Path, _sqlite_template: Path) -> None:
    config = _config(tmp_path, _sqlite_template)
    runner.invoke(app, ["user", "add", "ada", "-c", str(config)], input="password1\npassword1\n")

    again = runner.invoke(app, ["user", "add", "ada", "-c", str(config)])

    assert again.exit_code == 1
    assert "already exists" in again.output


def test_user_passwd_replaces_the_hash(tmp_path: Path, _sqlite_template: Path) -> None:
    config = _config(tmp_path, _sqlite_template)
    runner.invoke(app, ["user", "add", "ada", "-c", str(config)], input="password1\npassword1\n")

    result = runner.invoke(
        app, ["user", "passwd", "ada", "-c", str(config)], input="password2\npassword2\n"
    )

    assert result.exit_code == 0, result.output
    stored = _users(config)["ada"]
    assert verify_password(stored, "password2") and not verify_password(stored, "password1")


def test_user_add_asks_for_a_migrated_database(tmp_path: Path) -> None:
    config = _config(tmp_path, None)

    result = runner.invoke(app, ["user", "add", "ada", "-c", str(config)])

    assert result.exit_code == 2
    assert "storebridge db upgrade" in result.output


def _roles(config: Path) -> dict[str, str]:
    with (
        build_services(load_settings(config, environ={})) as services,
        services.sessions() as session,
    ):
        return {u.username: u.role for u in session.scalars(select(User))}


def test_user_add_with_a_role_and_user_role_changes_it(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    config = _config(tmp_path, _sqlite_template)
    added = runner.invoke(
        app,
        ["user", "add", "vic", "--role", "viewer", "-c", str(config)],
        input="password1\npassword1\n",
    )
    assert added.exit_code == 0, added.output
    assert _roles(config) == {"vic": "viewer"}

    changed = runner.invoke(app, ["user", "role", "vic", "operator", "-c", str(config)])

    assert changed.exit_code == 0, changed.output
    assert _roles(config) == {"vic": "operator"}
    missing = runner.invoke(app, ["user", "role", "nobody", "viewer", "-c", str(config)])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_user_add_refuses_an_unknown_role(tmp_path: Path, _sqlite_template: Path) -> None:
    config = _config(tmp_path, _sqlite_template)

    result = runner.invoke(app, ["user", "add", "x", "--role", "admin", "-c", str(config)])

    assert result.exit_code == 2
    assert _roles(config) == {}
