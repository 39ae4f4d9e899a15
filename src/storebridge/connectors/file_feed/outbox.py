"""The file feed's write side: an outbox folder the ERP imports from.

Layout (``<outbox>`` is `FileFeedSettings.outbox`)::

    <outbox>/main__1234.json          one order: the full OrderDocument incl. customer
    <outbox>/main__1234.csv           the same order as CSV (see below)
    <outbox>/sent/                    where the ERP archives what it imported
    <outbox>/credits/<key>.json|.csv  credits, archived into credits/sent/
    <outbox>/customers/<ref>.json     one file per customer, rewritten when addresses change
    <outbox>/reservations/            web orders' holds and their releases (`file_feed.reservations`)
    <outbox>/.storebridge/            StoreBridge's own state (known SKUs); not for the ERP

File names come from the idempotency key (``main:1234`` -> ``main__1234``), so
the name *is* the key: a document is "already written" when its JSON exists in
the folder or in its ``sent/`` archive.  The ERP must archive (move) imported
files into ``sent/`` or leave them; deleting them would defeat that check.

Moving an order's JSON into ``sent/`` is also how the ERP says it has
*applied* the order (booked it into its stock): until then the order's units
stay allocated in WooCommerce, since the on-hand in the feed cannot include
the sale yet (`applied`; the ERP should move the JSON once its import has
committed, and the CSV with it).  An order left in the outbox is never
released, which errs on the side of not overselling.

Every file is written atomically: a hidden temp file (``.name.<pid>.<hex>.tmp``)
in the same folder, fsync, `os.replace`, fsync of the folder.  An importer
globbing ``*.json``/``*.csv`` never sees a partial file, and a crash leaves at
most a hidden temp file that `sweep_temp_files` removes once its writer is
dead.  The CSV is written before the JSON, and the JSON is the commit point:
a retry after a crash between the two finds no JSON, skips the CSV if it is
already in the folder or archive, and writes the JSON.  If the JSON exists but
the CSV does not (never written), the retry writes the CSV.

CSV shape: one file per document with a ``record_type`` column -- ``H`` the
header (one row), ``L`` product lines, ``S`` shipping, ``F`` fees -- using the
feed's delimiter and decimal separator, in the feed's encoding (characters it
cannot encode become ``?``; the JSON, always UTF-8, keeps them).  Text that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: a shopper's name ``=cmd|' /C calc'!A0``) is
written with a leading apostrophe, so the clerk who opens the CSV runs nothing;
amounts and quantities are numbers and stay as they are, and the JSON keeps
every text exactly.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from storebridge.connectors.balance import refuse_unbalanced
from storebridge.domain.model import (
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
)
from storebridge.ports import WriteReceipt

__all__ = [
    "CSV_COLUMNS",
    "GUEST_REF",
    "FileOutbox",
    "atomic_write",
    "customer_ref_for",
    "dumps",
    "inert_text",
    "safe_name",
    "sweep_temp_files",
]

GUEST_REF = "WEB-GUEST"
CSV_COLUMNS = (
    "record_type",
    "document",
    "original_document",
    "order_number",
    "date",
    "currency",
    "customer_ref",
    "email",
    "name",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "total",
    "tax",
    "non_inventory",
    "payment_method",
    "transaction_id",
    # The money breakdown (added at the end so positional importers keep working).
    "net",
    "gross",
    "tax_rate",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_TEMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.tmp$")


#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def safe_name(key: str) -> str:
    """A file-system-safe name for an idempotency key: ``main:1234`` -> ``main__1234``.

    ``:`` becomes ``__``; an underscore next to another underscore or a colon,
    a leading dot and any character outside ``[A-Za-z0-9._-]`` become ``%XX``
    (their UTF-8 bytes).  Names stay readable, never hidden, and two keys
    never share a name (a run of 2k underscores can only come from k colons).
    """
    if not key:
        raise ValueError("an idempotency key cannot be empty")
    out: list[str] = []
    for i, ch in enumerate(key):
        if ch == ":":
            out.append("__")
        elif ch == "_" and ({key[i - 1 : i], key[i + 1 : i + 2]} & {"_", ":"}):
            out.append("%5F")
        elif _UNSAFE.fullmatch(ch) or (ch == "." and i == 0):
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def customer_ref_for(email: str) -> str:
    """The stable outbox reference of a customer: a hash of the normalised e-mail."""
    email_key = email.strip().casefold()
    if not email_key:
        return GUEST_REF
    return "C-" + hashlib.sha256(email_key.encode()).hexdigest()[:16]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def sweep_temp_files(folder: Path) -> list[Path]:
    """Delete temp files left by writers that died mid-write; returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(".*.tmp"):
        match = _TEMP.match(path.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to an outbox document")


def dumps(value: object) -> bytes:
    return json.dumps(value, default=_json_default, indent=2, ensure_ascii=False).encode()


class FileOutbox:
    """Writes orders, credits and customers into the outbox folder (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        *,
        delimiter: str = ",",
        decimal_comma: bool = False,
        encoding: str = "utf-8",
    ) -> None:
        self.root = root
        self.credits = root / "credits"
        self.customers = root / "customers"
        self.state = root / ".storebridge"
        self._delimiter = delimiter
        self._decimal_comma = decimal_comma
        self._encoding = encoding
        for folder in (root, root / "sent", self.credits, self.credits / "sent", self.customers):
            folder.mkdir(parents=True, exist_ok=True)
            sweep_temp_files(folder)

    # -- lookup -----------------------------------------------------------------

    @staticmethod
    def _locate(folder: Path, file_name: str) -> Path | None:
        for candidate in (folder / file_name, folder / "sent" / file_name):
            if candidate.exists():
                return candidate
        return None

    def find(self, idempotency_key: str) -> str | None:
        """The outbox reference written under this key (order or credit), if any."""
        name = safe_name(idempotency_key)
        for folder in (self.root, self.credits):
            if self._locate(folder, f"{name}.json") is not None:
                return name
        return None

    def applied(self, idempotency_keys: Iterable[str]) -> dict[str, datetime]:
        """The order keys whose JSON the ERP has archived into ``sent/``, with when we saw it.

        A move keeps the file's times, so the moment of the import is unknown:
        now is the earliest moment StoreBridge can vouch for.
        """
        now = datetime.now(UTC)
        sent = self.root / "sent"
        return {key: now for key in idempotency_keys if (sent / f"{safe_name(key)}.json").exists()}

    def _write_once(self, folder: Path, file_name: str, render: bytes | None) -> None:
        """Write the file unless it already sits in `folder` or its archive."""
        if render is not None and self._locate(folder, file_name) is None:
            atomic_write(folder / file_name, render)

    # -- rendering ----------------------------------------------------------------

    def _amount(self, value: Decimal) -> str:
        text = str(value)
        return text.replace(".", ",") if self._decimal_comma else text

    def _cell(self, value: object) -> object:
        if isinstance(value, Decimal):
            return self._amount(value)
        if isinstance(value, str):
            return inert_text(value)
        return value

    def _csv(self, rows: Iterable[dict[str, object]]) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(
            buffer, fieldnames=CSV_COLUMNS, delimiter=self._delimiter, lineterminator="\r\n"
        )
        writer.writeheader()
        for row in rows:
            writer.writerow({k: self._cell(v) for k, v in row.items()})
        return buffer.getvalue().encode(self._encoding, errors="replace")

    def _order_rows(
        self, doc: OrderDocument, ref: str, customer_ref: str
    ) -> Iterable[dict[str, object]]:
        customer = doc.customer
        yield {
            "record_type": "H",
            "document": ref,
            "order_number": doc.number,
            "date": doc.created_at.isoformat(),
            "currency": doc.currency,
            "customer_ref": customer_ref,
            "email": customer.email,
            "name": f"{customer.first_name} {customer.last_name}".strip(),
            "total": doc.total,
            "tax": doc.tax_total,
            "payment_method": doc.payment_method,
            "transaction_id": doc.transaction_id,
            "net": doc.net_total,
            "gross": doc.total,
        }
        for line in doc.lines:
            yield _line_row(line, ref)
        for charge in doc.charges:
            yield _charge_row(charge, ref)

    def _credit_rows(self, doc: CreditDocument, ref: str) -> Iterable[dict[str, object]]:
        yield {
            "record_type": "H",
            "document": ref,
            "original_document": doc.original_pos_ref,
            "order_number": doc.woo_order_id,
            "date": doc.created_at.isoformat(),
            "description": doc.reason,
            "total": doc.total,
            "tax": doc.tax_total,
            "net": doc.total - doc.tax_total,
            "gross": doc.total,
        }
        for line in doc.lines:
            yield _line_row(line, ref)
        for charge in doc.charges:
            yield _charge_row(charge, ref)

    # -- writing ------------------------------------------------------------------

    def write_order(
        self, document: OrderDocument, customer_ref: str, reservation: str | None = None
    ) -> WriteReceipt:
        """Write the order's CSV then JSON once; a known key returns the first write.

        `reservation` names the reservation file the ERP holds for this order
        (`file_feed.reservations`): the envelope carries it, so the ERP turns
        that hold into this sale instead of booking the units a second time.
        """
        refuse_unbalanced(document)
        name = safe_name(document.idempotency_key)
        existing = self._locate(self.root, f"{name}.json")
        if existing is not None:
            try:
                customer_ref = str(json.loads(existing.read_bytes())["customer_ref"])
            except (ValueError, KeyError, TypeError):
                customer_ref = customer_ref_for(document.customer.email)
        csv_bytes = self._csv(self._order_rows(document, name, customer_ref))
        self._write_once(self.root, f"{name}.csv", csv_bytes)
        if existing is not None:
            return WriteReceipt(name, customer_ref, already_existed=True)
        envelope = {
            "format": "storebridge.order.v1",
            "pos_ref": name,
            "customer_ref": customer_ref,
            "idempotency_key": document.idempotency_key,
            "written_at": datetime.now(UTC),
            "order": asdict(document),
        }
        if reservation is not None:
            envelope["reservation"] = reservation
        atomic_write(self.root / f"{name}.json", dumps(envelope))
        return WriteReceipt(name, customer_ref)

    def write_credit(self, document: CreditDocument) -> str:
        """Write the credit's CSV then JSON once under credits/; returns its reference."""
        refuse_unbalanced(document)
        name = safe_name(document.idempotency_key)
        self._write_once(self.credits, f"{name}.csv", self._csv(self._credit_rows(document, name)))
        if self._locate(self.credits, f"{name}.json") is None:
            envelope = {
                "format": "storebridge.credit.v1",
                "pos_ref": name,
                "idempotency_key": document.idempotency_key,
                "written_at": datetime.now(UTC),
                "credit": asdict(document),
            }
            atomic_write(self.credits / f"{name}.json", dumps(envelope))
        return name

    def upsert_customer(self, customer: CustomerDoc) -> str:
        """Write or refresh customers/<ref>.json; the ref is stable for an e-mail.

        Checkouts without an e-mail share one ``WEB-GUEST`` customer, written
        once and never updated.
        """
        ref = customer_ref_for(customer.email)
        guest = ref == GUEST_REF
        record = {
            "format": "storebridge.customer.v1",
            "ref": ref,
            "email": customer.email.strip().casefold(),
            "first_name": "WEB" if guest else customer.first_name,
            "last_name": "GUEST" if guest else customer.last_name,
            "phone": "" if guest else customer.phone,
            "woo_customer_id": 0 if guest else customer.woo_customer_id,
            "billing": {} if guest else asdict(customer.billing),
            "shipping": {} if guest else asdict(customer.shipping),
        }
        data = dumps(record)
        current = self._locate(self.customers, f"{ref}.json")
        if current is not None and (guest or current.read_bytes() == data):
            return ref  # unchanged: do not make the ERP import it again
        atomic_write(self.customers / f"{ref}.json", data)
        return ref

    # -- StoreBridge state ----------------------------------------------------------

    def load_known_skus(self) -> set[str] | None:
        """The persisted set of SKU keys the feed has shown, or None if never saved."""
        path = self.state / "known-skus.json"
        try:
            keys = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        return {str(k) for k in keys}

    def save_known_skus(self, keys: Iterable[str]) -> None:
        atomic_write(self.state / "known-skus.json", json.dumps(sorted(keys)).encode())


def _line_row(line: DocLine, ref: str) -> dict[str, object]:
    """The CSV `L` record of a product line, shared by invoices and credits."""
    return {
        "record_type": "L",
        "document": ref,
        "sku": line.sku or "",
        "description": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "total": line.total,
        "tax": line.tax,
        "non_inventory": 0 if line.known_to_pos else 1,
        "net": line.total,
        "gross": line.gross,
        "tax_rate": line.tax_rate,
    }


def _charge_row(charge: ChargeLine, ref: str) -> dict[str, object]:
    """The CSV `S`/`F` record of a shipping or fee charge."""
    return {
        "record_type": "S" if charge.kind == "shipping" else "F",
        "document": ref,
        "sku": charge.method_id,
        "description": charge.name,
        "quantity": 1,
        "unit_price": charge.total,
        "total": charge.total,
        "tax": charge.tax,
        "net": charge.total,
        "gross": charge.gross,
        "tax_rate": charge.tax_rate,
    }
