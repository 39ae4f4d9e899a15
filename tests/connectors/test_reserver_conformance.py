"""The reservation capability across every built-in connector (ports.PosReserver).

A connector that reserves must do it once per key, release once, and let the
export under the same key write one document; a connector without the
capability is refused by the settings and behaves as before.
"""

from __future__ import annotations

from collections.abc import Callable

from connector_samples import line, order

from storebridge.ports import PosConnector, PosReserver
from storebridge.settings.models import RESERVING_CONNECTORS

CountDocuments = Callable[[PosConnector, str], int]


def test_the_reserving_connectors_are_the_ones_settings_accept(
    connector: PosConnector, kind: str
) -> None:
    assert isinstance(connector, PosReserver) == (kind.split("-")[0] in RESERVING_CONNECTORS)


def test_a_reservation_is_placed_once_and_becomes_the_one_exported_document(
    connector: PosConnector, known_sku: str, count_documents: CountDocuments
) -> None:
    if not isinstance(connector, PosReserver):
        return  # the settings refuse reservations = true for it (test_reservations)
    document = order(1001, (line(known_sku, 1),))
    first = connector.reserve(document)
    again = connector.reserve(document)
    assert again.already_existed and again.pos_ref == first.pos_ref
    receipt = connector.write_order(document)
    assert connector.find_document("main:1001") == receipt.pos_ref
    assert count_documents(connector, "main:1001") == 1


def test_a_released_reservation_leaves_no_document(
    connector: PosConnector, known_sku: str, count_documents: CountDocuments
) -> None:
    if not isinstance(connector, PosReserver):
        return
    connector.reserve(order(1002, (line(known_sku, 1),)))
    assert connector.release("main:1002") is True
    assert connector.release("main:1002") is False
    assert connector.find_document("main:1002") is None
    assert count_documents(connector, "main:1002") == 0
    assert connector.reservations_applied(["main:1002"]) == {}
