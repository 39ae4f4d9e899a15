"""The soak's world: a folder, a configuration, a database, a sandbox and StoreBridge's processes.

`SoakWorld.prepare` writes the ``storebridge.toml`` a user would write (demo
POS, flag selection, safety stock 1, short job intervals, a webhook secret),
migrates the storage, adds a dashboard user, seeds the POS and subscribes
the store's order webhooks to StoreBridge's receiver.  `start` launches
StoreBridge as real processes, their output appended to log files:

* SQLite: one ``storebridge run`` (scheduler, dashboard and webhooks);
* PostgreSQL: ``storebridge run --no-scheduler`` (dashboard and webhooks) and
  two ``storebridge worker`` processes, which also defer the due jobs.

`Storage` creates and drops a uniquely named PostgreSQL database, so
parallel soaks never share one.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import psycopg
import tomli_w
from pydantic import SecretStr

from bench.sandbox_process import SandboxProcess, free_port
from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.settings import DemoPosSettings
from storebridge.persistence.db import upgrade
from storebridge.persistence.repositories import users
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from storebridge.settings import load_settings
from storebridge.web.security import hash_password
from storebridge.woocommerce import WooClient, WooConnection

__all__ = ["STORE", "Proc", "SoakWorld", "Storage", "StorageKind"]

STORE = "soak"
USERNAME = "soak"
WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted")
#: Seconds between runs of each job: short, so a few minutes hold many cycles.
INTERVALS = {"products": 5, "orders": 3, "export": 3, "reconcile": 30}
SAFETY_STOCK = 1
POS_ITEMS = 40

StorageKind = Literal["sqlite", "postgresql"]
PG_SERVER = "postgresql://127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Storage:
    """StoreBridge's database for one soak."""

    kind: StorageKind
    url: str
    database: str | None = None

    @classmethod
    def create(cls, kind: StorageKind, root: Path) -> Storage:
        """A fresh database: a file under `root`, or a new PostgreSQL database."""
        if kind == "sqlite":
            return cls(kind, f"sqlite:///{root / 'storebridge.sqlite3'}")
        name = f"storebridge_soak_{secrets.token_hex(4)}"
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(kind, f"postgresql+psycopg://127.0.0.1:5432/{name}", name)

    def drop(self) -> None:
        """Drop the PostgreSQL database (nothing to do for SQLite: the folder goes)."""
        if self.database is not None:
            with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@dataclass
class Proc:
    """One StoreBridge process, restartable, its output appended to `log`."""

    name: str
    args: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        """Start (or restart) the process."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "storebridge", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.starts += 1

    @property
    def alive(self) -> bool:
        """Whether the process runs."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no grace, as a crash or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@dataclass
class SoakWorld:
    """Everything one soak starts (see the module docstring)."""

    root: Path
    sandbox: SandboxProcess
    storage: Storage
    web_port: int = field(default_factory=free_port)
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    server: Proc | None = None
    workers: list[Proc] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / "storebridge.toml"

    @property
    def pos_path(self) -> Path:
        return self.root / "demo-pos.sqlite3"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def secrets(self) -> dict[str, str]:
        """Every secret of the installation, by name: none may appear in a log."""
        return {
            "consumer secret": DEMO_CONSUMER_SECRET,
            "webhook secret": self.webhook_secret,
            "web secret_key": self.secret_key,
            "dashboard password": self.password,
        }

    def write_config(self) -> None:
        """The configuration file a user would write."""
        config = {
            "storage": {"url": self.storage.url},
            "web": {"host": "127.0.0.1", "port": self.web_port, "secret_key": self.secret_key},
            "runner": {"intervals": INTERVALS},
            "stores": {
                STORE: {
                    "selection": "flag",
                    "safety_stock": SAFETY_STOCK,
                    "webhook_secret": self.webhook_secret,
                    "woocommerce": {
                        "url": self.sandbox.url,
                        "consumer_key": DEMO_CONSUMER_KEY,
                        "consumer_secret": DEMO_CONSUMER_SECRET,
                        "timeout_s": 10.0,
                    },
                    "connector": {
                        "type": "demo",
                        "path": str(self.pos_path),
                        "seed_items": POS_ITEMS,
                        "seed_styles": 0,
                        "incremental": True,  # the default, which the soak is meant to prove
                    },
                }
            },
        }
        self.config_path.write_text(tomli_w.dumps(config), encoding="utf-8")
        self.config_path.chmod(0o600)

    def services(self) -> Services:
        """StoreBridge's services over this installation (the harness reads through them)."""
        return build_services(load_settings(self.config_path, environ={}))

    async def prepare(self) -> None:
        """Configuration, schema, dashboard user, POS catalogue and webhooks."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config()
        upgrade(self.storage.url)
        services = self.services()
        try:
            with services.sessions.begin() as session:
                users.add_user(
                    session, username=USERNAME, password_hash=hash_password(self.password)
                )
        finally:
            services.close()
        DemoPos(DemoPosSettings(path=self.pos_path, seed_items=POS_ITEMS, seed_styles=0))
        await self._subscribe_webhooks()

    async def _subscribe_webhooks(self) -> None:
        connection = WooConnection(
            url=self.sandbox.url,
            consumer_key=DEMO_CONSUMER_KEY,
            consumer_secret=DEMO_CONSUMER_SECRET,
        )
        async with WooClient(connection) as woo:
            for topic in WEBHOOK_TOPICS:
                await woo.create_webhook(
                    name="StoreBridge soak",
                    topic=topic,
                    delivery_url=f"{self.web_url}/webhooks/woocommerce/{STORE}",
                    secret=SecretStr(self.webhook_secret),
                )

    def start(self) -> None:
        """Start StoreBridge: one runner (SQLite), or a web server and two workers."""
        config = ["--config", str(self.config_path)]
        if self.storage.kind == "sqlite":
            self.server = Proc("runner", ["run", *config, "--grace", "5"], self.root / "runner.log")
        else:
            self.server = Proc(
                "web", ["run", *config, "--no-scheduler", "--grace", "5"], self.root / "web.log"
            )
            self.workers = [
                Proc(
                    f"worker-{n}",
                    ["worker", *config, "--grace", "5"],
                    self.root / f"worker-{n}.log",
                )
                for n in (1, 2)
            ]
        for proc in self.processes:
            proc.start()
        self.wait_for_web()

    @property
    def processes(self) -> list[Proc]:
        """Every StoreBridge process."""
        return [p for p in (self.server, *self.workers) if p is not None]

    @property
    def killable(self) -> list[Proc]:
        """The processes the chaos kills: the runner, or the workers."""
        if self.storage.kind == "sqlite":
            return [self.server] if self.server is not None else []
        return list(self.workers)

    def wait_for_web(self, timeout_s: float = 300.0) -> None:
        """Wait until the dashboard answers (a loaded machine takes long to start Python)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            server = self.server
            if (
                server is not None
                and server.process is not None
                and server.process.poll() is not None
            ):
                raise RuntimeError(f"{server.name} exited at start-up; see {server.log}")
            try:
                if httpx.get(f"{self.web_url}/login", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"StoreBridge's dashboard did not answer within {timeout_s} s")

    def stop(self) -> None:
        """Stop every StoreBridge process."""
        for proc in self.processes:
            proc.stop()

    def logs(self) -> list[Path]:
        """The log files of StoreBridge's processes."""
        return [proc.log for proc in self.processes if proc.log.exists()]
