"""The engine with the real file-feed connector: decimal commas, drop-folder acknowledgement."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.sync.sync_helpers import make_world, money


def feed_table(path: Path, **options: object) -> dict[str, object]:
    return {
        "type": "file_feed",
        "path": str(path),
        "outbox": str(path.parent / "outbox"),
        "mapping": {"web_flag": "web"},
        **options,
    }


async def test_a_single_feed_file_is_a_snapshot_read_with_its_number_format(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    feed = tmp_path / "items.csv"
    feed.write_text("sku;name;price;quantity;web\nA;Shirt;12,50;3;1\nB;Hat;4,00;1;0\n")
    table = feed_table(feed, delimiter=";", decimal_comma=True)
    with make_world(tmp_path, _sqlite_template, real_connector=True, connector=table) as world:
        await world.sync()
        assert money(world.by_sku("A"), "regular_price") == Decimal("12.50")
        assert {d["sku"] for d in world.docs()} == {"A"}

        feed.write_text("sku;name;price;quantity;web\nB;Hat;4,00;1;1\n")
        await world.sync()

        assert world.by_sku("A")["stock_quantity"] == 0  # gone from the snapshot
        assert feed.exists()


async def test_drop_folder_files_are_acknowledged_only_once_their_results_are_durable(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "001.csv").write_text("sku,name,price,quantity,web\nA,Shirt,10.00,3,1\n")
    table = feed_table(drop)
    with make_world(tmp_path, _sqlite_template, real_connector=True, connector=table) as world:
        world.sandbox.faults.fail_next("503", 1000, method="POST", path_contains="/products/batch")
        failed = await world.sync()
        assert failed.report.outcome == "partial"
        assert (drop / "001.csv").exists()

        world.sandbox.faults.reset()
        await world.sync()
        assert not (drop / "001.csv").exists()
        assert (drop / "done" / "001.csv").exists()
        assert world.by_sku("A")["stock_quantity"] == 3

        # A delta file changes one item and says nothing about the others.
        (drop / "002.csv").write_text("sku,name,price,quantity,web\nB,Hat,5.00,2,1\n")
        await world.sync()
        assert world.by_sku("A")["stock_quantity"] == 3
        assert world.by_sku("B")["stock_quantity"] == 2
        assert world.links()["a"].on_hand == 3
