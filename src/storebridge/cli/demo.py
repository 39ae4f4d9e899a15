"""`storebridge demo`: a living integration in one command (what `make demo` runs).

In a folder (``.demo/``) it starts a WooCommerce sandbox on a free local
port, seeds the demo POS, migrates StoreBridge's database, creates the
``demo`` login, then runs StoreBridge (scheduler with short intervals,
webhook receiver, dashboard), registers the shop's order webhooks, prints the
dashboard URL and the login, and keeps store life going (web orders placed
and completed, till sales, receipts and price changes) until Ctrl-C, which
stops everything cleanly.  ``--pos tryton`` runs it over a real trytond
(started, seeded and stopped with the demo; connectors/tryton/demo_shop.py).
``--duration`` and ``--no-simulate`` serve tests and screenshots.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from storebridge.errors import ConfigError
from storebridge.runner.demo import (
    DEMO_STORE,
    DEMO_USER,
    DemoWorld,
    prepare_demo,
    register_webhooks,
)
from storebridge.runner.demo_life import StoreLife, live
from storebridge.runner.logs import uvicorn_log_config
from storebridge.runner.scheduler import Scheduler
from storebridge.runner.server import GracefulServer, configure_logging
from storebridge.web import create_web_app

__all__ = ["demo"]


class PosChoice(StrEnum):
    """`--pos`: which POS the demo runs."""

    demo = "demo"
    sql = "sql"
    tryton = "tryton"


#: Seconds runs in flight may take to finish when the demo stops.
SHUTDOWN_GRACE_S = 20.0


def _bind(host: str, port: int) -> socket.socket:
    """The dashboard's listening socket (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            typer.echo(
                f"error: port {port} is in use; pick another with --port N (0 picks a free one)",
                err=True,
            )
            raise typer.Exit(code=2) from None
        raise
    sock.listen(128)
    return sock


def _banner(world: DemoWorld, url: str, webhooks: int) -> None:
    lines = [
        "",
        "StoreBridge demo is running.",
        f"  dashboard:  {url}/",
        f"  login:      {DEMO_USER} / {world.password}",
        f"  shop:       {world.sandbox.api_url} (WooCommerce sandbox, {webhooks} webhooks)",
        f"  config:     {world.config_path}",
        "Store life is simulated: web orders, till sales, price changes. Ctrl-C stops it all.",
        "",
    ]
    typer.echo("\n".join(lines))


async def _run(
    world: DemoWorld, sock: socket.socket, url: str, duration: float | None, simulate: bool
) -> None:
    scheduler = Scheduler(world.services)
    app = create_web_app(world.services, scheduler=scheduler, shutdown_grace_s=SHUTDOWN_GRACE_S)
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        log_config=uvicorn_log_config(),
        access_log=False,
    )
    server = GracefulServer(config, on_force=scheduler.interrupt)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    if not await server.wait_ready(serving):
        await serving
        return
    _banner(world, url, await register_webhooks(world, url))
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, setattr, server, "should_exit", True)
    life = None
    if simulate:
        story = StoreLife(
            world.services, DEMO_STORE, world.sandbox.base_url, in_store=world.in_store_life()
        )
        life = asyncio.create_task(live(story, stopping=lambda: server.should_exit, say=typer.echo))
    await serving
    if life is not None:
        await life


def demo(
    folder: Annotated[
        Path, typer.Option("--dir", help="where the demo keeps its config and databases")
    ] = Path(".demo"),
    host: Annotated[str, typer.Option(help="interface of the dashboard")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="dashboard port (0: any free port)")] = 8080,
    duration: Annotated[
        float | None, typer.Option(help="stop by itself after this many seconds")
    ] = None,
    simulate: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="play store life")
    ] = True,
    fresh: Annotated[bool, typer.Option(help="forget the previous demo's shop and data")] = False,
    pos: Annotated[
        PosChoice,
        typer.Option(
            help="the POS: the built-in demo POS, the SQL connector on the sample POS schema "
            "(SQLite), or a real Tryton ERP started on loopback (needs the tryton extra; the "
            "first start builds its database, a few minutes); store life in the POS is "
            "simulated for the demo POS and Tryton"
        ),
    ] = PosChoice.demo,
) -> None:
    """Run the sandbox shop, the demo POS and StoreBridge with its dashboard."""
    configure_logging()
    sock = _bind(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    typer.echo(f"preparing the demo in {folder}/ ...")
    try:
        world = prepare_demo(
            folder, host=host, port=sock.getsockname()[1], fresh=fresh, pos=pos.value
        )
    except ConfigError as error:  # e.g. --pos tryton without the tryton extra installed
        sock.close()
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except BaseException:
        sock.close()
        raise
    try:
        asyncio.run(_run(world, sock, url, duration, simulate))
    finally:
        world.close()
        sock.close()
    typer.echo("demo stopped")
