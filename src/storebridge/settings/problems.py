"""Turn pydantic validation errors into messages an operator can act on.

Each `Problem` names the field as written in `storebridge.toml`
(``stores.main.woocommerce.url``), the offending value (masked when the field
is a secret, never shown for unknown keys, which may be a misspelt secret),
what is wrong, how to fix it, and where the value came from when it was not
the file itself (an environment variable or a secret file).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storebridge.errors import ConfigError
from storebridge.settings.schema_walk import Location, is_secret, models_in, walk

__all__ = ["InvalidSettings", "Problem", "problems_from"]

MASK = "'**********'"

#: Fixes for particular fields, matched against the end of the path.
_FIELD_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("woocommerce", "url"), "must start with http:// or https://, e.g. https://shop.example"),
    (
        ("web", "secret_key"),
        "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    (
        ("storage", "url"),
        'e.g. url = "sqlite:///var/storebridge.sqlite3" or '
        'url = "postgresql+psycopg://storebridge@db.example:5432/storebridge"',
    ),
    (
        ("stores",),
        "add a [stores.main] table with [stores.main.woocommerce] and "
        "[stores.main.connector] sub-tables (`storebridge init` writes an example)",
    ),
)

_TYPE_FIXES: Mapping[str, str] = {
    "int_parsing": "use a whole number without quotes, e.g. 300",
    "int_type": "use a whole number without quotes, e.g. 300",
    "int_from_float": "use a whole number, e.g. 300",
    "float_parsing": "use a number without quotes, e.g. 30.0",
    "float_type": "use a number without quotes, e.g. 30.0",
    "bool_parsing": "use true or false",
    "bool_type": "use true or false",
    "string_type": 'use text in quotes, e.g. "value"',
    "list_type": 'use a list, e.g. ["a", "b"]',
    "tuple_type": 'use a list, e.g. ["a", "b"]',
    "dict_type": "use a table ([section] or { key = value })",
    "model_type": "use a table ([section] or { key = value })",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One invalid setting, ready to be printed."""

    path: str
    message: str
    value: str | None = None  # already rendered (repr or mask); None when not shown
    fix: str | None = None
    origin: str | None = None  # e.g. "environment variable STOREBRIDGE_WEB__PORT"

    def __str__(self) -> str:
        text = self.path or "(top level)"
        if self.value is not None:
            text += f" = {self.value}"
        text += f": {self.message}"
        if self.fix:
            text += f"; fix: {self.fix}"
        if self.origin:
            text += f" (set by {self.origin})"
        return text


class InvalidSettings(ConfigError):
    """The configuration did not validate; `problems` lists every invalid field."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"{source} is invalid ({count} problem{'s' if count != 1 else ''}):\n{lines}"
        )


def _render_value(location: Location, value: Any) -> str | None:
    if isinstance(value, SecretStr) or is_secret(location.annotations):
        return MASK
    if not isinstance(value, str | int | float | bool):
        return None  # a whole table may hold secrets: never echo it
    if location.path == ("storage", "url") and isinstance(value, str):
        try:
            return repr(make_url(value).render_as_string(hide_password=True))
        except ArgumentError:
            return MASK if "@" in value else repr(value)
    return repr(value)


def _field_fix(path: tuple[str, ...]) -> str | None:
    for suffix, fix in _FIELD_FIXES:
        if path[-len(suffix) :] == suffix:
            return fix
    return None


def _missing_fix(location: Location) -> str:
    name = location.path[-1]
    table = ".".join(location.path[:-1])
    if models_in(location.annotations):
        return f"add a [{location.dotted}] table"
    if table:
        return f"add {name} = ... under [{table}]"
    return f"add {name} = ... at the top of the file"


def _unknown_key_fix(location: Location) -> str:
    name = location.path[-1]
    known = sorted({key for model in models_in(location.parent) for key in model.model_fields})
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}? (or remove it)"
    return f"remove it; allowed keys here: {', '.join(known)}"


def _problem(
    error: ErrorDetails, root: type[BaseModel], origins: Mapping[tuple[str, ...], str]
) -> Problem:
    location = walk(root, error["loc"])
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value: str | None = None
    if kind == "missing":
        # Say how to write a missing store or secret key, not merely that it is missing.
        special = location.path in (("stores",), ("web", "secret_key"))
        fix: str | None = _field_fix(location.path) if special else _missing_fix(location)
        message = "is required"
    elif kind == "extra_forbidden":
        fix = _unknown_key_fix(location)
        message = "is not a known setting"
    else:
        value = _render_value(location, error.get("input"))
        fix = _field_fix(location.path) or _TYPE_FIXES.get(kind)
        if kind in ("too_short", "string_too_short"):
            unit = "characters" if value is not None else "entries"
            message = f"is too short: at least {error.get('ctx', {}).get('min_length')} {unit}"
        if kind == "literal_error" and not fix:
            fix = f"use one of {error.get('ctx', {}).get('expected', '')}"
    origin = next(
        (
            origins[location.path[:end]]
            for end in range(len(location.path), 0, -1)
            if location.path[:end] in origins
        ),
        None,
    )
    return Problem(location.dotted, message, value, fix, origin)


def problems_from(
    error: ValidationError,
    root: type[BaseModel],
    origins: Mapping[tuple[str, ...], str] | None = None,
) -> list[Problem]:
    """One `Problem` per pydantic error, in the order pydantic reported them."""
    return [_problem(item, root, origins or {}) for item in error.errors()]
