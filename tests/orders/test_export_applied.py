"""An exported order is released only once the POS/ERP has *applied* it, then read again.

With the file feed, an exported order is a document in the outbox until the
ERP imports it (and archives it into ``sent/``); the feed's on-hand does not
include the sale before that, so the units must stay allocated however many
POS reads follow.  The demo POS books on write: its orders release at the
first read after the export, as before (`test_allocation_rules`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.web.views.catalog import product_detail


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


def why(shop: Shop, sku: str) -> list[str]:
    """The dashboard's reasons for the orders holding units of `sku`."""
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        detail = product_detail(session, store=STORE, settings=settings, sku=sku)
        assert detail is not None
        return [f"order {order.woo_order_id}: {order.reason}" for order in detail.orders]


@pytest.mark.parametrize("cycle_between", [True, False], ids=["runner", "products-only"])
async def test_a_file_feed_export_holds_its_units_until_the_erp_imported_it(
    tmp_path: Path, _sqlite_template: Path, cycle_between: bool
) -> None:
    feed = tmp_path / "items.csv"
    feed.write_text("sku,name,price,quantity,web\nMUG-1,Mug,10.00,10,1\n")
    outbox = tmp_path / "outbox"
    connector = {
        "type": "file_feed",
        "path": str(feed),
        "outbox": str(outbox),
        "mapping": {"web_flag": "web"},
    }
    with make_shop(tmp_path, _sqlite_template, connector=connector) as shop:
        await shop.sync_products()
        order = shop.place([("MUG-1", 2)], status="processing")
        await shop.refresh()
        shop.set_status(order["id"], "completed")
        await shop.refresh()
        await shop.export()
        document = outbox / f"{STORE}__{order['id']}.json"
        assert document.exists()

        # Reads after the export, but the ERP has not imported it: the feed still says 10.
        await shop.sync_products()
        await shop.refresh()
        await shop.sync_products()
        assert allocated(shop) == {"mug-1": 2}
        assert shop.woo_stock("MUG-1") == 8
        assert why(shop, "MUG-1") == [
            f"order {order['id']}: exported, waiting for the POS/ERP to import it"
        ]
        export = shop.export_row(order["id"])
        assert export is not None and export.applied_at is None and export.released_at is None

        # The ERP imports it: archives the document and lowers its on-hand.
        document.rename(outbox / "sent" / document.name)
        feed.write_text("sku,name,price,quantity,web\nMUG-1,Mug,10.00,8,1\n")
        if cycle_between:
            await shop.refresh()  # an allocation cycle notices the import
            assert allocated(shop) == {"mug-1": 2}  # no read has started since
            assert why(shop, "MUG-1") == [
                f"order {order['id']}: imported by the POS/ERP, waiting for the next POS stock read"
            ]
        # The next products run asks before it reads: its read includes the sale.
        await shop.sync_products()
        assert allocated(shop) == {}
        assert shop.woo_stock("MUG-1") == 8
        cycle = await shop.refresh()
        assert cycle.released == {order["id"]}
        export = shop.export_row(order["id"])
        assert export is not None and export.applied_at is not None
        assert export.released_at is not None
