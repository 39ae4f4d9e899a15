"""WooCommerce-shaped errors, spelled exactly as the real store spells them.

Every failure inside the sandbox is a `WooError`. Its body is the WordPress
REST error object `{"code", "message", "data": {"status": N, ...}}`; a few
WooCommerce endpoints (refunds) put the bare status number in `data`, which
`bare_data` reproduces. The helpers below are the codes the golden captures
show; keep the wording byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class WooError(Exception):
    """An error response of the emulated REST API."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        *,
        extra: dict[str, Any] | None = None,
        bare_data: bool = False,
        data_status: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra or {})
        self.bare_data = bare_data
        # The status named in a bare `data` when it differs from the HTTP one (golden 180).
        self.data_status = data_status

    def data(self) -> Any:
        """The `data` member of the error body."""
        if self.bare_data:
            return self.data_status or self.status
        return {"status": self.status, **self.extra}

    def body(self) -> dict[str, Any]:
        """The JSON error object."""
        return {"code": self.code, "message": self.message, "data": self.data()}


@dataclass(frozen=True)
class ParamProblem:
    """One invalid parameter, as WordPress' schema validation reports it."""

    code: str
    message: str
    data: Any = field(default=None)


def invalid_params(problems: dict[str, ParamProblem]) -> WooError:
    """400 rest_invalid_param listing every bad parameter."""
    return WooError(
        "rest_invalid_param",
        "Invalid parameter(s): " + ", ".join(problems),
        400,
        extra={
            "params": {name: problem.message for name, problem in problems.items()},
            "details": {
                name: {"code": p.code, "message": p.message, "data": p.data}
                for name, p in problems.items()
            },
        },
    )


def missing_params(names: list[str]) -> WooError:
    """400 rest_missing_callback_param."""
    return WooError(
        "rest_missing_callback_param",
        "Missing parameter(s): " + ", ".join(names),
        400,
        extra={"params": names},
    )


def no_route() -> WooError:
    """404 rest_no_route, also used for a known path with an unknown method."""
    return WooError("rest_no_route", "No route was found matching the URL and request method.", 404)


def invalid_json() -> WooError:
    """400 rest_invalid_json, what PHP's json_decode reports for a syntax error."""
    return WooError(
        "rest_invalid_json",
        "Invalid JSON body passed.",
        400,
        extra={"json_error_code": 4, "json_error_message": "Syntax error"},
    )


def invalid_id(post_type: str, status: int) -> WooError:
    """woocommerce_rest_<type>_invalid_id: 404 on GET/DELETE, 400 on PUT."""
    return WooError(f"woocommerce_rest_{post_type}_invalid_id", "Invalid ID.", status)


def already_trashed(post_type: str) -> WooError:
    """410: DELETE without force on something already in the trash."""
    return WooError(
        "woocommerce_rest_already_trashed", f"The {post_type} has already been deleted.", 410
    )


def trash_not_supported(message: str) -> WooError:
    """501: DELETE without force on a resource that cannot be trashed."""
    return WooError("woocommerce_rest_trash_not_supported", message, 501)


def too_many_items(limit: int) -> WooError:
    """413 for a batch above the limit."""
    return WooError(
        "woocommerce_rest_request_entity_too_large",
        f"Unable to accept more than {limit} items for this request.",
        413,
    )


def authentication_error(message: str) -> WooError:
    """401 woocommerce_rest_authentication_error."""
    return WooError("woocommerce_rest_authentication_error", message, 401)
