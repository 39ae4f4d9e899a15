"""The one exception tree of StoreBridge (WooCommerce HTTP errors live in woocommerce.errors).

    StoreBridgeError
    ├── ConfigError            bad or missing configuration; message names field, value and fix
    ├── ConnectorError         the POS/ERP side failed
    │   ├── PosUnavailable     transient (database down, file locked): retry with backoff
    │   └── PosRejected        the POS refused the document: park it, a human must look
    └── ExportError            an order cannot be turned into a POS document
        └── TotalsMismatch     the document would not balance to WooCommerce's total

Branches encode the decision: *retry* (PosUnavailable), *park and show*
(PosRejected, ExportError), *stop and tell the operator* (ConfigError).
"""

from __future__ import annotations

from decimal import Decimal


class StoreBridgeError(Exception):
    """Base of every error StoreBridge raises on purpose."""


class ConfigError(StoreBridgeError):
    """The configuration is invalid; the message says where and how to fix it."""


class ConnectorError(StoreBridgeError):
    """The POS/ERP connector failed."""


class PosUnavailable(ConnectorError):
    """A transient POS/ERP failure: the same call may succeed later."""


class PosRejected(ConnectorError):
    """The POS/ERP refused a document for a reason retrying will not fix."""


class ExportError(StoreBridgeError):
    """An order cannot be exported as it stands."""


class TotalsMismatch(ExportError):
    """The exported document's total differs from WooCommerce's total."""

    def __init__(
        self,
        order_id: int,
        expected: Decimal,
        computed: Decimal,
        *,
        what: str = "total",
        subject: str = "",
    ) -> None:
        self.order_id = order_id
        self.expected = expected
        self.computed = computed
        self.what = what
        name = subject or f"order {order_id}"
        super().__init__(
            f"{name}: document {what} {computed} differs from WooCommerce {what} "
            f"{expected} by {computed - expected}; check the order's lines, fees and taxes "
            "in WooCommerce, then retry or skip the export"
        )
