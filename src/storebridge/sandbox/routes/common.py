"""Helpers every API route uses: arguments, body, capability checks, answers.

WordPress validates arguments before it asks the endpoint's permission
callback, so routes call `validate` first and `authorize` second; an
anonymous request with a bad argument gets the 400, not the 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import Request, Response

from storebridge.sandbox.auth import Caller
from storebridge.sandbox.batch import run_batch
from storebridge.sandbox.errors import WooError, invalid_json
from storebridge.sandbox.listing import Page
from storebridge.sandbox.responses import (
    filter_fields,
    json_response,
    list_headers,
    wanted_fields,
)
from storebridge.sandbox.schema import Arg, validate
from storebridge.sandbox.urls import api_url

if TYPE_CHECKING:
    from storebridge.sandbox.sandbox import Sandbox

CAPABILITY_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "read": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}

ITEM_ARGS = {"context": Arg("string", enum=("view", "edit")), "force": Arg("boolean")}


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox behind the app."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def base_url_of(request: Request) -> str:
    """The home URL the caller used (set by the gate)."""
    return str(getattr(request.state, "sandbox_base_url", str(request.base_url).rstrip("/")))


def authorize(request: Request, action: str) -> Caller:
    """The endpoint's permission check: anonymous callers get 401 cannot_*."""
    caller: Caller | None = getattr(request.state, "sandbox_caller", None)
    if caller is None:
        code, message = CAPABILITY_ERRORS[action]
        raise WooError(code, message, 401)
    return caller


def query_args(request: Request) -> dict[str, Any]:
    """Query parameters as PHP parses them: `key[]=a&key[]=b` is a list, and a
    repeated plain key keeps its last value (`?sku=a&sku=b` is `sku=b`)."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(request.url.query, keep_blank_values=True):
        if key.endswith("[]"):
            result.setdefault(key[:-2], []).append(value)
        else:
            result[key] = value
    return result


def checked_args(request: Request, spec: dict[str, Arg]) -> dict[str, Any]:
    """Validated query parameters."""
    return validate(query_args(request), spec)


async def body_of(request: Request) -> Any:
    """The request body: JSON, or a form; malformed JSON is rest_invalid_json."""
    raw = await request.body()
    if not raw.strip():
        return {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError as error:
        raise invalid_json() from error


async def payload_of(request: Request, spec: dict[str, Arg]) -> dict[str, Any]:
    """A validated object body for create/update routes."""
    body = await body_of(request)
    return validate(body if isinstance(body, dict) else {}, spec)


def is_forced(request: Request) -> bool:
    """`force=true` on a DELETE."""
    return bool(checked_args(request, ITEM_ARGS).get("force"))


def one(
    request: Request,
    body: dict[str, Any],
    *,
    status: int = 200,
    location: str | None = None,
) -> Response:
    """A single-item answer (with `_fields` applied)."""
    base = base_url_of(request)
    fields = wanted_fields(query_args(request))
    headers = {"Location": api_url(base, location)} if location else None
    return json_response(
        filter_fields(body, fields, single=True), base, status=status, headers=headers
    )


def many(
    request: Request,
    page: Page[Any],
    render: Callable[[Any], dict[str, Any]],
) -> Response:
    """A list answer with paging headers (with `_fields` applied)."""
    base = base_url_of(request)
    fields = wanted_fields(query_args(request))
    items = [filter_fields(render(item), fields, single=False) for item in page.items]
    headers = list_headers(page, base_url=base, path=request.url.path, raw_query=request.url.query)
    return json_response(items, base, headers=headers)


def plain(request: Request, body: Any, *, status: int = 200) -> Response:
    """A JSON answer without list headers (batch results, notes lists)."""
    return json_response(body, base_url_of(request), status=status)


@dataclass(frozen=True, slots=True)
class BatchOperations:
    """What a ``/batch`` route does with each item, each returning the item as rendered."""

    create: Callable[[dict[str, Any]], dict[str, Any]]
    update: Callable[[int, dict[str, Any]], dict[str, Any]]
    delete: Callable[[int], dict[str, Any]]


async def answer_batch(
    request: Request, operations: Callable[[Sandbox, str], BatchOperations]
) -> Response:
    """A ``/batch`` route: body, permission, then every item (`sandbox.batch.run_batch`).

    `operations` gets the sandbox and the caller's base URL once the caller may batch.
    """
    body = await body_of(request)
    authorize(request, "batch")
    sandbox = sandbox_of(request)
    chosen = operations(sandbox, base_url_of(request))
    result = run_batch(
        sandbox.db,
        body,
        limit=sandbox.config.batch_limit,
        create=chosen.create,
        update=chosen.update,
        delete=chosen.delete,
    )
    return plain(request, result)
