"""The front door of the emulated API (an ASGI middleware around the app).

For every request under /wp-json/ it, in order: counts the request by route
template, waits the configured latency (asyncio.sleep, so other requests
proceed), applies an injected fault, authenticates the caller exactly like
WooCommerce (before any route is matched) and checks the key's read/write
permission; a write that gets this far goes into the write journal. The caller and the home URL travel to the routes in the ASGI
scope state. The control plane (/_sandbox) bypasses all of it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import httpx
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storebridge.sandbox.auth import RequestFacts
from storebridge.sandbox.errors import WooError, no_route
from storebridge.sandbox.events import current_base_url
from storebridge.sandbox.responses import WooJSONResponse, error_response, json_response
from storebridge.sandbox.urls import API_PREFIX

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

API_ROOT = "/wp-json/"


def _dated(send: Send, now: datetime) -> Send:
    """Add the ``Date`` header a web server sends, from the sandbox clock.

    It must agree with the dates the sandbox stamps on objects (its clock may
    be a test's `ManualClock`), so the servers running the sandbox are told
    not to add their own (`date_header=False`).
    """
    value = formatdate(now.timestamp(), usegmt=True).encode("latin-1")

    async def dated(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"date" for name, _ in headers):
                message = {**message, "headers": [*headers, (b"date", value)]}
        await send(message)

    return dated


class SimulatedDisconnect(httpx.RemoteProtocolError):
    """Raised in-process when a fault closes the connection (a real server just closes it)."""


class SimulatedTimeout(httpx.ReadTimeout):
    """Raised in-process when a fault stalls a request past the client's patience."""


class ApiGate:
    """Counting, latency, faults and authentication for /wp-json requests."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, routes: list[BaseRoute]) -> None:
        self._app = app
        self._sandbox = sandbox
        # The API routes, with paths relative to /wp-json/wc/v3.
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or not scope["path"].startswith(API_ROOT):
            await self._app(scope, receive, send)
            return
        sandbox = self._sandbox
        method = scope["method"]
        template, methods = self._route(scope)
        sandbox.counters.record(method, template)
        if sandbox.config.latency_seconds > 0:
            await asyncio.sleep(sandbox.config.latency_seconds)
        fault = sandbox.faults.decide(method, scope["path"])
        if fault is not None:
            sandbox.counters.record_fault(fault)
        if fault in ("429", "500", "502", "503"):
            await _fault_response(fault, sandbox.faults.config.retry_after_seconds)(
                scope, receive, send
            )
            return
        if fault == "drop":
            await _drop(
                send, SimulatedDisconnect("Server disconnected without sending a response.")
            )
        if fault == "timeout":
            await asyncio.sleep(sandbox.faults.config.timeout_seconds)
            await _drop(send, SimulatedTimeout("The read operation timed out (simulated)."))
        body = await _read_body(receive)
        facts = self._facts(scope, body)
        state = scope.setdefault("state", {})
        state["sandbox_base_url"] = facts.base_url
        token = current_base_url.set(facts.base_url)
        try:
            try:
                caller = sandbox.auth.authenticate(facts)
                if caller is not None:
                    sandbox.auth.check_permission(caller, method)
            except WooError as error:
                await error_response(error, facts.base_url)(scope, receive, send)
                return
            state["sandbox_caller"] = caller
            if method == "OPTIONS":
                await self._options(methods, facts.base_url)(scope, receive, send)
                return
            if method not in ("GET", "HEAD"):
                sandbox.journal.record(method, template, scope["path"], body)
            replay = _replay(body)
            if fault == "drop_after":
                await self._app(scope, replay, _discard)
                await _drop(send, SimulatedDisconnect("Server disconnected after processing."))
            await self._app(scope, replay, _dated(send, sandbox.clock()))
        finally:
            current_base_url.reset(token)

    def _route(self, scope: Scope) -> tuple[str, list[str]]:
        """The matched route template (relative to /wp-json/wc/v3) and its methods."""
        path = scope["path"]
        if not path.startswith(API_PREFIX + "/"):
            return "<no route>", []
        probe = {**scope, "path": path.removeprefix(API_PREFIX), "method": "GET", "root_path": ""}
        template: str | None = None
        methods: set[str] = set()
        for route in self._routes:
            route_path = str(getattr(route, "path", ""))
            if template is not None and route_path != template:
                continue
            match, _ = route.matches(probe)
            if match == Match.NONE:
                continue
            template = route_path
            methods.update(getattr(route, "methods", None) or ())
        return template or "<no route>", sorted(methods)

    def _facts(self, scope: Scope, body: bytes) -> RequestFacts:
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        if self._sandbox.config.assume_https:
            forwarded = headers.get("x-forwarded-proto", "")
            is_https = forwarded.split(",")[0].strip().lower() == "https" if forwarded else True
        else:
            is_https = scope.get("scheme") == "https"
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("localhost", 80)
            host = f"{server[0]}:{server[1]}"
        query = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
        form: list[tuple[str, str]] = []
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qsl(body.decode(errors="replace"), keep_blank_values=True)
        return RequestFacts(
            method=scope["method"],
            is_https=is_https,
            base_url=f"{'https' if is_https else 'http'}://{host}",
            path=scope["path"],
            query=query,
            form=form,
            authorization=headers.get("authorization", ""),
        )

    @staticmethod
    def _options(methods: list[str], base_url: str) -> WooJSONResponse:
        if not methods:
            return error_response(no_route(), base_url)
        ordered = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in methods]
        body = {
            "namespace": "wc/v3",
            "methods": ordered,
            "endpoints": [{"methods": ordered, "args": {}}],
        }
        return json_response(body, base_url, headers={"Allow": ", ".join(ordered)})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Starlette listens for a disconnect while streaming; keep it waiting.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


async def _discard(message: Message) -> None:
    """A `send` that throws the answer away (the drop_after fault)."""
    del message


async def _drop(send: Send, error: Exception) -> None:
    """Start an answer that never completes, then fail: the client sees a dead connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"65536")],
        }
    )
    raise error


def _fault_response(kind: str, retry_after: int) -> Response:
    if kind == "429":
        body = {
            "code": "rest_too_many_requests",
            "message": "Too many requests. Please retry later.",
            "data": {"status": 429},
        }
        return WooJSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after)})
    if kind == "500":
        body = {
            "code": "internal_server_error",
            "message": "<p>There has been a critical error on this website.</p>",
            "data": {"status": 500},
            "additional_errors": [],
        }
        return WooJSONResponse(body, status_code=500)
    title = "502 Bad Gateway" if kind == "502" else "503 Service Temporarily Unavailable"
    html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    headers = {"Retry-After": str(retry_after)} if kind == "503" else None
    return HTMLResponse(html, status_code=int(kind), headers=headers)
