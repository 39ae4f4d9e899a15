"""WordPress' REST argument validation, for the arguments the sandbox declares.

WordPress checks every declared argument against its JSON schema before a
controller runs, and reports all failures at once as 400 `rest_invalid_param`.
It also coerces: an integer argument accepts the string "5", a boolean accepts
"true"/"1", and an array argument accepts a comma list ("a,b"). A string
argument, though, rejects a JSON number: that is why `"regular_price": 9.99`
fails. `validate` does the same for a mapping of raw values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storebridge.sandbox.clock import parse_wp_date
from storebridge.sandbox.errors import ParamProblem, invalid_params, missing_params

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INTEGER = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class Arg:
    """The schema of one argument."""

    type: str | tuple[str, ...]
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    format: str | None = None
    items: Arg | None = None
    required: bool = False

    @property
    def types(self) -> tuple[str, ...]:
        """The allowed types as a tuple."""
        return (self.type,) if isinstance(self.type, str) else self.type


def is_email(value: str) -> bool:
    """is_email(), as far as the sandbox checks it."""
    return bool(_EMAIL.match(value))


def wp_list(items: tuple[str, ...] | list[str]) -> str:
    """wp_sprintf_l: "a, b, and c"."""
    values = list(items)
    if len(values) <= 1:
        return "".join(values)
    if len(values) == 2:
        return f"{values[0]} and {values[1]}"
    return ", ".join(values[:-1]) + ", and " + values[-1]


def _coerce(name: str, value: Any, arg: Arg) -> tuple[Any, ParamProblem | None]:
    """Coerce one value to its schema; return the value or the problem."""
    types = arg.types
    if value is None and "null" in types:
        return None, None
    for kind in types:
        ok, coerced = _as_type(kind, value)
        if ok:
            return _check_constraints(name, coerced, arg)
    message = f"{name} is not of type {','.join(types)}."
    return None, ParamProblem("rest_invalid_type", message, {"param": name})


def _as_type(kind: str, value: Any) -> tuple[bool, Any]:
    if kind == "string":
        return isinstance(value, str), value
    if kind == "integer":
        if isinstance(value, bool):
            return False, None
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return True, int(value.strip())
        return False, None
    if kind == "number":
        if isinstance(value, bool):
            return False, None
        if isinstance(value, int | float):
            return True, value
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                return False, None
        return False, None
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, int) and value in (0, 1):
            return True, bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return True, value.lower() in ("true", "1")
        return False, None
    if kind == "array":
        if isinstance(value, list):
            return True, value
        if isinstance(value, str):
            return True, [part for part in re.split(r"[,\s]+", value) if part]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, [value]
        return False, None
    if kind == "object":
        return isinstance(value, dict), value
    if kind == "null":
        return value is None, None
    return False, None


def _check_constraints(name: str, value: Any, arg: Arg) -> tuple[Any, ParamProblem | None]:
    if arg.enum is not None and isinstance(value, str) and value not in arg.enum:
        message = f"{name} is not one of {wp_list(arg.enum)}."
        return None, ParamProblem("rest_not_in_enum", message)
    if isinstance(value, int) and not isinstance(value, bool):
        problem = _bounds(name, value, arg)
        if problem is not None:
            return None, problem
    if arg.format == "date-time" and isinstance(value, str) and parse_wp_date(value) is None:
        return None, ParamProblem("rest_invalid_date", "Invalid date.")
    if arg.format == "email" and isinstance(value, str) and not _EMAIL.match(value):
        return None, ParamProblem("rest_invalid_email", "Invalid email address.")
    if isinstance(value, list) and arg.items is not None:
        coerced = []
        for index, item in enumerate(value):
            item_value, problem = _coerce(f"{name}[{index}]", item, arg.items)
            if problem is not None:
                return None, problem
            coerced.append(item_value)
        return coerced, None
    return value, None


def _bounds(name: str, value: int, arg: Arg) -> ParamProblem | None:
    low, high = arg.minimum, arg.maximum
    if low is not None and high is not None and not low <= value <= high:
        message = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        return ParamProblem("rest_out_of_bounds", message)
    if low is not None and high is None and value < low:
        return ParamProblem("rest_out_of_bounds", f"{name} must be greater than or equal to {low}")
    if high is not None and low is None and value > high:
        return ParamProblem("rest_out_of_bounds", f"{name} must be less than or equal to {high}")
    return None


def validate(values: Mapping[str, Any], spec: Mapping[str, Arg]) -> dict[str, Any]:
    """Validate and coerce the declared arguments present in `values`.

    Undeclared keys pass through untouched (WordPress ignores them). Raises
    the WooError WordPress would send for missing or invalid arguments.
    """
    missing = [name for name, arg in spec.items() if arg.required and name not in values]
    if missing:
        raise missing_params(missing)
    result = dict(values)
    problems: dict[str, ParamProblem] = {}
    for name, arg in spec.items():
        if name not in values:
            continue
        value, problem = _coerce(name, values[name], arg)
        if problem is not None:
            problems[name] = problem
        else:
            result[name] = value
    if problems:
        raise invalid_params(problems)
    return result


PAGING = {
    "page": Arg("integer", minimum=1),
    "per_page": Arg("integer", minimum=1, maximum=100),
    "offset": Arg("integer"),
    "order": Arg("string", enum=("asc", "desc")),
    "context": Arg("string", enum=("view", "edit")),
    "include": Arg("array", items=Arg("integer")),
    "exclude": Arg("array", items=Arg("integer")),
    "search": Arg("string"),
}

DATE_FILTERS = {
    "after": Arg("string", format="date-time"),
    "before": Arg("string", format="date-time"),
    "modified_after": Arg("string", format="date-time"),
    "modified_before": Arg("string", format="date-time"),
    "dates_are_gmt": Arg("boolean"),
}

CRUD_ORDERBY = ("date", "id", "include", "title", "slug", "modified")
