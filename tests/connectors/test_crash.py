"""kill -9 at the worst moments: the POS must never end up with a second document.

Each test runs a child Python process that builds the connector from the same
settings, writes an order (or reserves, converts or releases one) and is
killed with SIGKILL at a chosen point (after the write returned and before
StoreBridge could record it; after each Tryton RPC step; inside the SQLite
transaction; between the temp file and its rename).  The parent then does
what StoreBridge does after a restart, makes the same call again, and counts
documents and units.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from connector_samples import (
    demo_settings,
    file_feed_settings,
    line,
    order,
    settings_json,
    tryton_settings,
)

from storebridge.connectors.demo.pos import DemoPos
from storebridge.connectors.file_feed.feed import FileFeed
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.tryton import seed as tryton_seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.ports import PosConnector

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

HERE = Path(__file__).parent
CountDocuments = Callable[[PosConnector, str], int]

CHILD = """
import os, signal, sys
sys.path.insert(0, {here!r})
import connector_samples as samples
from pydantic import TypeAdapter
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.settings import TrytonSettings

settings = TypeAdapter(ConnectorSettings).validate_json(sys.argv[1])
connector = build_connector(settings)
{sabotage}
document = samples.order(int(sys.argv[2]))
if len(sys.argv) > 3:  # a SKU the POS knows, so that the write moves stock
    document = samples.order(int(sys.argv[2]), (samples.line(sys.argv[3], 2),))
receipt = connector.write_order(document)
print(receipt.pos_ref, flush=True)
# The write returned: StoreBridge would now record "exported". It never gets to.
os.kill(os.getpid(), signal.SIGKILL)
"""

# Dies inside the demo POS's transaction: document and lines inserted, stock not yet moved.
DIE_IN_TRANSACTION = """
import storebridge.connectors.demo.documents as documents
def _die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
documents._take_stock = _die
"""

# Dies between writing a temp file (fsynced) and renaming it into place.
DIE_BEFORE_RENAME = """
_real_replace = os.replace
def _replace(src, dst):
    if str(dst).endswith({suffix!r}):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_replace(src, dst)
