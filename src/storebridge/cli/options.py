"""Options and settings loading shared by every command that reads the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storebridge.errors import ConfigError
from storebridge.settings import Settings, load_settings

__all__ = ["ConfigOption", "StoreOption", "load_or_exit"]

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="configuration file (default: $STOREBRIDGE_CONFIG or ./storebridge.toml)",
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", "-s", help="name of the store to use, as in stores.NAME (default: every store)"
    ),
]


def load_or_exit(config: Path | None) -> Settings:
    """The settings, or the configuration error on stderr and exit status 2."""
    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
