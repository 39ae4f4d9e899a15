"""`storebridge run` (and `storebridge worker`): running StoreBridge as a service.

One uvicorn process serves the dashboard and ``/webhooks/woocommerce/<store>``
while the embedded scheduler runs every store's jobs at their intervals.
With ``[web].webhook_port`` set, the webhook receiver listens on
``webhook_host:webhook_port`` and the dashboard's listener serves no webhook;
with ``[web].forwarded_allow_ips`` set, both trust those proxies'
``X-Forwarded-*`` headers and the session cookie is Secure.
SIGINT (Ctrl-C) or SIGTERM stops it gracefully: no new run starts, the runs
in flight finish (at most ``--grace`` seconds), and the process exits with
status 0.  A second Ctrl-C interrupts the runs at once.

`storebridge worker` runs the same jobs as a distributed procrastinate
worker on PostgreSQL storage (`runner.distributed`); start as many as needed,
and `storebridge run --no-scheduler` for the dashboard and webhooks (whose
"Sync now" and "Push now" then queue the job for the workers, `queue_trigger`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp

from storebridge.bootstrap import Services, build_services
from storebridge.cli.options import ConfigOption, load_or_exit
from storebridge.errors import ConfigError
from storebridge.persistence.db import current_revision, head_revision
from storebridge.runner.distributed import DistributedRunner, connector_for, ensure_schema
from storebridge.runner.logs import uvicorn_log_config
from storebridge.runner.scheduler import Scheduler
from storebridge.runner.server import (
    HANDLED_SIGNALS,
    CompanionServer,
    GracefulServer,
    configure_logging,
    serve_together,
)
from storebridge.runner.triggers import JobTrigger, QueueTrigger
from storebridge.settings.models import WebSettings
from storebridge.web import create_web_app

__all__ = ["ConfigOption", "open_services", "queue_trigger", "run", "serve", "worker"]

logger = logging.getLogger("storebridge.runner")


@contextmanager
def open_services(config: Path | None) -> Iterator[Services]:
    """Services over a database migrated to this version's schema (else exit status 2)."""
    settings = load_or_exit(config)
    services = build_services(settings)
    try:
        try:
            revision = current_revision(services.engine)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            typer.echo(
                f"error: cannot use the database {settings.storage.display_url}: {reason}",
                err=True,
            )
            raise typer.Exit(code=2) from None
        if revision != head_revision():
            typer.echo(
                f"error: the database {settings.storage.display_url} is at revision "
                f"{revision or 'none'}, not {head_revision()}: run `storebridge db upgrade`",
                err=True,
            )
            raise typer.Exit(code=2)
        yield services
    finally:
        services.close()


def serve(
    services: Services,
    *,
    host: str,
    port: int,
    scheduler: Scheduler | None,
    grace: float | None,
) -> None:
    """Serve the web app(s) (and run `scheduler`) until SIGINT/SIGTERM."""
    web = services.settings.web
    app = create_web_app(
        services,
        scheduler=scheduler,
        trigger=None if scheduler else queue_trigger(services),
        shutdown_grace_s=grace,
        https_only=web.behind_proxy,
        face="dashboard" if web.separate_webhooks else "all",
    )
    main = GracefulServer(
        listener_config(app, web, host=host, port=port),
        on_force=scheduler.interrupt if scheduler else None,
    )
    companions: list[CompanionServer] = []
    if web.webhook_port is not None:
        hooks = create_web_app(services, face="webhooks")
        companions.append(
            CompanionServer(
                listener_config(hooks, web, host=web.webhook_host, port=web.webhook_port)
            )
        )
    asyncio.run(serve_together(main, companions))


def queue_trigger(services: Services) -> JobTrigger | None:
    """Without a scheduler, "Sync now" queues for the workers (PostgreSQL storage only)."""
    try:
        connector = connector_for(services.settings.storage.sqlalchemy_url)
    except ConfigError:
        return None  # SQLite: no workers, so nothing to hand a job to
    return QueueTrigger(DistributedRunner(services, connector))


def listener_config(app: ASGIApp, web: WebSettings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration of one listener: proxy headers trusted only when configured."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level="info",
        log_config=uvicorn_log_config(),
        access_log=False,
        proxy_headers=web.behind_proxy,
        forwarded_allow_ips=list(web.forwarded_allow_ips) or None,
    )


def run(
    config: ConfigOption = None,
    host: Annotated[
        str | None,
        typer.Option(help="dashboard interface to bind (default: web.host in the config)"),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="dashboard TCP port (default: web.port in the config)")
    ] = None,
    grace: Annotated[
        float, typer.Option(help="seconds runs in flight may take to finish at shutdown")
    ] = 120.0,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="run the jobs, or only serve")
    ] = True,
) -> None:
    """Run the jobs on schedule and serve the dashboard and webhook receiver."""
    configure_logging()
    with open_services(config) as services:
        web = services.settings.web
        bind_host, bind_port = host or web.host, port or web.port
        jobs = Scheduler(services) if scheduler else None
        logger.info(
            "StoreBridge on http://%s:%s (stores: %s; scheduler %s)",
            bind_host,
            bind_port,
            ", ".join(services.store_names()),
            "on" if jobs else "off",
        )
        if web.webhook_port is not None:
            logger.info("webhook receiver on http://%s:%s", web.webhook_host, web.webhook_port)
        serve(services, host=bind_host, port=bind_port, scheduler=jobs, grace=grace)


def worker(
    config: ConfigOption = None,
    concurrency: Annotated[int, typer.Option(min=1, help="jobs run at once by this worker")] = 4,
    grace: Annotated[
        float, typer.Option(help="seconds jobs in flight may take to finish at shutdown")
    ] = 120.0,
) -> None:
    """Run jobs as a distributed worker (procrastinate on PostgreSQL storage)."""
    configure_logging()
    with open_services(config) as services:
        try:
            connector = connector_for(services.settings.storage.sqlalchemy_url)
        except ConfigError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None
        asyncio.run(_work(DistributedRunner(services, connector), concurrency, grace))


async def _work(runner: DistributedRunner, concurrency: int, grace: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in HANDLED_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    async with runner.app.open_async():
        if await ensure_schema(runner.app):
            logger.info("created procrastinate's queue tables")
        ticker = asyncio.create_task(runner.tick_forever(runner.tick_seconds))
        working = asyncio.create_task(
            runner.work(concurrency=concurrency, shutdown_graceful_timeout=grace)
        )
        logger.info("worker started (stores: %s)", ", ".join(runner.services.store_names()))
        await stop.wait()
        logger.info("stopping: finishing the jobs in flight")
        ticker.cancel()
        working.cancel()
        await asyncio.gather(ticker, working, return_exceptions=True)
