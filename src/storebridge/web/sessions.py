"""The signed session cookie, with key rotation.

Starlette's `SessionMiddleware` signs the cookie with one key.  During a
rotation (``[web].secret_key`` new, ``[web].secret_key_previous`` old) a
cookie signed with either key is accepted and every cookie written is signed
with the new one, so nobody is logged out by the change; itsdangerous
supports exactly this with a list of keys (the last one signs).
"""

from __future__ import annotations

from typing import Literal

from itsdangerous import TimestampSigner
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

__all__ = ["RotatingSessionMiddleware"]


class RotatingSessionMiddleware(SessionMiddleware):
    """`SessionMiddleware` that also accepts cookies signed with `previous_key`."""

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str,
        previous_key: str | None = None,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
    ) -> None:
        super().__init__(
            app,
            secret_key=secret_key,
            session_cookie=session_cookie,
            max_age=max_age,
            same_site=same_site,
            https_only=https_only,
        )
        if previous_key:
            self.signer = TimestampSigner([previous_key, secret_key])
