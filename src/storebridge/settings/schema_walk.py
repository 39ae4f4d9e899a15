"""Follow a dotted configuration path through the settings models.

The loader needs to know, for a path such as ``stores.main.woocommerce.consumer_secret``,
what type lives there: whether it is a secret (to mask it and to accept a
``*_file`` variant), whether it is a list or table (so an environment variable
holding it is parsed as JSON), and which keys are allowed beside it (to
suggest a spelling).  Pydantic reports error locations with the tag of a
discriminated union inserted (``connector.file_feed.path``); `walk` drops such
tags so paths read the way the TOML file is written.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

__all__ = ["Location", "flatten", "is_secret", "is_structured", "models_in", "resolve", "walk"]

_COLLECTIONS = (list, tuple, dict, set, frozenset)


def flatten(annotation: Any) -> list[Any]:
    """The alternatives of an annotation: unions and `Annotated` unwrapped, `None` dropped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return flatten(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in flatten(arg)]
    if annotation is type(None):
        return []
    return [annotation]


def models_in(annotations: Sequence[Any]) -> list[type[BaseModel]]:
    """The pydantic models among `annotations` (after flattening)."""
    found: list[type[BaseModel]] = []
    for annotation in annotations:
        for member in flatten(annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                found.append(member)
    return found


def resolve(annotations: Sequence[Any], segment: str) -> list[Any] | None:
    """The annotations reached by stepping into `segment`; None when no alternative has it."""
    reached: list[Any] = []
    for annotation in annotations:
        for member in flatten(annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                field = member.model_fields.get(segment)
                if field is not None:
                    reached.append(field.annotation)
            elif get_origin(member) is dict:
                reached.append(get_args(member)[1])
    return reached or None


@dataclass(frozen=True, slots=True)
class Location:
    """Where a path lands: the path as written in TOML, and the types found there."""

    path: tuple[str, ...]
    annotations: tuple[Any, ...]
    parent: tuple[Any, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def walk(root: type[BaseModel], path: Sequence[str | int]) -> Location:
    """Follow `path` from `root`, dropping discriminated-union tags pydantic inserts."""
    current: list[Any] = [root]
    parent: list[Any] = []
    written: list[str] = []
    for raw in path:
        segment = str(raw)
        reached = resolve(current, segment)
        if reached is None and len(models_in(current)) > 1:
            continue  # a union tag such as "file_feed": not part of the TOML path
        written.append(segment)
        parent = current
        current = reached or []
    return Location(tuple(written), tuple(current), tuple(parent))


def is_secret(annotations: Sequence[Any]) -> bool:
    """Whether any alternative at this place is a `SecretStr`, or a list of them."""
    for annotation in annotations:
        for member in flatten(annotation):
            if isinstance(member, type) and issubclass(member, SecretStr):
                return True
            if get_origin(member) in (list, tuple) and is_secret(
                [arg for arg in get_args(member) if arg is not Ellipsis]
            ):
                return True
    return False


def is_structured(annotations: Sequence[Any]) -> bool:
    """Whether this place holds a list or a table (given as JSON in an environment variable)."""
    for annotation in annotations:
        for member in flatten(annotation):
            if get_origin(member) in _COLLECTIONS or member in _COLLECTIONS:
                return True
            if isinstance(member, type) and issubclass(member, BaseModel):
                return True
    return False
