"""The Tryton launcher's file handling: copies, kept copies, write-ahead logs, a missing trytond.

The server itself runs in the other Tryton tests; these check what happens to
the database files around it, without starting one.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storebridge.connectors.tryton import server
from storebridge.connectors.tryton.server import DATABASE, TrytonServer
from storebridge.errors import ConfigError


def database_with(path: Path, *names: str) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE IF NOT EXISTS shop (name TEXT)")
    connection.executemany("INSERT INTO shop VALUES (?)", [(name,) for name in names])
    connection.commit()
    connection.close()
    return path


def names_in(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT name FROM shop ORDER BY name")]
    finally:
        connection.close()


def test_a_server_serves_a_fresh_copy_unless_told_to_keep_the_folders_own(
    tmp_path: Path,
) -> None:
    built = database_with(tmp_path / "built.sqlite", "pristine")
    folder = tmp_path / "demo"
    folder.mkdir()
    database_with(folder / f"{DATABASE}.sqlite", "sold yesterday")

    kept = TrytonServer(built, folder, keep=True)
    assert names_in(kept.database_path) == ["sold yesterday"]

    fresh = TrytonServer(built, folder)
    assert names_in(fresh.database_path) == ["pristine"]
    assert (fresh.folder / "trytond.conf").read_text().count(f"127.0.0.1:{fresh.port}") == 1


def test_a_checkpoint_puts_the_write_ahead_log_into_the_file_a_copy_takes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.sqlite"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # as a server stopped by a signal leaves it
    writer.execute("CREATE TABLE shop (name TEXT)")
    writer.execute("INSERT INTO shop VALUES ('in the log')")
    writer.commit()
    try:
        shutil.copyfile(path, tmp_path / "before.sqlite")
        server._checkpoint(path)
        shutil.copyfile(path, tmp_path / "after.sqlite")
    finally:
        writer.close()

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        names_in(tmp_path / "before.sqlite")  # the main file alone lost the commits
    assert names_in(tmp_path / "after.sqlite") == ["in the log"]


def test_without_trytond_installed_the_build_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.importlib.metadata, "distributions", lambda: iter(()))

    with pytest.raises(ConfigError, match=r"storebridge\[tryton\]"):
        server.built_database("pw", key="never built")