os.replace = _replace
"""


def run_child(
    settings_text: str, order_id: int, sabotage: str = "", sku: str | None = None
) -> subprocess.CompletedProcess[str]:
    code = CHILD.format(here=str(HERE), sabotage=sabotage)
    extra = [sku] if sku is not None else []
    result = subprocess.run(
        [sys.executable, "-c", code, settings_text, str(order_id), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    return result


def test_a_kill_after_the_write_returned_never_produces_a_second_document(
    connector_settings: ConnectorSettings, count_documents: CountDocuments
) -> None:
    settings = connector_settings
    build_connector(settings).close()  # seed/create before the child runs
    child = run_child(settings_json(settings), 1001)
    child_ref = child.stdout.strip()
    assert child_ref

    restarted = build_connector(settings)
    receipt = restarted.write_order(order(1001))

    assert receipt.already_existed
    assert receipt.pos_ref == child_ref
    assert restarted.find_document("main:1001") == child_ref
    assert count_documents(restarted, "main:1001") == 1


def test_a_kill_inside_the_demo_pos_transaction_leaves_nothing_and_the_retry_writes_once(
    tmp_path: Path, count_documents: CountDocuments
) -> None:
    settings = demo_settings(tmp_path)
    pos = DemoPos(settings)
    sku = next(str(r.sku) for r in pos.read_items() if r.parent_code is None)
    pos.set_on_hand(sku, settings.effective_web_location, 5)
    before = pos.on_hand(sku)
    run_child(settings_json(settings), 1001, DIE_IN_TRANSACTION, sku)

    assert pos.find_document("main:1001") is None
    assert pos.documents() == []
    assert pos.on_hand(sku) == before

    document = order(1001, (line(sku, 2),))
    receipt = pos.write_order(document)
    assert not receipt.already_existed
    assert count_documents(pos, "main:1001") == 1
    assert pos.on_hand(sku)[settings.effective_web_location] == 3


@pytest.mark.parametrize("dies_at", [".csv", ".json"])
def test_a_kill_before_the_outbox_rename_shows_no_partial_file_and_the_retry_writes_once(
    dies_at: str, tmp_path: Path, count_documents: CountDocuments
) -> None:
    settings = file_feed_settings(tmp_path)
    FileFeed(settings).close()
    run_child(
        settings_json(settings), 1001, DIE_BEFORE_RENAME.format(suffix=f"main__1001{dies_at}")
    )
    outbox = settings.outbox

    leftovers = list(outbox.glob(".*.tmp"))
    assert leftovers, "the child should have died holding a temp file"
    visible = sorted(p.name for p in outbox.glob("[!.]*") if p.is_file())
    assert "main__1001.json" not in visible
    if dies_at == ".json":
        assert visible == ["main__1001.csv"]  # the CSV went first; the JSON commits
    else:
        assert visible == []

    restarted = FileFeed(settings)  # sweeps temp files of dead writers
    assert list(outbox.glob(".*.tmp")) == []
    assert restarted.find_document("main:1001") is None
    receipt = restarted.write_order(order(1001))
    assert not receipt.already_existed
    assert restarted.write_order(order(1001)).already_existed
    assert count_documents(restarted, "main:1001") == 1
    assert sorted(p.name for p in outbox.glob("main__1001*")) == [
        "main__1001.csv",
        "main__1001.json",
    ]
    written = json.loads((outbox / "main__1001.json").read_text(encoding="utf-8"))
    assert written["order"]["woo_order_id"] == 1001


def test_a_left_over_temp_file_is_invisible_to_the_erp_and_never_counts_as_written(
    tmp_path: Path,
) -> None:
    settings = file_feed_settings(tmp_path)
    feed = FileFeed(settings)
    # A half-written document, as a writer killed mid-write leaves it (pid of a dead process).
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    partial = settings.outbox / f".main__1001.json.{dead.stdout.strip()}.0badc0de.tmp"
    partial.write_text('{"format": "storebridge.order.v1", "pos_ref": "main__10', encoding="utf-8")

    assert feed.find_document("main:1001") is None
    assert list(settings.outbox.glob("*.json")) == []
    assert not feed.write_order(order(1001)).already_existed
    FileFeed(settings).close()
    assert not partial.exists()
    assert [p.name for p in settings.outbox.glob("*.json")] == ["main__1001.json"]


# Dies right after Tryton answered the chosen call (the step is committed in Tryton).
DIE_AFTER_TRYTON_CALL = """
from storebridge.connectors.tryton import rpc as _rpc
_real_send = _rpc.TrytonRpc._send
def _send(self, method, params, authorized):
    result = _real_send(self, method, params, authorized)
    if method == {method!r}:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
_rpc.TrytonRpc._send = _send
"""

TRYTON_EXPORT_STEPS = [
    "model.party.party.create",
    "model.sale.sale.create",
    "model.sale.sale.quote",
    "model.sale.sale.confirm",
    "model.stock.shipment.out.assign_force",
    "model.stock.shipment.out.pick",
    "model.stock.shipment.out.pack",
    "model.stock.shipment.out.do",
]


@pytest.mark.parametrize("step", TRYTON_EXPORT_STEPS)
def test_a_kill_at_any_tryton_export_step_leaves_one_sale_and_stock_moved_once(
    step: str, tryton: Any, count_documents: CountDocuments
) -> None:
    settings = tryton_settings(tryton.url)
    connector = TrytonConnector(settings)
    before = on_hand_at(connector, "MUG-01")

    child = run_child(
        settings_json(settings), 1001, DIE_AFTER_TRYTON_CALL.format(method=step), "MUG-01"
    )

    assert child.stdout.strip() == ""  # killed before the write returned
    written_before = connector.find_document("main:1001")
    assert (written_before is not None) == (step == "model.stock.shipment.out.do")
    receipt = connector.write_order(order(1001, (line("MUG-01", 2),)))
    assert receipt.already_existed == (step != "model.party.party.create")
    assert connector.find_document("main:1001") == receipt.pos_ref
    assert count_documents(connector, "main:1001") == 1
    assert on_hand_at(connector, "MUG-01") == before - 2
    parties = connector.rpc.call(
        "party.contact_mechanism", "search_count", [("value", "=", "ann@example.com")]
    )
    assert parties == 1  # the party the child created is found, not created again
    connector.close()


def on_hand_at(connector: TrytonConnector, sku: str) -> int:
    item = next(i for i in connector.read_items() if i.sku == sku)
    return int(str(item.on_hand[tryton_seed.WAREHOUSE]))


# The reservation life in a child: reserve, release or export (write_order) one order.
RESERVATION_CHILD = """
import os, signal, sys
sys.path.insert(0, {here!r})
import connector_samples as samples
from pydantic import TypeAdapter
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings

