"""A real trytond on loopback: a seeded database built once, then served from a copy.

`built_database` creates a SQLite database with `trytond-admin` (the modules
the connector needs), seeds it (`seed.py`, in a subprocess) and, when given a
`populate` step, serves it once to fill it over JSON-RPC (the demo loads its
catalogue so).  The file is cached under the system temp folder, keyed by the
installed Tryton versions, `seed.py` and the caller's `key` (which names what
`populate` adds, its code included), so only the first build of a machine pays
(a few minutes on a busy machine); the next ones reuse it.

`TrytonServer` copies that file into a folder of its own and runs `trytond`
on a free loopback port until stopped.  The tests, the benchmark and
`storebridge demo --pos tryton` all serve Tryton this way; nothing mocks it.

Needs the `tryton` extra (``pip install 'storebridge[tryton]'``): trytond,
its modules and proteus, which the seeding runs on.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from storebridge.errors import ConfigError

__all__ = [
    "DATABASE",
    "MODULES",
    "TrytonServer",
    "built_database",
    "free_port",
]

log = logging.getLogger(__name__)

BIN = Path(sys.executable).parent
DATABASE = "storebridge"
MODULES = ("sale_point", "web_shop", "sale_price_list", "product_attribute")
#: The code that decides what a built database holds: a change to it is a new build.
_SEED_SOURCE = Path(__file__).with_name("seed.py")
#: Seconds trytond may take to load its modules and answer (it takes ~20 s on a busy machine).
START_TIMEOUT_S = 90.0


def _tryton_versions() -> str:
    names = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in importlib.metadata.distributions()
        if str(dist.metadata["Name"]).lower().replace("-", "_").startswith(("trytond", "proteus"))
    )
    if not any(name.lower().startswith("trytond==") for name in names):
        raise ConfigError(
            "trytond is not installed; install StoreBridge with its Tryton extra "
            "(pip install 'storebridge[tryton]', or `uv sync` in a checkout)"
        )
    return ",".join(names)


def _cache_key(profile: str, key: str) -> str:
    digest = hashlib.sha256()
    digest.update(_tryton_versions().encode())
    digest.update(_SEED_SOURCE.read_bytes())
    digest.update(f"{' '.join(MODULES)}|{profile}|{key}".encode())
    return digest.hexdigest()[:16]


def _write_config(folder: Path, port: int | None = None) -> Path:
    config = folder / "trytond.conf"
    lines = ["[database]", "uri = sqlite://", f"path = {folder}"]
    if port is not None:
        # [web] listen in the file beats TRYTOND_WEB__LISTEN, so the port goes here
        lines += ["[web]", f"listen = 127.0.0.1:{port}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _build(folder: Path, admin_password: str, profile: str) -> None:
    config = _write_config(folder)
    (folder / f"{DATABASE}.sqlite").touch()  # trytond's SQLite backend opens, never creates
    password_file = folder / "admin-password"
    password_file.write_text(admin_password, encoding="utf-8")
    env = {**os.environ, "TRYTONPASSFILE": str(password_file)}
    subprocess.run(  # noqa: S603 - our own interpreter and trytond, fixed arguments
        [
            str(BIN / "trytond-admin"),
            *("-c", str(config), "-d", DATABASE, "--all", "--activate-dependencies"),
            *("--email", "admin@example.com", "-u", *MODULES),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    password_file.unlink()
    subprocess.run(  # noqa: S603 - our own interpreter and trytond, fixed arguments
        [
            sys.executable,
            *("-m", "storebridge.connectors.tryton.seed"),
            *(str(config), DATABASE, profile),
        ],
        check=True,
        capture_output=True,
    )


def built_database(
    admin_password: str,
    *,
    profile: str = "sample",
    populate: Callable[[TrytonServer], None] | None = None,
    key: str = "",
) -> Path:
    """The seeded SQLite file, built on the first call for these versions and then reused.

    `profile` picks what `seed.py` puts in (see `seed.PROFILES`); `populate`, when
    given, runs against the seeded database served by a `TrytonServer`, and `key`
    names what it adds (a new key is a new build).
    """
    cache = Path(tempfile.gettempdir()) / "storebridge-tryton" / _cache_key(profile, key)
    database = cache / f"{DATABASE}.sqlite"
    if database.exists():
        return database
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=cache.parent))
    started = time.monotonic()
    log.info("building the Tryton %s database once for this machine (a few minutes)", profile)
    try:
        _build(staging, admin_password, profile)
        built = staging / f"{DATABASE}.sqlite"
        _checkpoint(built)
        if populate is not None:
            with TrytonServer(built, staging / "serve") as server:
                populate(server)
            built = server.database_path
            _checkpoint(built)
        cache.mkdir(exist_ok=True)
        # rename is atomic: a parallel session sees the whole file or none
        os.replace(built, database)
        log.info(
            "Tryton %s database built in %.0f s: %s", profile, time.monotonic() - started, database
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"building the Tryton database failed: {exc.stderr.decode()[-2000:]}"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return database


def _checkpoint(database: Path) -> None:
    """Fold SQLite's write-ahead log into the file itself, so the file alone is the database.

    trytond writes in WAL mode; a server stopped by a signal leaves its last
    commits in ``-wal``, which a copy of the main file alone would lose.
    """
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TrytonServer:
    """`trytond` serving a private copy of a built database on a loopback port.

    With `keep=True` a database file already in `folder` is served as it is (a
    demo restarted in the same folder continues its shop); else `database_file`
    is copied over it.
    """

    def __init__(self, database_file: Path, folder: Path, *, keep: bool = False) -> None:
        self.folder = folder
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.database_path = folder / f"{DATABASE}.sqlite"
        if not (keep and self.database_path.exists()):
            shutil.copyfile(database_file, self.database_path)
        self.config = _write_config(folder, self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.pristine = database_file

    @property
    def pid(self) -> int | None:
        """The trytond process id while it runs."""
        return self._process.pid if self._process is not None else None

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
        self._process = subprocess.Popen(  # noqa: S603 - trytond from our own environment
            [str(BIN / "trytond"), "-c", str(self.config)],
            env={**os.environ, "TRYTOND_DATABASE_NAMES": DATABASE},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + START_TIMEOUT_S
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
        raise RuntimeError(f"trytond did not answer within {START_TIMEOUT_S:.0f} s")

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
