"""Dashboard security: argon2 password hashes, the login session, CSRF tokens.

* Passwords are hashed with argon2id (argon2-cffi's defaults); only the hash
  is stored (`persistence.repositories.users`).  Checking an unknown user
  still spends one hash verification, so response time does not tell which
  usernames exist.
* The session is Starlette's signed cookie (`SessionMiddleware`, keyed by
  ``[web].secret_key``): it holds the username and the CSRF token, never a
  password.  Logging in starts a fresh session.
* Every POST form carries the session's CSRF token in a hidden field; a POST
  whose token is missing or differs is refused with 403.  Tokens are compared
  in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from storebridge.persistence.repositories import users

__all__ = [
    "CSRF_FIELD",
    "MIN_PASSWORD_LENGTH",
    "authenticate",
    "csrf_token",
    "csrf_valid",
    "hash_password",
    "log_in",
    "log_out",
    "session_user",
    "verify_password",
]

CSRF_FIELD = "csrf_token"
MIN_PASSWORD_LENGTH = 8
_USER_KEY = "user"
_CSRF_KEY = "csrf"

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (salted; two calls give different hashes)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(sessions: sessionmaker[Session], username: str, password: str) -> str | None:
    """The canonical username if the credentials are right, else None; stamps the login.

    Three steps, so that no transaction waits on argon2 (~100 ms): read the
    user, check the password outside any transaction, then stamp the login
    (and store a rehash) in a short write transaction.
    """
    with sessions() as session:
        user = users.get_user(session, username=username)
        found = None if user is None else (user.username, user.password_hash)
    if found is None:
        verify_password(_DUMMY_HASH, password)
        return None
    name, password_hash = found
    if not verify_password(password_hash, password):
        return None
    rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None
    with sessions.begin() as session:
        if rehashed is not None:
            users.set_password_hash(session, username=name, password_hash=rehashed)
        if not users.record_login(session, username=name):
            return None  # deleted while its password was being checked
    return name


def session_user(session: dict[str, Any]) -> str | None:
    """The logged-in username of a session, if any."""
    user = session.get(_USER_KEY)
    return user if isinstance(user, str) and user else None


def log_in(session: dict[str, Any], username: str) -> None:
    """Start a fresh session for `username` (a new CSRF token too)."""
    session.clear()
    session[_USER_KEY] = username
    session[_CSRF_KEY] = secrets.token_urlsafe(32)


def log_out(session: dict[str, Any]) -> None:
    """Forget everything the session held."""
    session.clear()


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, created on first use (the login form needs one too)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_valid(session: dict[str, Any], submitted: object) -> bool:
    """Whether a submitted form token matches the session's, in constant time."""
    expected = session.get(_CSRF_KEY)
    if not isinstance(expected, str) or not expected or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
