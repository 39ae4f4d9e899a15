"""The shared database fixtures of tests/conftest.py behave as other tests rely on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from storebridge.persistence.db import create_engine_for, current_revision, head_revision

CONFTEST = Path(__file__).parents[1] / "conftest.py"


def test_the_shared_postgres_database_is_emptied_between_uses(_postgres_shared: Any) -> None:
    shared = _postgres_shared
    url = shared.fresh_url()
    leaked = create_engine_for(url)
    leaked_connection = leaked.connect()  # a test that forgets to close its connection
    leaked_connection.execute(
        text(
            "INSERT INTO users (username, password_hash, created_at) VALUES ('someone', 'h', now())"
        )
    )
    leaked_connection.commit()
    leaked_connection.begin()
    leaked_connection.execute(text("SELECT * FROM users FOR UPDATE"))  # holds a row lock

    again = shared.fresh_url()
    assert again == url
    engine = create_engine_for(again)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0
            new_id = connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, created_at) "
                    "VALUES ('next', 'h', now()) RETURNING id"
                )
            ).scalar()
            assert new_id == 1
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
        leaked.dispose()


def test_the_shared_postgres_database_is_rebuilt_after_a_schema_change(
    _postgres_shared: Any,
) -> None:
    shared = _postgres_shared
    url = shared.fresh_url()
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE stray (x integer)"))
    engine.dispose()
    rebuilt = shared.fresh_url()
    assert rebuilt != url
    engine = create_engine_for(rebuilt)
    try:
        assert "stray" not in inspect(engine).get_table_names()
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_postgres_url_is_an_empty_database_of_its_own(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
        assert postgres_url.rsplit("/", 1)[1].startswith("sb_test_")
    finally:
        engine.dispose()


def test_mariadb_url_is_an_empty_usable_database(mariadb_url: str) -> None:
    engine = create_engine(mariadb_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE items (sku VARCHAR(64) PRIMARY KEY)"))
            connection.execute(text("INSERT INTO items VALUES ('Ä-1')"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT sku FROM items")).scalar() == "Ä-1"
    finally:
        engine.dispose()


INNER_TESTS = """
def test_needs_postgres(postgres_url):
    pass

def test_needs_mariadb(mariadb_url):
    pass
"""


def _session_with_servers_down(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """An inner pytest session using our conftest, pointed at ports where nothing listens."""
    source = CONFTEST.read_text(encoding="utf-8")
    for original in (
        'POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432',
        'MARIADB_HOST, MARIADB_PORT = "127.0.0.1", 3306',
    ):
        assert original in source
        source = source.replace(original, original.rsplit(",", 1)[0] + ", 1")
    pytester.makeconftest(source)
    pytester.makepyfile(test_inner=INNER_TESTS)
    # The inner tests need no third-party plugin; loading them all would triple the run time.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_tests_of_an_unreachable_server_are_skipped_with_instructions(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOREBRIDGE_REQUIRE_SERVICES", raising=False)
    _session_with_servers_down(pytester, monkeypatch)
    # -m also proves the markers are added automatically: the MariaDB test is deselected.
    result = pytester.runpytest_inprocess("-rs", "-m", "not mariadb", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*PostgreSQL not reachable at 127.0.0.1:1: start it or set "
            "STOREBRIDGE_REQUIRE_SERVICES=1 in CI*"
        ]
    )


def test_tests_of_an_unreachable_server_fail_when_services_are_required(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOREBRIDGE_REQUIRE_SERVICES", "1")
    _session_with_servers_down(pytester, monkeypatch)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*PostgreSQL not reachable at 127.0.0.1:1 but*"])
    result.stdout.fnmatch_lines(["*MariaDB not reachable at 127.0.0.1:1 but*"])
