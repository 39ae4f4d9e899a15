"""The file feed's reservations: documents in the outbox that the ERP imports like orders.

Layout (next to the orders of `outbox`)::

    <outbox>/reservations/main__1234.json          hold the order's units (the order inside)
    <outbox>/reservations/main__1234.release.json  give them back (the order was cancelled)
    <outbox>/reservations/sent/                    where the ERP archives what it imported

The ERP holds a reservation's units from when it imports the file (moves it
into ``sent/``) until the order's own document arrives in the outbox (its
envelope names the reservation: the ERP turns the hold into that sale) or
the release file does.  The on-hand the ERP writes into the feed must
exclude the units it holds: StoreBridge stops holding them itself once the
reservation is in ``sent/`` and a later feed has been read.

Files are written atomically (`outbox.atomic_write`) and named after the
key, so a repeated call finds its own file.  A file feed cannot hold an
order again after releasing it (the ERP has already imported both files):
such a reservation is refused, and StoreBridge holds that order's units
itself, as without reservations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from storebridge.connectors.balance import refuse_unbalanced
from storebridge.connectors.file_feed.outbox import atomic_write, dumps, safe_name, sweep_temp_files
from storebridge.domain.model import OrderDocument
from storebridge.errors import PosRejected
from storebridge.ports import ReserveReceipt

__all__ = ["OutboxReservations"]


class OutboxReservations:
    """Reservation and release files under ``<outbox>/reservations``."""

    def __init__(self, outbox: Path) -> None:
        self.folder = outbox / "reservations"
        for folder in (self.folder, self.folder / "sent"):
            folder.mkdir(parents=True, exist_ok=True)
            sweep_temp_files(folder)

    def _locate(self, file_name: str) -> Path | None:
        for candidate in (self.folder / file_name, self.folder / "sent" / file_name):
            if candidate.exists():
                return candidate
        return None

    def find(self, idempotency_key: str) -> str | None:
        """The reservation written under this key and not released, if any."""
        name = safe_name(idempotency_key)
        if self._locate(f"{name}.json") is None or self._locate(f"{name}.release.json"):
            return None
        return name

    def reserve(self, document: OrderDocument) -> ReserveReceipt:
        name = safe_name(document.idempotency_key)
        if self._locate(f"{name}.release.json") is not None:
            raise PosRejected(
                f"{document.idempotency_key}: the file feed released this order's reservation "
                "before and cannot hold it again; StoreBridge holds its units itself"
            )
        if self._locate(f"{name}.json") is not None:
            return ReserveReceipt(name, applied=False, already_existed=True)
        refuse_unbalanced(document)
        envelope = {
            "format": "storebridge.reservation.v1",
            "pos_ref": name,
            "idempotency_key": document.idempotency_key,
            "written_at": datetime.now(UTC),
            "order": asdict(document),
        }
        atomic_write(self.folder / f"{name}.json", dumps(envelope))
        return ReserveReceipt(name, applied=False)

    def release(self, idempotency_key: str) -> bool:
        name = safe_name(idempotency_key)
        if self._locate(f"{name}.json") is None or self._locate(f"{name}.release.json"):
            return False
        envelope = {
            "format": "storebridge.reservation-release.v1",
            "pos_ref": name,
            "idempotency_key": idempotency_key,
            "written_at": datetime.now(UTC),
        }
        atomic_write(self.folder / f"{name}.release.json", dumps(envelope))
        return True

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """Keys whose reservation the ERP archived into ``sent/`` (and not released since).

        A move keeps the file's times: now is the earliest moment StoreBridge can vouch for.
        """
        now = datetime.now(UTC)
        sent = self.folder / "sent"
        return {
            key: now
            for key in idempotency_keys
            if (sent / f"{safe_name(key)}.json").exists() and self.find(key) is not None
        }
