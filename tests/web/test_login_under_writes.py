"""Logging in while the runner writes: the demo's "database is locked" HTTP 500.

The login used to read the user, spend ~100 ms in argon2 and then stamp the
login in the same SQLite transaction.  A job committing during the hashing made
that stale read transaction unable to write, and SQLite reports it at once,
whatever the busy timeout.  These tests make a job commit exactly then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from tests.web.web_support import USER, WebWorld

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.repositories import runs
from storebridge.persistence.tables import Run, User
from storebridge.web import security


@pytest.fixture
def runner(world: WebWorld) -> Iterator[Services]:
    """Another process's view of the dashboard's database (its own engine), as the runner has."""
    with build_services(world.services.settings) as built:
        yield built


def commit_a_run_while_hashing(monkeypatch: pytest.MonkeyPatch, runner: Services) -> list[int]:
    """Make the runner commit a run row each time a password is checked; its ids."""
    committed: list[int] = []
    verify = security.verify_password

    def verify_while_a_job_commits(password_hash: str, password: str) -> bool:
        with runner.sessions.begin() as session:
            committed.append(runs.start_run(session, store="main", job="products").id)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", verify_while_a_job_commits)
    return committed


async def test_a_login_succeeds_while_a_job_commits_during_the_password_check(
    world: WebWorld, runner: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = commit_a_run_while_hashing(monkeypatch, runner)

    response = await world.login()

    assert response.status_code == 303
    assert committed
    with world.services.sessions() as session:
        assert session.scalars(select(User.last_login_at)).one() is not None
        assert session.scalars(select(Run.id)).all() == committed


async def test_a_wrong_password_is_refused_while_a_job_commits(
    world: WebWorld, runner: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_a_run_while_hashing(monkeypatch, runner)

    response = await world.login(password="not the password")

    assert response.status_code == 401
    with world.services.sessions() as session:
        assert session.scalars(select(User.last_login_at)).one() is None


def test_authenticate_checks_the_password_outside_any_transaction(
    world: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked_in: list[bool] = []
    verify = security.verify_password

    def verify_and_note(password_hash: str, password: str) -> bool:
        checked_in.append(world.services.engine.pool.checkedout() > 0)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", verify_and_note)

    assert security.authenticate(world.services.sessions, USER, "correct horse battery") == USER
    assert checked_in == [False]
