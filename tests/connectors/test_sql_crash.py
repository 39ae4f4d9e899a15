"""kill -9 at every step of a SQL export: the POS database never holds half or two documents.

A child process writes an order through the SQL connector and SIGKILLs
itself right after one step of the write transaction (look-up, customer,
header, lines, after-write statements), before the commit.  The server rolls
the transaction back, so the parent finds nothing: no document, no line, no
customer row.  It then writes the same order again, as StoreBridge does after
a restart, and again: exactly one document with its lines, once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from connector_samples import line, order, prepare_sql_pos, settings_json, sql_settings
from sqlalchemy import text

from storebridge.connectors.sql.connector import SqlConnector

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

HERE = Path(__file__).parent
STEPS = ["_lookup", "_upsert_customer", "_insert_document", "_insert_lines", "_after_write"]

CHILD = """
import os, signal, sys
sys.path.insert(0, {here!r})
import connector_samples as samples
from pydantic import TypeAdapter
from storebridge.connectors.registry import build_connector
from storebridge.connectors.settings import ConnectorSettings
from storebridge.connectors.sql.writer import SqlWriter

step = sys.argv[2]
real = getattr(SqlWriter, step)
def dies_after(self, *args, **kwargs):
    result = real(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(SqlWriter, step, dies_after)

connector = build_connector(TypeAdapter(ConnectorSettings).validate_json(sys.argv[1]))
connector.write_order(samples.order(1001, (samples.line(sys.argv[3], 2),)))
print("the write survived its step", flush=True)
"""


def counts(connector: SqlConnector) -> tuple[int, int, int]:
    with connector.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            for table in ("sb_documents", "sb_document_lines", "sb_customers")
        )


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(
    "server",
    [
        pytest.param("postgres_url", marks=pytest.mark.postgres),
        pytest.param("mariadb_url", marks=pytest.mark.mariadb),
    ],
)
def test_a_kill_after_any_step_of_the_write_leaves_nothing_and_the_retry_writes_once(
    server: str, step: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    prepare_sql_pos(request.getfixturevalue(server), tmp_path)
    # An after-write statement, so that step runs SQL too (a POS import procedure would).
    settings = sql_settings(
        tmp_path,
        staging={"after_write": ["UPDATE sb_documents SET order_number = order_number "
                                 "WHERE id = :document_id"]},
    )  # fmt: skip
    pos = SqlConnector(settings)
    sku = next(str(r.sku) for r in pos.read_items() if r.on_hand and r.parent_code is None)

    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=str(HERE)), settings_json(settings), step, sku],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    assert pos.find_document("main:1001") is None
    assert counts(pos) == (0, 0, 0)

    document = order(1001, (line(sku, 2),))
    first = pos.write_order(document)
    again = pos.write_order(document)
    assert not first.already_existed
    assert again.already_existed and again.pos_ref == first.pos_ref
    assert counts(pos) == (1, 2, 1)  # one invoice: its product line and its shipping line
    pos.close()
