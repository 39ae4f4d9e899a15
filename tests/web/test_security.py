"""Password hashing and CSRF token checks."""

from __future__ import annotations

import pytest

from storebridge.web.security import (
    csrf_token,
    csrf_valid,
    hash_password,
    log_in,
    session_user,
    verify_password,
)


def test_a_password_verifies_against_its_hash_only() -> None:
    first = hash_password("open sesame 42")

    assert first != hash_password("open sesame 42")  # salted
    assert verify_password(first, "open sesame 42")
    assert not verify_password(first, "open sesame 43")
    assert not verify_password("not-a-hash", "open sesame 42")


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password("short")


def test_a_csrf_token_is_valid_only_for_its_own_session() -> None:
    mine: dict[str, object] = {}
    theirs: dict[str, object] = {}
    token = csrf_token(mine)

    assert csrf_token(mine) == token
    assert csrf_valid(mine, token)
    assert not csrf_valid(theirs, token)
    assert not csrf_valid(mine, None)
    assert not csrf_valid(mine, token + "x")


def test_logging_in_starts_a_fresh_session_with_a_new_token() -> None:
    session: dict[str, object] = {"csrf": "old", "flash": "stale"}

    log_in(session, "ada")

    assert session_user(session) == "ada"
    assert session["csrf"] != "old"
    assert "flash" not in session
