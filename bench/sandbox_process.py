"""The WooCommerce sandbox in its own process: the "remote store" every scenario talks to.

`SandboxProcess` runs ``python -m storebridge sandbox --port N --latency MS``
as a child process, so the emulator's CPU and memory never mix with
StoreBridge's, and every request pays the configured latency over a real
socket.  It also speaks the sandbox's control plane (``/_sandbox``): reset,
request counters, bulk seeding and shopper orders, none of which is counted
as API traffic.

Example::

    with SandboxProcess(latency_ms=50) as sandbox:
        sandbox.reset_counters()
        ...                                  # StoreBridge works against sandbox.url
        print(sandbox.counters()["writes"])
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs installed

__all__ = ["SandboxProcess", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class SandboxProcess:
    """A sandbox served by a child process on a local port."""

    def __init__(
        self,
        *,
        latency_ms: float = 50.0,
        assume_https: bool = False,
        startup_timeout: float = 60.0,
        webhook_delay_s: float = 0.0,
        port: int | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self.webhook_delay_s = webhook_delay_s
        self.assume_https = assume_https
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._control = httpx.Client(base_url=f"{self.url}/_sandbox", timeout=120.0)

    @property
    def command(self) -> list[str]:
        """The command line the child runs."""
        command = [sys.executable, "-m", "storebridge", "sandbox", "--port", str(self.port)]
        command += [
            "--latency",
            f"{self.latency_ms:g}",
            "--webhook-delay",
            f"{self.webhook_delay_s:g}",
        ]
        if self.assume_https:
            command.append("--assume-https")
        return command

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self._process is None:
            raise RuntimeError("the sandbox process is not running")
        return self._process.pid

    def start(self) -> None:
        """Start the child and wait until its health probe answers."""
        self._process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"the sandbox exited at start-up: {error.strip()}")
            try:
                if self._control.get("/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the sandbox did not answer within {self._startup_timeout} s")

    def stop(self) -> None:
        """Stop the child (politely, then firmly) and close the control client."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        self._control.close()

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

    # -- control plane -----------------------------------------------------------------

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self._control.request(method, path, json=payload)
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def reset(self) -> None:
        """Forget every product, order and counter."""
        self._call("POST", "/reset")
        self.reset_counters()

    def counters(self) -> dict[str, Any]:
        """Request counters since the last reset: ``requests``, ``reads``, ``writes``, ``total``."""
        counters: dict[str, Any] = self._call("GET", "/counters")
        return counters

    def reset_counters(self) -> None:
        """Start counting API requests from zero."""
        self._call("DELETE", "/counters")

    def seed(self, count: int, *, sku_prefix: str, price: str = "9.99", stock: int = 10) -> None:
        """Bulk-create simple products (the sandbox's fast seeding, not API traffic)."""
        self._call(
            "POST",
            "/seed",
            {"count": count, "sku_prefix": sku_prefix, "price": price, "stock": stock},
        )

    def place_orders(self, orders: Sequence[dict[str, Any]]) -> list[int]:
        """Shoppers check out `orders` (control-plane payloads); returns the order ids."""
        return [int(self._call("POST", "/orders", order)["id"]) for order in orders]

    # -- the child's own footprint -----------------------------------------------------

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the sandbox process has used so far."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)
