"""`storebridge demo --pos sql`: the demo on the SQL connector and the sample POS schema."""

from __future__ import annotations

import signal
import tomllib
from pathlib import Path

from sqlalchemy import create_engine, text
from tests.runner.process_support import Process


def test_the_demo_runs_on_the_sql_connector_over_the_sample_pos(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    process = Process(
        ["demo", "--dir", str(folder), "--port", "0", "--pos", "sql", "--no-simulate"],
        cwd=tmp_path,
    )
    try:
        process.wait_for(r"dashboard:\s+(http://\S+?)/?$")
        process.wait_for(r"job products ok \(.*created \d+")
        status = process.stop(signal.SIGINT)
    finally:
        process.kill()

    assert status == 0, process.output
    assert "Traceback" not in process.output
    config = tomllib.loads((folder / "storebridge.toml").read_text(encoding="utf-8"))
    connector = config["stores"]["main"]["connector"]
    assert connector["type"] == "sql"
    assert connector["url"] == f"sqlite:///{folder / 'sql-pos.sqlite3'}"
    engine = create_engine(connector["url"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM variants")).scalar_one() > 60
    engine.dispose()
    storage = create_engine(config["storage"]["url"])
    with storage.connect() as conn:
        position = conn.execute(
            text("SELECT value FROM cursors WHERE store = 'main' AND stream = 'pos_items'")
        ).scalar_one()
    storage.dispose()
    assert '"cursor"' in position  # the first products run stored its read position
