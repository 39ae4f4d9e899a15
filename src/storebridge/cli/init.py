"""`storebridge init`: write a commented example `storebridge.toml`.

The example runs as is against the demo POS and the local sandbox, so
`storebridge init && storebridge db upgrade && storebridge demo` works on a
fresh machine; it never overwrites an existing file unless told to.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from storebridge.settings import DEFAULT_CONFIG_PATH, render_example_config


def init(
    path: Annotated[
        Path, typer.Option("--path", "-p", help="where to write the configuration")
    ] = DEFAULT_CONFIG_PATH,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write an example configuration (demo POS + local WooCommerce sandbox)."""
    if path.exists() and not force:
        typer.echo(
            f"{path} already exists; not overwriting it (use --force to replace it)", err=True
        )
        raise typer.Exit(code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds secrets (dashboard key, webhook secret): readable by its owner only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(render_example_config())
    os.chmod(path, 0o600)
    typer.echo(f"wrote {path}")
    typer.echo("next: storebridge db upgrade   (creates the database)")
