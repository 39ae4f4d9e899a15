"""kill -9 of the real `storebridge` command at a named step, then the same command again.

Shared by tests/e2e/test_cli_crash.py (sandbox + demo POS / file feed) and
tests/connectors/test_tryton_cli_crash.py (sandbox + a real trytond).

`storebridge` runs the installed console script as its own process on a
folder's configuration.  A ``sitecustomize`` module (`KILL_HOOK`) first on
that process's PYTHONPATH wraps the step named by STOREBRIDGE_TEST_KILL_AT
so that the process SIGKILLs itself right after it: a real kill of the real
command, with no test hook inside StoreBridge.  The caller then runs the same
command again at once, as a person restarting it would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tomli_w
from sqlalchemy import select
from tests.orders.orders_helpers import EARLY_GO_LIVE

from storebridge.bootstrap import Services, build_services
from storebridge.persistence.tables import Export, Reservation
from storebridge.sandbox import (
    DEMO_CONSUMER_KEY,
    DEMO_CONSUMER_SECRET,
    SandboxConfig,
    SandboxServer,
)
from storebridge.settings import load_settings

__all__ = [
    "KILL_HOOK",
    "STORE",
    "STOREBRIDGE",
    "console_script_fixture",
    "crash_then_again",
    "customer_notes",
    "export_row",
    "in_process",
    "install",
    "killed",
    "recorded",
    "said",
    "sandbox_server_fixture",
    "shop_fixture",
    "storebridge",
]

STORE = "main"
STOREBRIDGE = Path(sys.executable).with_name("storebridge")
T = TypeVar("T")

# Imported by the child's interpreter at start-up (it is first on its PYTHONPATH).
KILL_HOOK = '''
import asyncio, functools, os, signal

def _die():
    os.kill(os.getpid(), signal.SIGKILL)

def _after(owner, name, when=lambda *args, **kwargs: True):
    """Let owner.name run, then die if when(*args) says this call is the step."""
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):
        async def wrapped(*args, **kwargs):
            result = await original(*args, **kwargs)
            if when(*args, **kwargs):
                _die()
            return result
    else:
        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            if when(*args, **kwargs):
                _die()
            return result
    setattr(owner, name, functools.wraps(original)(wrapped))

def _connectors():
    from storebridge.connectors.demo.pos import DemoPos
    from storebridge.connectors.file_feed.feed import FileFeed
    from storebridge.connectors.tryton.connector import TrytonConnector
    return (DemoPos, FileFeed, TrytonConnector)

def _saved(state):
    """sync.orders.reservations._save(services, store, order_id, record) committed `state`."""
    def when(services, store, order_id, record):
        return record.state is not None and record.state.value == state
    return when

point = os.environ.get("STOREBRIDGE_TEST_KILL_AT")
if point == "products.after_read":  # the POS read is recorded, nothing written yet
    from storebridge.sync.catalogue.products import _ProductSync
    _after(_ProductSync, "_record_read")
elif point == "products.after_create":  # WooCommerce created the drafts; no link recorded
    from storebridge.woocommerce.client import WooClient
    _after(WooClient, "create_products_safely")
elif point == "products.after_record":  # the created products' links are committed
    from storebridge.sync.catalogue.recorder import DbRecorder
    _after(DbRecorder, "confirmed", lambda self, writes: bool(writes))
elif point == "products.after_update":  # WooCommerce took a price update; not recorded
    from storebridge.woocommerce.client import WooClient
    _after(WooClient, "batch", lambda self, path, **kw: bool(kw.get("update")))
elif point in ("export.after_customer", "export.after_write"):
    for connector in _connectors():
        _after(connector, "upsert_customer" if point.endswith("customer") else "write_order")
elif point == "export.after_record":  # the "exported" record is committed
    from storebridge.sync.export.engine import _Exporter
    _after(
        _Exporter, "_save",
        lambda self, candidate, record, **extra: record.state.value == "exported",
    )
elif point in ("reserve.after_call", "release.after_call"):
    # The POS holds (gave back) the units; StoreBridge has not recorded it.  A release's
    # "releasing" intent was committed before the call.
    for connector in _connectors():
        if hasattr(connector, "reserve"):
            _after(connector, point.split(".")[0])
elif point in ("reserve.after_record", "release.after_record", "convert.after_record"):
    from storebridge.sync.orders import reservations
    state = {"reserve": "reserved", "release": "released", "convert": "converted"}
    _after(reservations, "_save", _saved(state[point.split(".")[0]]))
elif point == "ship.after_record":  # "shipped" and "exported" committed; WooCommerce not told
    from storebridge.sync.orders import ship_from_pos
    _after(ship_from_pos, "_note", lambda services, store, order_id, state, *rest: state == "shipped")
elif point == "ship.after_note":  # the tracking note is posted; the order is not completed
    from storebridge.woocommerce.client import WooClient
    _after(
        WooClient, "request_json",
        lambda self, method, path, **kw: method == "POST" and path.endswith("/notes"),
    )
elif point == "ship.after_complete":  # completed with the meta; the reservation not converted
    from storebridge.woocommerce.client import WooClient
    _after(
        WooClient, "update_order",
        lambda self, order_id, changes: changes.get("status") == "completed",
    )
elif point:
    raise SystemExit(f"unknown kill point {point!r}")
'''


# The fixtures are imported by the test modules under these function names (pytest
# registers them by `name`), so a test's `shop` argument shadows no import.
@pytest.fixture(autouse=True, name="needs_the_console_script")
def console_script_fixture() -> None:
    if not STOREBRIDGE.exists():
        pytest.skip(f"the storebridge console script is not installed at {STOREBRIDGE}")


@pytest.fixture(scope="module", name="sandbox_server")
def sandbox_server_fixture() -> Iterator[SandboxServer]:
    """A WooCommerce sandbox over HTTP: the child process reaches it by URL."""
    with SandboxServer(SandboxConfig(webhook_auto_deliver=False)) as running:
        yield running


@pytest.fixture(name="shop")
def shop_fixture(sandbox_server: SandboxServer) -> SandboxServer:
    """The sandbox, emptied for the test."""
    sandbox_server.sandbox.reset()
    return sandbox_server


def storebridge(
    folder: Path, *args: str, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `storebridge` command on `folder`'s configuration, as its own process."""
    hooks = folder / "kill_hook"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(KILL_HOOK, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "200"}
    env.pop("STOREBRIDGE_TEST_KILL_AT", None)
    if kill_at is not None:
        env["STOREBRIDGE_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [str(STOREBRIDGE), *args, "--config", str(folder / "storebridge.toml")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


def crash_then_again(folder: Path, *command: str, kill_at: str) -> None:
    """The command killed right after `kill_at`, then run again at once: it must succeed."""
    crashed = storebridge(folder, *command, kill_at=kill_at)
    assert killed(crashed), said(crashed)
    again = storebridge(folder, *command)
    assert again.returncode == 0, said(again)


def killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL


def said(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def install(
    folder: Path,
    template: Path,
    shop: SandboxServer,
    connector: dict[str, Any],
    **options: Any,
) -> None:
    """Write folder/storebridge.toml: one store over `shop`, `connector` and a copy of `template`.

    `options` are further store settings (reservations, ship_from_pos, selection...).
    """
    shutil.copyfile(template, folder / "state.sqlite3")
    store = {
        "selection": "all",
        "woocommerce": {"url": shop.base_url, "consumer_key": DEMO_CONSUMER_KEY,
                        "consumer_secret": DEMO_CONSUMER_SECRET, "max_retries": 1},
        "connector": connector,
        "export_orders_since": EARLY_GO_LIVE,
        **options,
    }  # fmt: skip
    (folder / "storebridge.toml").write_text(
        tomli_w.dumps(
            {
                "storage": {"url": f"sqlite:///{folder / 'state.sqlite3'}"},
                "web": {"secret_key": "k" * 40},
                "stores": {STORE: store},
            }
        ),
        encoding="utf-8",
    )


def in_process(folder: Path, engine: Callable[[Services, str], Coroutine[Any, Any, T]]) -> T:
    """Run an engine for the store in this process (set-up and checks, not what is killed)."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        return asyncio.run(engine(services, STORE))
    finally:
        services.close()


def customer_notes(shop: SandboxServer, order_id: int) -> list[str]:
    """The texts of the customer notes WooCommerce holds for the order."""
    return [str(note["note"]) for note in shop.sandbox.notes.for_order(order_id, "customer")]


def export_row(folder: Path, order_id: int) -> Export:
    """StoreBridge's export record of the order."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        with services.sessions() as session:
            return session.scalars(select(Export).where(Export.woo_order_id == order_id)).one()
    finally:
        services.close()


def recorded(folder: Path, order_id: int) -> tuple[str | None, str | None] | None:
    """(state, POS reference) of StoreBridge's reservation record, None without one."""
    services = build_services(load_settings(folder / "storebridge.toml"))
    try:
        with services.sessions() as session:
            row = session.scalars(
                select(Reservation).where(
                    Reservation.store == STORE, Reservation.woo_order_id == order_id
                )
            ).one_or_none()
            return None if row is None else (row.state, row.pos_ref)
    finally:
        services.close()
