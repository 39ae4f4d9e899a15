"""One StoreBridge installation under test: its database, its POS and its store.

A `Workspace` is a folder holding StoreBridge's SQLite database and the demo
POS file, plus the URL of the sandbox playing the WooCommerce store.  It is
a plain value that travels as JSON to the worker processes, so each measured
step can run in a fresh process against the state the previous step left.

`open_services` wires StoreBridge through the real composition root
(`bootstrap.build_services`) with a client factory that keeps every
WooCommerce client it builds, so a step's requests are counted from the
clients' own `RequestStats`, whichever engine opened them.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.styles import StylesPos
from storebridge.bootstrap import Services, build_services
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings, DemoPosSettings
from storebridge.persistence.db import upgrade
from storebridge.ports import PosConnector
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from storebridge.settings import Settings, parse_settings
from storebridge.woocommerce import WooClient, WooConnection

__all__ = ["STORE", "BatchTiming", "ClientLog", "RequestCount", "Workspace"]

#: The one store every workspace configures.
STORE = "bench"
#: Seed of the demo POS catalogue; the baseline's sample uses the same one.
CATALOGUE_SEED = 42

Catalogue = Literal["demo", "styles"]


@dataclass(frozen=True, slots=True)
class RequestCount:
    """Requests sent, by ``"METHOD /endpoint/template"``, with the read/write split."""

    by_endpoint: dict[str, int] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    retries: int = 0

    @property
    def total(self) -> int:
        """Every request sent."""
        return self.reads + self.writes

    def count(self, key: str) -> int:
        """Requests to one endpoint, e.g. ``count("POST /products/batch")``."""
        return self.by_endpoint.get(key, 0)


@dataclass(frozen=True, slots=True)
class BatchTiming:
    """When a step's batch requests ran, relative to the step's start.

    Attributes:
        before_s: seconds from the step's start to its first batch request (its reads,
            its planning: the time the store's workers had nothing of ours to do).
        span_s: seconds from the first batch request's start to the last one's end.
        in_flight: batch requests running at once on average over that span.
    """

    before_s: float = 0.0
    span_s: float = 0.0
    in_flight: float = 0.0


class ClientLog:
    """A WooCommerce client factory that remembers the clients it built, and when each
    batch request ran (by `time.perf_counter`)."""

    def __init__(self) -> None:
        self.clients: list[WooClient] = []
        self.batches: list[tuple[float, float]] = []

    def factory(self, _store: str, connection: WooConnection) -> WooClient:
        """`bootstrap.WooFactory`: a real networked client, kept for counting."""
        client = WooClient(connection, on_request=self._observe)
        self.clients.append(client)
        return client

    def _observe(self, method: str, endpoint: str, status: int | None, elapsed: float) -> None:
        del status  # a failed batch kept the store busy too
        if method == "POST" and endpoint.rstrip("/").endswith("/batch"):
            end = time.perf_counter()
            self.batches.append((end - elapsed, end))

    def batch_timing(self, started: float) -> BatchTiming:
        """When the batches ran, for a step that started at `started` (perf_counter)."""
        if not self.batches:
            return BatchTiming()
        first = min(start for start, _ in self.batches)
        span = max(end for _, end in self.batches) - first
        busy = sum(end - start for start, end in self.batches)
        return BatchTiming(first - started, span, busy / span if span > 0 else 1.0)

    def requests(self) -> RequestCount:
        """The traffic of every client built so far, added up."""
        by_endpoint: Counter[str] = Counter()
        reads = writes = retries = 0
        for client in self.clients:
            snapshot = client.stats.snapshot()
            for (method, template), count in snapshot.by_endpoint.items():
                by_endpoint[f"{method} {template}"] += count
            reads += snapshot.reads
            writes += snapshot.writes
            retries += snapshot.retries
        return RequestCount(dict(sorted(by_endpoint.items())), reads, writes, retries)


@dataclass(frozen=True, slots=True)
class Workspace:
    """A folder with StoreBridge's database and POS, pointed at one sandbox."""

    root: Path
    sandbox_url: str
    catalogue: Catalogue = "demo"
    #: Demo catalogue: simple items.  Styles catalogue: styles.
    size: int = 0
    variants: int = 12
    max_concurrency: int = 4
    #: A real store: its keys come from WOO_KEY / WOO_SECRET in the environment (which
    #: the worker processes inherit), never from the JSON handed to them on the command line.
    keys_from_env: bool = False
    create_categories: bool = True
    #: Seconds StoreBridge waits for one answer (None: its default); a real store under
    #: load takes far longer than the sandbox over a batch.
    timeout_s: float | None = None

    @property
    def db_url(self) -> str:
        """StoreBridge's own database."""
        return f"sqlite:///{self.root / 'storebridge.sqlite3'}"

    @property
    def pos_path(self) -> Path:
        """The demo POS's SQLite file."""
        return self.root / "demo-pos.sqlite3"

    def connector_settings(self) -> dict[str, Any]:
        """The ``[stores.bench.connector]`` table."""
        return {
            "type": "demo",
            "path": str(self.pos_path),
            "seed_items": 0,
            "seed_styles": 0,
            "incremental": True,
        }

    def settings(self) -> Settings:
        """The configuration a user would write for this installation."""
        key, secret = DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
        if self.keys_from_env:
            key, secret = os.environ["WOO_KEY"], os.environ["WOO_SECRET"]
        store = {
            "woocommerce": {
                "url": self.sandbox_url,
                "consumer_key": key,
                "consumer_secret": secret,
                "max_concurrency": self.max_concurrency,
                **({"timeout_s": self.timeout_s} if self.timeout_s else {}),
            },
            "connector": self.connector_settings(),
            # Every item of the catalogue goes to the web: the first sync creates all of them.
            "selection": "all",
            "create_categories": self.create_categories,
        }
        return parse_settings(
            {
                "storage": {"url": self.db_url},
                "web": {"secret_key": "b" * 40},
                "stores": {STORE: store},
            }
        )

    def prepare(self) -> None:
        """Create the folder, migrate the database and seed the POS (not measured)."""
        self.root.mkdir(parents=True, exist_ok=True)
        upgrade(self.db_url)
        if self.catalogue == "demo":
            pos = DemoPos(DemoPosSettings(path=self.pos_path, seed_items=0, seed_styles=0))
            pos.seed(self.size, 0, CATALOGUE_SEED)

    def connector(self, _store: str, settings: ConnectorSettings) -> PosConnector:
        """`bootstrap.ConnectorFactory`: the demo POS, or the synthetic styles catalogue."""
        if self.catalogue == "styles":
            return StylesPos(self.size, self.variants)
        return build_connector(settings)

    def open_services(self) -> tuple[Services, ClientLog]:
        """StoreBridge wired for this workspace, and the log counting its clients."""
        log = ClientLog()
        services = build_services(
            self.settings(), woo_factory=log.factory, connector_factory=self.connector
        )
        return services, log

    def to_json(self) -> str:
        """The workspace as JSON, for a worker process."""
        return json.dumps({**asdict(self), "root": str(self.root)})

    @classmethod
    def from_json(cls, text: str) -> Workspace:
        """The inverse of `to_json`."""
        data = json.loads(text)
        return cls(**{**data, "root": Path(data["root"])})
