"""Run the sandbox as a real HTTP server in a background thread.

`running_sandbox(config)` starts uvicorn on a free port of 127.0.0.1, waits
until it answers, yields the base URL and stops it afterwards. The demo, the
end-to-end tests and the benchmarks use it; `SandboxServer` gives access to
the in-process `Sandbox` as well, and `AppServer` serves any ASGI app the same
way (the browser tests serve the dashboard with it).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

import httpx
import uvicorn
from starlette.types import ASGIApp

from storebridge.sandbox.app import create_sandbox_app
from storebridge.sandbox.config import SandboxConfig
from storebridge.sandbox.gate import SimulatedDisconnect, SimulatedTimeout
from storebridge.sandbox.sandbox import Sandbox


class _HideSimulatedFaults(logging.Filter):
    """Injected connection drops are on purpose; keep their tracebacks out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, SimulatedDisconnect | SimulatedTimeout)


def quiet_simulated_faults() -> None:
    """Install the log filter on uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideSimulatedFaults) for f in logger.filters):
        logger.addFilter(_HideSimulatedFaults())


class AppServer:
    """An ASGI app served by uvicorn from a daemon thread, on a socket bound at once.

    Port 0 (the default) takes a free port; `base_url` is known before `start`.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, log_level="warning", lifespan="on", access_log=False, date_header=False
            )
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until `ready` says so."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._thread.is_alive():
            if self._server.started and self.ready():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.base_url} did not start within {timeout} seconds")

    def ready(self) -> bool:
        """Whether the app answers, once uvicorn has started (by default: it does)."""
        return True

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class SandboxServer(AppServer):
    """A sandbox served by uvicorn from a daemon thread."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.sandbox = sandbox or Sandbox(config)
        super().__init__(create_sandbox_app(sandbox=self.sandbox), host=host, port=port)

    @property
    def api_url(self) -> str:
        """The wc/v3 root."""
        return f"{self.base_url}/wp-json/wc/v3"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the health probe answers."""
        quiet_simulated_faults()
        try:
            super().start(timeout)
        except RuntimeError:
            raise RuntimeError(f"the sandbox did not start within {timeout} seconds") from None

    def ready(self) -> bool:
        try:
            httpx.get(f"{self.base_url}/_sandbox/health", timeout=1.0)
        except httpx.HTTPError:
            return False
        return True

    def stop(self) -> None:
        """Stop serving and release the sandbox."""
        super().stop()
        self.sandbox.close()


@contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[str]:
    """Serve a fresh sandbox on a free port; yields its base URL."""
    with SandboxServer(config) as server:
        yield server.base_url
