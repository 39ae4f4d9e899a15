"""Starting `storebridge` commands in a subprocess and talking to them."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

STOREBRIDGE = [sys.executable, "-m", "storebridge"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Process:
    """A command whose output lines are collected as they come."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("STOREBRIDGE_CONFIG", None)
        self.popen = subprocess.Popen(
            [*STOREBRIDGE, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._queue.put(line.rstrip("\n"))

    def _drain(self) -> None:
        while True:
            try:
                self.lines.append(self._queue.get_nowait())
            except queue.Empty:
                return

    @property
    def output(self) -> str:
        self._drain()
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """The first output line matching `pattern` (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            self._drain()
            for line in self.lines[seen:]:
                match = re.search(pattern, line)
                if match:
                    return match
            seen = len(self.lines)
            if self.popen.poll() is not None:
                self._drain()
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")

    def wait_healthy(self, base_url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"exited early:\n{self.output}"
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{base_url}/healthz never answered:\n{self.output}")

    def stop(self, sig: signal.Signals, timeout: float = 60.0) -> int:
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        finally:
            self._drain()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)


def login(client: httpx.Client, user: str, password: str) -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": token.group(1), "next": "/"},
    )
