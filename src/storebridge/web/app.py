"""`create_web_app(services)`: the dashboard, the webhook receiver and the probes.

One app serves everything by default (``face="all"``).  When ``[web]`` gives
the webhook receiver a listener of its own, `storebridge run` builds two:
``face="webhooks"`` serves only ``/webhooks/...`` and ``/healthz`` (the part
exposed to the internet), ``face="dashboard"`` everything but the webhooks.

Server-rendered pages (Jinja2, a little CSS, no JavaScript build), a signed
session cookie keyed by ``[web].secret_key``, CSRF tokens on every form.  Any
page or action requested without a session is answered ``303`` to
``/login``.  ``/webhooks/...``, ``/healthz``, ``/metrics`` and ``/static``
are open (the webhook receiver authenticates each delivery by its signature).

When a `Scheduler` is given, the app's lifespan runs it: it starts with the
server and is stopped gracefully (runs in flight finish) when the server shuts
down, which is how `storebridge run` ties them together.  The "Sync now" and
"Push now" buttons hand their job to a `runner.triggers.JobTrigger` (by
default the scheduler's); without one they are not shown.  Nothing is built
at import time; tests create an app per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storebridge.bootstrap import Services
from storebridge.runner.scheduler import Scheduler
from storebridge.runner.triggers import JobTrigger, SchedulerTrigger
from storebridge.sync.orders.webhook_ingest import ingest_webhook
from storebridge.web.deps import LoginRequired, build_templates, login_redirect
from storebridge.web.roles import audit
from storebridge.web.routes import (
    actions,
    activity,
    auth,
    charts,
    health,
    pages,
    triggers,
    webhooks,
)
from storebridge.web.routes.webhooks import WebhookIngest
from storebridge.web.sessions import RotatingSessionMiddleware
from storebridge.web.throttle import LoginThrottle, ThrottleKey
from storebridge.web.webhook_limits import StoreRateLimit

__all__ = ["SESSION_COOKIE", "Face", "create_web_app"]

#: Which routes an app serves: everything, the dashboard only, or the webhook receiver only.
Face = Literal["all", "dashboard", "webhooks"]

SESSION_COOKIE = "storebridge_session"
SESSION_MAX_AGE_S = 12 * 3600
STATIC_DIR = Path(__file__).with_name("static")
#: No framing (the action forms cannot be clickjacked), no inline script, no sniffing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP response (plain ASGI, no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_web_app(
    services: Services,
    *,
    scheduler: Scheduler | None = None,
    ingest: WebhookIngest | None = None,
    https_only: bool = False,
    shutdown_grace_s: float | None = None,
    throttle: LoginThrottle | None = None,
    face: Face = "all",
    trigger: JobTrigger | None = None,
) -> FastAPI:
    """Build the web app.

    Args:
        services: the wired application.
        scheduler: run it for the app's lifetime (`storebridge run`).
        ingest: processes verified webhook deliveries (default: the order ledger
            and stock push of `sync.orders.webhook_ingest`).
        https_only: mark the session cookie Secure (behind TLS).
        shutdown_grace_s: how long runs in flight may take at shutdown before being
            interrupted (None: as long as they need).
        throttle: counts failed logins (default: a fresh `LoginThrottle`); its
            lockouts and unlocks are recorded in the audit trail.
        face: which routes to serve (see the module docstring).
        trigger: starts the jobs "Sync now" and "Push now" ask for (default: the
            scheduler's, when there is one).
    """
    if trigger is None and scheduler is not None:
        trigger = SchedulerTrigger(scheduler)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            if trigger is None:
                yield
            else:
                async with trigger.opened():
                    yield
        finally:
            if scheduler is not None:
                await scheduler.stop(grace=shutdown_grace_s)

    app = FastAPI(
        title="StoreBridge",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.state.scheduler = scheduler
    app.state.trigger = trigger
    app.state.ingest = ingest or ingest_webhook
    app.state.webhook_rate = StoreRateLimit()
    app.add_middleware(_SecurityHeaders)
    if face == "webhooks":
        app.include_router(webhooks.router)
        app.add_api_route("/healthz", health.healthz, methods=["GET"])
        return app
    app.state.templates = build_templates()
    app.state.throttle = throttle or LoginThrottle()

    def _audit_lock(event: str, key: ThrottleKey, detail: str) -> None:
        audit(
            services,
            actor="login throttle",
            action=event,
            target=str(key),
            result="ok",
            detail=detail,
        )

    app.state.throttle.on_change = _audit_lock
    previous_key = services.settings.web.secret_key_previous
    app.add_middleware(
        RotatingSessionMiddleware,
        secret_key=services.settings.web.secret_key.get_secret_value(),
        previous_key=previous_key.get_secret_value() if previous_key else None,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=https_only,
    )

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return login_redirect(exc.next_path)

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    if face == "all":
        app.include_router(webhooks.router)
    for module in (health, auth, actions, triggers, activity, charts, pages):
        app.include_router(module.router)
    return app
