"""The Activity page: the audit trail (who did what, when, with what result) and current lockouts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from storebridge.persistence.repositories.audit import latest_events
from storebridge.web.deps import ServicesDep, UserDep, render
from storebridge.web.throttle import LoginThrottle

router = APIRouter()

#: How many events the page lists (newest first).
ACTIVITY_LIMIT = 200


@router.get("/activity", response_class=HTMLResponse)
async def activity(request: Request, services: ServicesDep, _user: UserDep) -> HTMLResponse:
    """Recent dashboard actions and login-throttle events, and who is locked out now."""
    with services.sessions() as session:
        events = latest_events(session, limit=ACTIVITY_LIMIT)
    throttle: LoginThrottle = request.app.state.throttle
    return render(request, "activity.html", events=events, lockouts=throttle.lockouts())
