"""Who may act: roles of dashboard users and the audit trail of what they did.

* A **viewer** sees every page; an **operator** may also act (retry, skip,
  resolve an order export, and every later action route).  An action route
  takes `web.deps.OperatorDep`: a viewer gets ``403`` and the refusal is recorded.
* The role is read from the database on every request, so a change made with
  ``storebridge user role`` applies at once, without logging out.
* `audit` records one event in its own short transaction: who, what, on what,
  with what result.  The Activity page (`routes.activity`) lists them.
"""

from __future__ import annotations

from fastapi import Request

from storebridge.bootstrap import Services
from storebridge.persistence.repositories import audit as audit_trail
from storebridge.persistence.repositories import users
from storebridge.web.security import session_user

__all__ = ["audit", "can_act", "user_role"]


def user_role(services: Services, username: str) -> users.Role | None:
    """The role of `username` now (None if the user no longer exists)."""
    with services.sessions() as session:
        user = users.get_user(session, username=username)
        if user is None or user.role not in users.ROLES:
            return None
        role: users.Role = "operator" if user.role == "operator" else "viewer"
        return role


def can_act(request: Request) -> bool:
    """Whether the logged-in user may use the action buttons (for the templates)."""
    username = session_user(request.session)
    if username is None:
        return False
    return user_role(request.app.state.services, username) == "operator"


def audit(
    services: Services, *, actor: str, action: str, target: str, result: str, detail: str = ""
) -> None:
    """Record one event in a short transaction of its own."""
    with services.sessions.begin() as session:
        audit_trail.record_event(
            session, actor=actor, action=action, target=target, result=result, detail=detail or None
        )
