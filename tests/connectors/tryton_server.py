"""A real trytond for the Tryton connector's tests: a database built once, a server per test.

`built_database` creates a SQLite database with `trytond-admin` (the modules
the connector needs) and seeds it with `tryton_seed.py`; the file is cached
under the system temp folder, keyed by the hash of uv.lock and of the seed
script, so only the first run of a machine pays the build (about a minute
here).  `TrytonServer` copies that file into a test's folder and runs
`trytond` on a free loopback port until the test ends.  Nothing here mocks
Tryton: the connector talks JSON-RPC to the real server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
DATABASE = "storebridge"
MODULES = ("sale_point", "web_shop", "sale_price_list", "product_attribute")
SEED_SCRIPT = HERE / "tryton_seed.py"


def _cache_key() -> str:
    digest = hashlib.sha256()
    for file in (ROOT / "uv.lock", SEED_SCRIPT):
        digest.update(file.read_bytes())
    digest.update(" ".join(MODULES).encode())
    return digest.hexdigest()[:16]


def _write_config(folder: Path, port: int | None = None) -> Path:
    config = folder / "trytond.conf"
    lines = ["[database]", "uri = sqlite://", f"path = {folder}"]
    if port is not None:
        # [web] listen in the file beats TRYTOND_WEB__LISTEN, so the port goes here
        lines += ["[web]", f"listen = 127.0.0.1:{port}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _build(folder: Path, admin_password: str) -> None:
    config = _write_config(folder)
    (folder / f"{DATABASE}.sqlite").touch()  # trytond's SQLite backend opens, never creates
    password_file = folder / "admin-password"
    password_file.write_text(admin_password, encoding="utf-8")
    env = {**os.environ, "TRYTONPASSFILE": str(password_file)}
    subprocess.run(
        [
            str(BIN / "trytond-admin"),
            *("-c", str(config), "-d", DATABASE, "--all", "--activate-dependencies"),
            *("--email", "admin@example.com", "-u", *MODULES),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, str(SEED_SCRIPT), str(config), DATABASE],
        check=True,
        capture_output=True,
    )
    password_file.unlink()


def built_database(admin_password: str) -> Path:
    """The seeded SQLite file, built on the first call of this lock-file hash and then reused."""
    cache = Path(tempfile.gettempdir()) / "storebridge-tryton" / _cache_key()
    database = cache / f"{DATABASE}.sqlite"
    if database.exists():
        return database
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=cache.parent))
    try:
        _build(staging, admin_password)
        cache.mkdir(exist_ok=True)
        # rename is atomic: a parallel session sees the whole file or none
        os.replace(staging / f"{DATABASE}.sqlite", database)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"building the Tryton test database failed: {exc.stderr.decode()[-2000:]}"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TrytonServer:
    """`trytond` serving a private copy of the built database on a loopback port."""

    def __init__(self, database_file: Path, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database_file, folder / f"{DATABASE}.sqlite")
        self.config = _write_config(folder, self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_path = folder / f"{DATABASE}.sqlite"
        self._process: subprocess.Popen[bytes] | None = None
        self.pristine = database_file

    def reset(self) -> None:
        """Put the freshly built database back under the running (idle) server."""
        source = sqlite3.connect(self.pristine)
        target = sqlite3.connect(self.database_path, timeout=60)
        try:
            source.backup(target)  # page by page, under SQLite's own locks
        finally:
            source.close()
            target.close()

    def start(self) -> None:
        log = (self.folder / "trytond.log").open("wb")
        self._process = subprocess.Popen(
            [str(BIN / "trytond"), "-c", str(self.config)],
            env={**os.environ, "TRYTOND_DATABASE_NAMES": DATABASE},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"trytond exited: {(self.folder / 'trytond.log').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.post(
                    f"{self.url}/{DATABASE}/rpc/",
                    json={"method": "common.server.version", "params": []},
                )
                if answer.status_code in (200, 401):  # 401: up, and asking for a login
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("trytond did not answer within 60 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> TrytonServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serving(database_file: Path, folder: Path) -> Iterator[TrytonServer]:
    with TrytonServer(database_file, folder) as server:
        yield server
