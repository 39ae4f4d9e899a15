"""The naive baseline: the sync a user scripts with the official `woocommerce` package.

This is the loop found in countless cron jobs: for every row of the POS
export, look the product up by SKU (``GET products?sku=X``), then create it
(``POST products``) or update it (``PUT products/<id>``), one request at a
time, with `woocommerce.API` (synchronous, on `requests`).  The script keeps
no state, so a later run walks the whole catalogue again; to be fair to it,
it writes only when the price or stock it read differs.

Authentication.  Over plain http the package signs each request with OAuth
1.0a; it appends the query to the signed URL *and* passes it to `requests`
again, so a lookup carries ``sku=X`` twice.  WordPress keeps the last value
and accepts the signature; when the sandbox refuses it (`probe_oauth`), the
benchmark runs the baseline's sandbox with ``--assume-https`` and gives the
package query-string keys instead.  The requests sent are the same.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import requests

from bench.workspace import CATALOGUE_SEED
from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.settings import DemoPosSettings
from storebridge.domain.model import RawItem
from storebridge.sandbox import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from woocommerce import API

__all__ = [
    "AuthMode",
    "BaselineResult",
    "NaiveScript",
    "baseline_api",
    "changed_rows",
    "pos_rows",
    "probe_oauth",
    "seed_pos",
]

AuthMode = Literal["oauth1", "query"]


def baseline_api(url: str, auth: AuthMode) -> API:
    """A `woocommerce.API` client for the sandbox at `url`, as a user would build it."""
    api = API(
        url=url,
        consumer_key=DEMO_CONSUMER_KEY,
        consumer_secret=DEMO_CONSUMER_SECRET,
        version="wc/v3",
        timeout=60,
        query_string_auth=auth == "query",
    )
    if auth == "query":
        # The package only sends query-string keys to an https URL; the sandbox runs with
        # --assume-https (a TLS proxy in front), so tell the client the scheme is secure.
        api.is_ssl = True
    return api


def probe_oauth(url: str) -> bool:
    """Whether the store at `url` accepts the package's OAuth-signed lookup by SKU."""
    response = baseline_api(url, "oauth1").get("products", params={"sku": "probe"})
    return bool(response.status_code == 200)


def seed_pos(path: Path, items: int) -> DemoPos:
    """A demo POS holding the first `items` items of the benchmark catalogue."""
    pos = DemoPos(DemoPosSettings(path=path, seed_items=0, seed_styles=0))
    pos.seed(items, 0, CATALOGUE_SEED)
    return pos


def pos_rows(pos: DemoPos) -> list[RawItem]:
    """The POS export the script reads."""
    return list(pos.read_items())


def _payload(row: RawItem) -> dict[str, Any]:
    """A user's mapping of one POS row onto a WooCommerce product."""
    payload: dict[str, Any] = {
        "name": str(row.name),
        "sku": str(row.sku),
        "type": "simple",
        "status": "draft",
        "regular_price": str(row.regular_price),
        "manage_stock": True,
        "stock_quantity": _stock(row),
        "description": str(row.description or ""),
        "short_description": str(row.short_description or ""),
    }
    if row.sale_price not in (None, ""):
        payload["sale_price"] = str(row.sale_price)
    return payload


def _stock(row: RawItem) -> int:
    return sum(int(str(quantity)) for quantity in row.on_hand.values())


def _differs(product: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The price and stock fields the store holds differently."""
    changes: dict[str, Any] = {}
    if Decimal(str(product.get("regular_price") or "0")) != Decimal(payload["regular_price"]):
        changes["regular_price"] = payload["regular_price"]
    if product.get("stock_quantity") != payload["stock_quantity"]:
        changes.update(manage_stock=True, stock_quantity=payload["stock_quantity"])
    return changes


@dataclass
class BaselineResult:
    """What one baseline run did and cost (measured in this process)."""

    items: int
    wall_s: float
    cpu_s: float
    requests: Counter[str] = field(default_factory=Counter)
    created: int = 0
    updated: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Requests sent."""
        return sum(self.requests.values())

    @property
    def writes(self) -> int:
        """Write requests sent."""
        return sum(n for key, n in self.requests.items() if not key.startswith("GET "))


class NaiveScript:
    """One request per product, read then write, exactly as the package invites."""

    def __init__(self, api: API) -> None:
        self.api = api

    def run(self, rows: Iterable[RawItem]) -> BaselineResult:
        """Push every row: look it up by SKU, then create it or update what differs."""
        started_cpu = time.process_time()
        started = time.perf_counter()
        result = BaselineResult(items=0, wall_s=0.0, cpu_s=0.0)
        for row in rows:
            result.items += 1
            self._push(row, result)
        result.wall_s = time.perf_counter() - started
        result.cpu_s = time.process_time() - started_cpu
        return result

    def _push(self, row: RawItem, result: BaselineResult) -> None:
        payload = _payload(row)
        result.requests["GET /products"] += 1
        found = self._ok(self.api.get("products", params={"sku": payload["sku"]}), result)
        if not isinstance(found, list):
            return
        if not found:
            result.requests["POST /products"] += 1
            if self._ok(self.api.post("products", payload), result) is not None:
                result.created += 1
            return
        changes = _differs(found[0], payload)
        if changes:
            result.requests["PUT /products/{id}"] += 1
            if self._ok(self.api.put(f"products/{found[0]['id']}", changes), result) is not None:
                result.updated += 1

    @staticmethod
    def _ok(response: requests.Response, result: BaselineResult) -> Any:
        if response.status_code >= 400:
            result.failed += 1
            return None
        return response.json()


def changed_rows(rows: list[RawItem], skus: Iterable[str]) -> Iterator[RawItem]:
    """The rows of `skus` only (the delta-fed variant of the script)."""
    wanted = set(skus)
    return (row for row in rows if str(row.sku) in wanted)