settings = TypeAdapter(ConnectorSettings).validate_json(sys.argv[1])
connector = build_connector(settings)
{sabotage}
document = samples.order(int(sys.argv[2]), (samples.line(sys.argv[4], 2),))
action = sys.argv[3]
if action == "reserve":
    print(connector.reserve(document).pos_ref, flush=True)
elif action == "release":
    print(connector.release(document.idempotency_key), flush=True)
else:
    print(connector.write_order(document).pos_ref, flush=True)
# The call returned: StoreBridge would now record it. It never gets to.
os.kill(os.getpid(), signal.SIGKILL)
"""

TRYTON_RESERVE_STEPS = [
    "model.party.party.create",
    "model.sale.sale.create",
    "model.sale.sale.quote",
    "model.sale.sale.confirm",
    None,  # killed after reserve returned, before StoreBridge recorded it
]
TRYTON_CONVERT_STEPS = [
    "model.stock.shipment.out.assign_force",
    "model.stock.shipment.out.pick",
    "model.stock.shipment.out.pack",
    "model.stock.shipment.out.do",
    None,
]
TRYTON_RELEASE_STEPS = [
    "model.stock.shipment.out.cancel",
    "model.account.invoice.cancel",
    "wizard.sale.handle.shipment.exception.execute",
    "wizard.sale.handle.invoice.exception.execute",
    "model.sale.sale.write",
    None,
]


def run_reservation_child(settings_text: str, action: str, step: str | None) -> str:
    return run_sabotaged(
        settings_text, action, "" if step is None else DIE_AFTER_TRYTON_CALL.format(method=step)
    )


def run_sabotaged(settings_text: str, action: str, sabotage: str, sku: str = "MUG-01") -> str:
    code = RESERVATION_CHILD.format(here=str(HERE), sabotage=sabotage)
    result = subprocess.run(
        [sys.executable, "-c", code, settings_text, "1001", action, sku],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("step", TRYTON_RESERVE_STEPS)
def test_a_kill_at_any_tryton_reserve_step_leaves_one_reservation(
    step: str | None, tryton: Any, count_documents: CountDocuments
) -> None:
    settings = tryton_settings(tryton.url, on_hand="available")
    connector = TrytonConnector(settings)
    before = on_hand_at(connector, "MUG-01")

    printed = run_reservation_child(settings_json(settings), "reserve", step)

    assert (printed != "") == (step is None)
    receipt = connector.reserve(order(1001, (line("MUG-01", 2),)))
    assert receipt.already_existed == (step != "model.party.party.create")
    if printed:
        assert receipt.pos_ref == printed
    assert count_documents(connector, "main:1001") == 1
    assert on_hand_at(connector, "MUG-01") == before - 2
    parties = connector.rpc.call(
        "party.contact_mechanism", "search_count", [("value", "=", "ann@example.com")]
    )
    assert parties == 1
    connector.close()


@pytest.mark.parametrize("step", TRYTON_CONVERT_STEPS)
def test_a_kill_at_any_step_of_converting_a_reservation_leaves_that_one_sale(
    step: str | None, tryton: Any, count_documents: CountDocuments
) -> None:
    settings = tryton_settings(tryton.url, on_hand="available")
    connector = TrytonConnector(settings)
    plain = TrytonConnector(tryton_settings(tryton.url))
    before = on_hand_at(plain, "MUG-01")
    reservation = connector.reserve(order(1001, (line("MUG-01", 2),)))

    run_reservation_child(settings_json(settings), "write", step)

    assert (connector.find_document("main:1001") is not None) == (
        step in ("model.stock.shipment.out.do", None)
    )
    receipt = connector.write_order(order(1001, (line("MUG-01", 2),)))
    assert receipt.pos_ref == reservation.pos_ref
    assert count_documents(connector, "main:1001") == 1
    assert on_hand_at(plain, "MUG-01") == before - 2  # shipped once
    assert on_hand_at(connector, "MUG-01") == before - 2  # available: not held on top
    connector.close()
    plain.close()


@pytest.mark.parametrize("step", TRYTON_RELEASE_STEPS)
def test_a_kill_at_any_tryton_release_step_still_gives_the_units_back_once(
    step: str | None, tryton: Any, count_documents: CountDocuments
) -> None:
    settings = tryton_settings(tryton.url, on_hand="available")
    connector = TrytonConnector(settings)
    before = on_hand_at(connector, "MUG-01")
    reservation = connector.reserve(order(1001, (line("MUG-01", 2),)))

    run_reservation_child(settings_json(settings), "release", step)

    released_by_restart = connector.release("main:1001")
    assert released_by_restart == (step not in ("model.sale.sale.write", None))
    assert connector.release("main:1001") is False
    assert count_documents(connector, "main:1001") == 0
    assert on_hand_at(connector, "MUG-01") == before
    (sale,) = connector.rpc.call(
        "sale.sale",
        "search_read",
        [("number", "=", reservation.pos_ref)],
        0,
        1,
        None,
        ["state", "shipment_state", "invoice_state"],
    )
    assert (sale["state"], sale["shipment_state"], sale["invoice_state"]) == (
        "done",
        "none",
        "none",
    )
    connector.close()


@pytest.mark.parametrize("dies_at", ["main__1001.json", "main__1001.release.json"])
def test_a_kill_before_a_reservation_file_is_renamed_shows_nothing_and_the_retry_writes_once(
    dies_at: str, tmp_path: Path
) -> None:
    settings = file_feed_settings(tmp_path)
    feed = FileFeed(settings)
    folder = settings.outbox / "reservations"
    releasing = dies_at.endswith(".release.json")
    if releasing:
        feed.reserve(order(1001, (line("MUG-01", 2),)))

    run_sabotaged(
        settings_json(settings),
        "release" if releasing else "reserve",
        DIE_BEFORE_RENAME.format(suffix=dies_at),
    )

    assert list(folder.glob(".*.tmp")), "the child should have died holding a temp file"
    assert not (folder / dies_at).exists()
    restarted = FileFeed(settings)  # sweeps the dead writer's temp file
    assert list(folder.glob(".*.tmp")) == []
    if releasing:
        assert restarted.release("main:1001") is True
        assert restarted.release("main:1001") is False
    else:
        assert not restarted.reserve(order(1001, (line("MUG-01", 2),))).already_existed
        assert restarted.reserve(order(1001, (line("MUG-01", 2),))).already_existed
    assert (folder / dies_at).exists()


# Dies inside the demo POS's reservation transaction: the reservation row is in, no unit held.
DIE_IN_HOLD = """
import storebridge.connectors.demo.reservations as _reservations
def _die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
_reservations._hold = _die
"""


@pytest.mark.parametrize("sabotage", ["", DIE_IN_HOLD], ids=["after-return", "in-transaction"])
def test_a_kill_while_the_demo_pos_reserves_leaves_one_hold_or_none(
    sabotage: str, tmp_path: Path
) -> None:
    settings = demo_settings(tmp_path)
    pos = DemoPos(settings)
    sku = next(str(r.sku) for r in pos.read_items() if r.parent_code is None)
    pos.set_on_hand(sku, settings.effective_web_location, 5)

    printed = run_sabotaged(settings_json(settings), "reserve", sabotage, sku)
    assert pos.held(sku) == ({settings.effective_web_location: 2} if printed else {})

    receipt = pos.reserve(order(1001, (line(sku, 2),)))
    assert receipt.already_existed == bool(printed)
    assert pos.held(sku) == {settings.effective_web_location: 2}
