"""Request dependencies of the dashboard: services, the logged-in user, CSRF, rendering.

* `ServicesDep`: the `Services` the app was built with;
* `UserDep`: the logged-in username; without one, `LoginRequired` is raised
  and the app answers ``303 See Other`` to ``/login?next=...``, for pages and
  actions alike;
* `CsrfFormDep`: the submitted form of a POST action, after checking the
  user is logged in and the form's CSRF token is the session's (403 if not);
* `OperatorDep`: the logged-in username, if that user is an operator (else
  403, recorded in the audit trail; `web.roles`);
* `render`: a template with the user, the CSRF token and the flash message.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from storebridge.bootstrap import Services
from storebridge.persistence.types import utcnow
from storebridge.web.formatting import install_filters
from storebridge.web.roles import audit, can_act, user_role
from storebridge.web.security import CSRF_FIELD, csrf_token, csrf_valid, session_user

__all__ = [
    "CsrfFormDep",
    "LoginRequired",
    "OperatorDep",
    "ServicesDep",
    "UserDep",
    "build_templates",
    "flash",
    "redirect",
    "render",
    "safe_next",
]

TEMPLATES_DIR = Path(__file__).with_name("templates")
logger = logging.getLogger("storebridge.web")


class LoginRequired(Exception):
    """The request needs a logged-in user; `next_path` is where to return after login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def build_templates() -> Jinja2Templates:
    """The dashboard's Jinja2 environment (autoescaping on, helper filters installed)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    install_filters(templates.env)
    return templates


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _user(request: Request) -> str:
    user = session_user(request.session)
    if user is None:
        path = request.url.path
        if request.url.query and request.method == "GET":
            path = f"{path}?{request.url.query}"
        raise LoginRequired(path if request.method == "GET" else "/")
    return user


async def _csrf_form(request: Request, user: Annotated[str, Depends(_user)]) -> FormData:
    form = await request.form()
    if not csrf_valid(request.session, form.get(CSRF_FIELD)):
        raise HTTPException(403, "invalid or missing CSRF token: reload the page and try again")
    return form


def _operator(
    request: Request,
    user: Annotated[str, Depends(_user)],
    _form: Annotated[FormData, Depends(_csrf_form)],  # a forged request is refused first
) -> str:
    services = _services(request)
    if user_role(services, user) == "operator":
        return user
    logger.warning("%s (not an operator) was refused %s", user, request.url.path)
    audit(services, actor=user, action="POST", target=request.url.path, result="forbidden")
    raise HTTPException(403, "only an operator may do this: ask one to change your role")


ServicesDep = Annotated[Services, Depends(_services)]
UserDep = Annotated[str, Depends(_user)]
CsrfFormDep = Annotated[FormData, Depends(_csrf_form)]
OperatorDep = Annotated[str, Depends(_operator)]


def safe_next(target: str | None) -> str:
    """A local path to go back to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_redirect(next_path: str) -> RedirectResponse:
    """303 to the login page, remembering where the user was going."""
    return RedirectResponse(f"/login?next={quote(safe_next(next_path))}", status_code=303)


def redirect(path: str) -> RedirectResponse:
    """303 See Other: the answer to a successful POST."""
    return RedirectResponse(path, status_code=303)


def flash(request: Request, message: str, level: str = "ok") -> None:
    """A one-time message shown on the next page."""
    request.session["flash"] = {"message": message, "level": level}


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render `template` with the common context."""
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "user": session_user(request.session),
        "csrf_token": csrf_token(request.session),
        "csrf_field": CSRF_FIELD,
        "flash": request.session.pop("flash", None),
        "now": utcnow(),
        "path": request.url.path,
        "can_act": can_act(request),
    }
    return templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
