"""Read `storebridge.toml`, apply environment overrides and secret files, validate.

Precedence, lowest first: the defaults in `settings.models`, the TOML file,
then environment variables.

Environment variables
    ``STOREBRIDGE_<SECTION>__<KEY>...``: levels are separated by a double
    underscore and matched case-insensitively, e.g. ``STOREBRIDGE_STORAGE__URL``
    or ``STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET``.  Only
    variables whose first level is a top-level section (storage, web, runner,
    stores) are read, so ``STOREBRIDGE_CONFIG`` and unrelated variables are
    ignored.  A list or table is given as JSON
    (``STOREBRIDGE_STORES__MAIN__LOCATIONS='["store-1", "warehouse"]'``);
    every other value is text that pydantic converts (``8080``, ``true``).

Secret files
    Any secret field ``X`` may instead be given as ``X_file``, holding the path
    of a file whose content (trailing newline removed) is the secret, e.g.
    ``consumer_secret_file = "/run/secrets/woo_secret"`` in TOML or
    ``STOREBRIDGE_STORES__MAIN__WOOCOMMERCE__CONSUMER_SECRET_FILE`` in the
    environment; this is the Docker/Kubernetes secrets convention.  Giving both
    ``X`` and ``X_file`` is an error.

Relative paths (the SQLite file, secret files, connector paths) are relative to
the working directory StoreBridge runs in.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from storebridge.errors import ConfigError
from storebridge.settings.models import Settings
from storebridge.settings.problems import InvalidSettings, problems_from
from storebridge.settings.schema_walk import is_secret, is_structured, models_in, resolve, walk

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "ENV_PREFIX",
    "config_path",
    "load_settings",
    "parse_settings",
]

ENV_PREFIX = "STOREBRIDGE_"
CONFIG_ENV = "STOREBRIDGE_CONFIG"
DEFAULT_CONFIG_PATH = Path("storebridge.toml")
_FILE_SUFFIX = "_file"

Origins = dict[tuple[str, ...], str]


def config_path(path: Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The file to read: `path`, else ``$STOREBRIDGE_CONFIG``, else ``./storebridge.toml``."""
    if path is not None:
        return path
    from_env = environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else DEFAULT_CONFIG_PATH


def load_settings(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Load and validate the configuration file, with environment overrides applied.

    Args:
        path: the TOML file; None means ``$STOREBRIDGE_CONFIG`` or ``./storebridge.toml``.
        environ: where ``STOREBRIDGE_*`` overrides are read from.

    Raises:
        ConfigError: the file is missing or unreadable, is not TOML, or a value is
            invalid (then an `InvalidSettings` naming each field, value and fix).
    """
    file = config_path(path, environ)
    if not file.exists():
        raise ConfigError(
            f"no configuration file at {file}: run `storebridge init --path {file}` to write "
            f"an example, or pass --config PATH / set {CONFIG_ENV} to use another file"
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}; fix the syntax there") from None
    except RecursionError:
        # tomllib recurses once per level of nested arrays or inline tables.
        raise ConfigError(
            f"{file} is not valid TOML: arrays or inline tables nested too deeply"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); TOML files are UTF-8: save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {file}: {exc.__class__.__name__}: {exc}; check the path and its "
            "permissions"
        ) from None
    return parse_settings(data, environ=environ, source=str(file))


def parse_settings(
    data: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    source: str = "configuration",
) -> Settings:
    """Validate already-parsed TOML data (plus optional environment overrides).

    Raises:
        ConfigError: as `load_settings` does; `source` names the data in messages.
    """
    merged = _plain(data)
    origins: Origins = {}
    _apply_environment(merged, environ or {}, origins)
    _read_secret_files(merged, [Settings], (), origins)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise InvalidSettings(source, problems_from(exc, Settings, origins)) from None


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, mutable copy of the tables (lists and scalars are shared, never mutated)."""
    return {
        key: _plain(value) if isinstance(value, Mapping) else value for key, value in data.items()
    }


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str], origins: Origins) -> None:
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        segments = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
        if segments[0] not in Settings.model_fields:
            continue  # STOREBRIDGE_CONFIG and friends are not settings
        if "" in segments:
            raise ConfigError(
                f"environment variable {name} has an empty level: separate levels with exactly "
                "two underscores, e.g. STOREBRIDGE_STORES__MAIN__WEBHOOK_SECRET"
            )
        value: Any = environ[name]
        location = walk(Settings, segments)
        if is_structured(location.annotations) and not is_secret(location.annotations):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"environment variable {name} sets {'.'.join(segments)}, a list or table, "
                    f'so it must hold JSON, e.g. ["a", "b"] or {{"key": "value"}}: {exc}'
                ) from None
        _set(data, segments, value, name)
        origins[segments] = f"environment variable {name}"


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any, name: str) -> None:
    node = data
    for depth, segment in enumerate(path[:-1]):
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            where = ".".join(path[: depth + 1])
            raise ConfigError(
                f"environment variable {name} needs {where} to be a table, but the file sets it "
                f"to a single value; remove {where} from the file or rename the variable"
            )
        node = child
    node[path[-1]] = value


def _read_secret_files(
    data: dict[str, Any], annotations: list[Any], path: tuple[str, ...], origins: Origins
) -> None:
    """Replace every ``<secret>_file`` key by the content of the file it names."""
    models: list[type[BaseModel]] = models_in(annotations)
    for key in list(data):
        base = key.removesuffix(_FILE_SUFFIX)
        base_types = [m.model_fields[base].annotation for m in models if base in m.model_fields]
        if key != base and base_types and is_secret(base_types):
            field = ".".join((*path, base))
            if base in data:
                raise ConfigError(
                    f"{field} is given both directly and as {key}; keep only one of them"
                )
            file = data.pop(key)
            data[base] = _read_secret(field, file)
            origins[(*path, base)] = f"the secret file {file}"
            continue
        child = resolve(annotations, key)
        if isinstance(data[key], dict) and child:
            _read_secret_files(data[key], child, (*path, key), origins)


def _read_secret(field: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{field}_file must be the path of a file holding the secret")
    file = Path(raw)
    try:
        text = file.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the secret file {file} for {field}: {exc.__class__.__name__}; check "
            "the path and that StoreBridge may read it"
        ) from None
    if not text:
        raise ConfigError(f"the secret file {file} for {field} is empty; write the secret into it")
    return text
