"""Serving the runner process: uvicorn with a graceful, exit-0 shutdown on SIGINT/SIGTERM.

uvicorn already stops accepting connections and runs the app's lifespan
shutdown (where the scheduler lets its runs in flight finish) when it gets
SIGINT or SIGTERM, but afterwards it raises the signal again, so the process
ends with a traceback or "killed by SIGTERM".  `GracefulServer` keeps the
shutdown and drops the re-raise: a stop asked for is a clean exit, status 0.
A second Ctrl-C calls `on_force` (the runner interrupts its runs then).

`serve_together` runs a second listener (the webhook receiver, when it has
its own port) in the same process and event loop: it installs no signal
handler of its own and stops when the main server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator
from types import FrameType

import uvicorn

from storebridge.runner.logs import configure_logging

__all__ = [
    "HANDLED_SIGNALS",
    "CompanionServer",
    "GracefulServer",
    "configure_logging",
    "serve_together",
]

logger = logging.getLogger("storebridge.runner")

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulServer(uvicorn.Server):
    """A uvicorn server whose signal handling ends in a clean exit (see the module docstring)."""

    def __init__(self, config: uvicorn.Config, on_force: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_force = on_force
        self.ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    async def wait_ready(self, serving: asyncio.Task[None]) -> bool:
        """Wait until the server listens (True) or `serving` ended first (False)."""
        ready = asyncio.ensure_future(self.ready.wait())
        try:
            await asyncio.wait({ready, serving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        return self.ready.is_set() and not serving.done()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Signal handlers can only be installed from the main thread (tests run it elsewhere).
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            logger.warning("second interrupt: stopping the runs in flight now")
            if self.on_force is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(self.on_force)
        else:
            logger.info(
                "%s received: finishing the runs in flight, then exiting (Ctrl-C again to force)",
                signal.Signals(sig).name,
            )
        super().handle_exit(sig, frame)


class CompanionServer(GracefulServer):
    """A second listener of the process: the main server owns the signals and stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve_together(main: GracefulServer, companions: list[CompanionServer]) -> None:
    """Start the companions, then serve `main`; when it stops, stop them too.

    A companion that cannot listen (port taken) ends the process before the
    main server starts, as a main server that cannot listen does.
    """
    tasks: list[asyncio.Task[None]] = []
    try:
        for companion in companions:
            task = asyncio.create_task(companion.serve())
            tasks.append(task)
            if not await companion.wait_ready(task):
                await task  # re-raises uvicorn's exit when it could not listen
                raise SystemExit(1)
        await main.serve()
    finally:
        for companion in companions:
            companion.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
