"""Login and logout.

The login form is a POST with the session's CSRF token (so another site
cannot log a browser into an account of its choosing).  A failed login says
only "wrong username or password", whatever was wrong.  Failed logins are
throttled per account and per client address (`web.throttle`): past a few,
the login answers 429 with ``Retry-After`` until the delay has passed.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from storebridge.web.deps import CsrfFormDep, ServicesDep, redirect, render, safe_next
from storebridge.web.security import CSRF_FIELD, authenticate, csrf_valid, log_in, log_out
from storebridge.web.throttle import LoginThrottle, ThrottleKey, retry_after_header

router = APIRouter()
logger = logging.getLogger("storebridge.web")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The login page."""
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", response_model=None)
async def login(request: Request, services: ServicesDep) -> HTMLResponse | RedirectResponse:
    """Check the credentials; on success start a session and go where the user was going."""
    form = await request.form()
    if not csrf_valid(request.session, form.get(CSRF_FIELD)):
        raise HTTPException(403, "invalid or missing CSRF token: reload the login page")
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    throttle: LoginThrottle = request.app.state.throttle
    keys = (
        ThrottleKey.account(username),
        ThrottleKey.address(request.client.host if request.client else None),
    )
    wait = throttle.retry_after(keys)
    if wait > 0:
        # Refused before the password is checked: a locked-out guesser learns nothing.
        response = render(
            request,
            "login.html",
            status_code=429,
            next=target,
            error=f"too many failed logins: try again in {retry_after_header(wait)} s",
            username=username,
        )
        response.headers["Retry-After"] = retry_after_header(wait)
        return response
    # argon2 is deliberately slow: keep it off the event loop.
    user = await asyncio.to_thread(authenticate, services.sessions, username, password)
    if user is None:
        throttle.failed(keys)
        logger.warning("failed dashboard login for %r", username[:150])
        return render(
            request,
            "login.html",
            status_code=401,
            next=target,
            error="wrong username or password",
            username=username,
        )
    throttle.succeeded(keys)
    log_in(request.session, user)
    logger.info("dashboard login: %s", user)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request, _form: CsrfFormDep) -> RedirectResponse:
    """End the session."""
    log_out(request.session)
    return redirect("/login")
