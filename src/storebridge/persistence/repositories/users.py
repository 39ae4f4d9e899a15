"""Dashboard users.  Only the password hash is stored; hashing and checking it
(argon2) is the web layer's job, so this module never sees a password.
Usernames are stored trimmed and compared exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storebridge.persistence.repositories._sql import now_or, rowcount
from storebridge.persistence.tables import User

__all__ = [
    "ROLES",
    "Role",
    "UserExists",
    "add_user",
    "count_users",
    "get_user",
    "record_login",
    "set_password_hash",
    "set_role",
]

#: A viewer sees every page; an operator may also act (retry, skip, resolve...).
Role = Literal["viewer", "operator"]
ROLES: tuple[Role, ...] = ("viewer", "operator")


class UserExists(ValueError):
    """A user with that name already exists."""


def get_user(session: Session, *, username: str) -> User | None:
    """The user called `username`, if any."""
    return session.scalars(select(User).where(User.username == username.strip())).one_or_none()


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    role: Role = "operator",
    now: datetime | None = None,
) -> User:
    """Create a user; raises `UserExists` if the name is taken."""
    name = username.strip()
    if not name:
        raise ValueError("a username must not be empty")
    _check_role(role)
    if get_user(session, username=name) is not None:
        raise UserExists(f"user {name!r} already exists")
    user = User(username=name, password_hash=password_hash, role=role, created_at=now_or(now))
    session.add(user)
    session.flush()
    return user


def set_password_hash(session: Session, *, username: str, password_hash: str) -> bool:
    """Replace a user's password hash; False if there is no such user."""
    changed = rowcount(
        session,
        update(User).where(User.username == username.strip()).values(password_hash=password_hash),
    )
    return changed == 1


def record_login(session: Session, *, username: str, now: datetime | None = None) -> bool:
    """Stamp a successful login; False if there is no such user."""
    changed = rowcount(
        session,
        update(User).where(User.username == username.strip()).values(last_login_at=now_or(now)),
    )
    return changed == 1


def count_users(session: Session) -> int:
    """How many users exist (the dashboard asks to create the first one when 0)."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def set_role(session: Session, *, username: str, role: Role) -> bool:
    """Give a user another role; False if there is no such user."""
    _check_role(role)
    changed = rowcount(
        session, update(User).where(User.username == username.strip()).values(role=role)
    )
    return changed == 1


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
