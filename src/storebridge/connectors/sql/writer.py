"""The SQL connector's write side: documents into staging tables, exactly once.

Three staging tables (names configured, columns fixed: `staging_tables`,
created by the sample schemas) take what the POS/ERP imports:

* documents — one row per invoice or credit; ``idempotency_key`` is UNIQUE;
  the POS reference is ``ref_prefix`` + the row id (``WEB-42``);
* document lines — product lines (``item`` / ``non_inventory``) then
  ``shipping`` / ``fee`` lines, numbered from 1;
* customers — one row per normalised e-mail (UNIQUE ``email_key``; ``''``
  is the shared web guest), unless ``queries.find_customer`` finds the
  customer in the POS's own table first.

Exactly once.  A document is written in one transaction: look the key up,
book the customer, insert the header, its lines, run ``after_write``, commit.
A crash anywhere before the commit leaves nothing (the server rolls the
transaction back); a crash after it leaves a document the next attempt finds
by its key.  Two writers racing on one key: the second insert violates the
UNIQUE key, its transaction rolls back, and the retry finds the first
writer's document and answers "already written" — never an error, never a
duplicate.  A customer race resolves the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from storebridge.connectors.balance import refuse_unbalanced
from storebridge.connectors.sql.database import translated
from storebridge.connectors.sql.settings import SqlSettings, StagingTables
from storebridge.domain.model import (
    ChargeLine,
    CreditDocument,
    CustomerDoc,
    DocLine,
    OrderDocument,
)
from storebridge.errors import PosRejected
from storebridge.ports import WriteReceipt

__all__ = ["SqlWriter", "Staging", "staging_tables"]

_APPLIED_CHUNK = 500  # keys per "applied" look-up
_ATTEMPTS = 3  # a lost race is settled by the next attempt; more means something else is wrong


@dataclass(frozen=True, slots=True)
class Staging:
    """The three staging tables as SQLAlchemy Core tables (statements stay parameterised)."""

    documents: Table
    lines: Table
    customers: Table


class Money(TypeDecorator[Decimal]):
    """An exact amount: NUMERIC where the database has it, decimal text on SQLite.

    SQLAlchemy's Numeric goes through float on SQLite, which has no decimal type.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is not None and dialect.name == "sqlite":
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def _split(name: str) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def staging_tables(names: StagingTables) -> Staging:
    """Core tables for the configured names (the column contract of the staging tables)."""
    meta = MetaData()
    schema, name = _split(names.documents)
    documents = Table(
        name, meta,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("idempotency_key", String(200), nullable=False, unique=True),
        Column("kind", String(10), nullable=False),  # invoice | credit
        Column("store", String(100), nullable=False),
        Column("woo_order_id", BigInteger, nullable=False),
        Column("order_number", String(50), nullable=False),
        Column("original_ref", String(50)),
        Column("customer_ref", String(50), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("document_date", DateTime, nullable=False),  # UTC
        Column("total", Money(14, 2), nullable=False),
        Column("tax_total", Money(14, 2), nullable=False),
        Column("discount_total", Money(14, 2), nullable=False),
        Column("payment_method", String(100), nullable=False),
        Column("transaction_id", String(200), nullable=False),
        Column("customer_note", Text, nullable=False),
        Column("body", Text, nullable=False),  # the whole document as JSON
        Column("written_at", DateTime, nullable=False),  # UTC
        schema=schema,
    )  # fmt: skip
    schema, name = _split(names.document_lines)
    lines = Table(
        name, meta,
        Column("document_id", BigInteger, primary_key=True),
        Column("line_no", Integer, primary_key=True),
        Column("kind", String(20), nullable=False),  # item | non_inventory | shipping | fee
        Column("sku", String(100)),
        Column("name", String(400), nullable=False),
        Column("quantity", Integer, nullable=False),
        Column("unit_price", Money(14, 4), nullable=False),
        Column("total", Money(14, 2), nullable=False),
        Column("tax", Money(14, 2), nullable=False),
        Column("gross", Money(14, 2), nullable=False),  # total + tax
        Column("tax_rate", Money(7, 4), nullable=False),  # percent: 10 means 10 %
        schema=schema,
    )  # fmt: skip
    schema, name = _split(names.customers)
    customers = Table(
        name, meta,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("email_key", String(254), nullable=False, unique=True),  # '' = web guest
        Column("first_name", String(100), nullable=False),
        Column("last_name", String(100), nullable=False),
        Column("company", String(200), nullable=False),
        Column("phone", String(50), nullable=False),
        Column("address_1", String(200), nullable=False),
        Column("address_2", String(200), nullable=False),
        Column("city", String(100), nullable=False),
        Column("state", String(100), nullable=False),
        Column("postcode", String(20), nullable=False),
        Column("country", String(2), nullable=False),
        Column("shipping", Text, nullable=False),  # shipping address as JSON
        Column("woo_customer_id", BigInteger, nullable=False),
        Column("updated_at", DateTime, nullable=False),  # UTC
        schema=schema,
    )  # fmt: skip
    return Staging(documents, lines, customers)


def _aware(value: datetime, zone: tzinfo) -> datetime:
    """A column value as an aware UTC datetime; a naive one is read in `zone`."""
    return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)


def _utc(value: datetime) -> datetime:
    """Naive UTC: every dialect stores it the same way (MariaDB has no zoned type)."""
    return value.astimezone(UTC).replace(tzinfo=None)


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row returns its primary key"
    return int(key[0])


def _email_key(email: str) -> str:
    return email.strip().casefold()


class SqlWriter:
    """Writes customers, orders and credits into the staging tables (see the module docstring)."""

    def __init__(self, engine: Engine, settings: SqlSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.names = settings.staging
        self.tables = staging_tables(settings.staging)

    # -- references --------------------------------------------------------------------

    def _ref(self, document_id: int) -> str:
        return f"{self.names.ref_prefix}{document_id}"

    def _document_id(self, ref: str) -> int | None:
        prefix = self.names.ref_prefix
        digits = ref[len(prefix) :] if ref.startswith(prefix) else ""
        return int(digits) if digits.isdigit() else None

    # -- steps (each one statement or a few; the crash tests kill the process after each) -----

    def _lookup(self, conn: Connection, key: str) -> tuple[str, str] | None:
        docs = self.tables.documents
        row = conn.execute(
            select(docs.c.id, docs.c.customer_ref).where(docs.c.idempotency_key == key)
        ).first()
        return None if row is None else (self._ref(int(row.id)), str(row.customer_ref))

    def _upsert_customer(self, conn: Connection, customer: CustomerDoc) -> str:
        key = _email_key(customer.email)
        found = self.settings.queries.find_customer
        if key and found is not None:
            with translated("queries.find_customer"):
                ref = conn.execute(text(found), {"email": key}).scalar()
            if ref is not None:
                return str(ref)
        table = self.tables.customers
        guest = not key
        values = {
            "email_key": key,
            "first_name": "WEB" if guest else customer.first_name,
            "last_name": "GUEST" if guest else customer.last_name,
            "company": "" if guest else customer.billing.company,
            "phone": "" if guest else (customer.phone or customer.billing.phone),
            "address_1": "" if guest else customer.billing.address_1,
            "address_2": "" if guest else customer.billing.address_2,
            "city": "" if guest else customer.billing.city,
            "state": "" if guest else customer.billing.state,
            "postcode": "" if guest else customer.billing.postcode,
            "country": "" if guest else customer.billing.country,
            "shipping": "{}" if guest else json.dumps(asdict(customer.shipping), sort_keys=True),
            "woo_customer_id": 0 if guest else customer.woo_customer_id,
        }
        row = conn.execute(select(table).where(table.c.email_key == key)).first()
        now = _utc(datetime.now(UTC))
        if row is None:
            customer_id = _new_id(conn.execute(table.insert().values(**values, updated_at=now)))
        else:
            customer_id = int(row.id)
            current = {name: getattr(row, name) for name in values}
            if not guest and current != values:  # addresses changed: the POS re-imports it
                conn.execute(
                    update(table).where(table.c.id == customer_id).values(**values, updated_at=now)
                )
        return f"{self.names.customer_prefix}{customer_id}"

    def _insert_document(
        self,
        conn: Connection,
        document: OrderDocument | CreditDocument,
        customer_ref: str,
        original_ref: str | None,
    ) -> int:
        values: dict[str, object] = {
            "idempotency_key": document.idempotency_key,
            "store": document.store,
            "woo_order_id": document.woo_order_id,
            "original_ref": original_ref,
            "customer_ref": customer_ref,
            "total": document.total,
            "body": json.dumps(asdict(document), default=str, ensure_ascii=False),
            "written_at": _utc(datetime.now(UTC)),
        }
        if isinstance(document, OrderDocument):
            values.update(
                kind="invoice",
                order_number=document.number,
                currency=document.currency,
                document_date=_utc(document.completed_at or document.created_at),
                tax_total=document.tax_total,
                discount_total=document.discount_total,
                payment_method=document.payment_method,
                transaction_id=document.transaction_id,
                customer_note=document.customer_note,
            )
        else:
            values.update(
                kind="credit",
                order_number=str(document.woo_order_id),
                currency="",
                document_date=_utc(document.created_at),
                tax_total=sum((line.tax for line in document.lines), Decimal(0)),
                discount_total=Decimal(0),
                payment_method="",
                transaction_id="",
                customer_note=document.reason,
            )
        return _new_id(conn.execute(self.tables.documents.insert().values(**values)))

    def _insert_lines(
        self,
        conn: Connection,
        document_id: int,
        lines: Sequence[DocLine],
        charges: Sequence[ChargeLine],
    ) -> None:
        rows: list[dict[str, object]] = []
        for line in lines:
            rows.append(
                {
                    "kind": "item" if line.sku and line.known_to_pos else "non_inventory",
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "total": line.total,
                    "tax": line.tax,
                    "gross": line.gross,
                    "tax_rate": line.tax_rate,
                }
            )
        for charge in charges:
            rows.append(
                {
                    "kind": charge.kind,
                    "sku": None,
                    "name": charge.name,
                    "quantity": 1,
                    "unit_price": charge.total,
                    "total": charge.total,
                    "tax": charge.tax,
                    "gross": charge.gross,
                    "tax_rate": charge.tax_rate,
                }
            )
        if rows:
            numbered = [
                {**row, "document_id": document_id, "line_no": n}
                for n, row in enumerate(rows, start=1)
            ]
            conn.execute(self.tables.lines.insert(), numbered)

    def _after_write(self, conn: Connection, document_id: int, key: str) -> None:
        for number, statement in enumerate(self.names.after_write, start=1):
            params = {"document_id": document_id, "pos_ref": self._ref(document_id)}
            params["idempotency_key"] = key
            with translated(f"staging.after_write[{number}]"):
                conn.execute(text(statement), params)

    # -- the port's write operations ---------------------------------------------------

    def find_document(self, idempotency_key: str) -> str | None:
        with translated("staging.documents"), self.engine.connect() as conn:
            found = self._lookup(conn, idempotency_key)
        return None if found is None else found[0]

    def applied(self, idempotency_keys: Sequence[str]) -> dict[str, datetime]:
        """When each written document was booked into the POS stock (see `SqlQueries.applied`).

        Without an ``applied`` query, the staging row's ``written_at``: the
        ``after_write`` statements run in the same transaction, so a POS that
        books there has applied the document as it was written.  A POS that
        imports the staging tables later must say when through the query, or
        its orders would be released before its on-hand includes them.
        """
        keys = sorted(set(idempotency_keys))
        query = self.settings.queries.applied
        docs = self.tables.documents
        found: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys), _APPLIED_CHUNK):
                chunk = keys[start : start + _APPLIED_CHUNK]
                if query is None:
                    with translated("staging.documents"):
                        rows = conn.execute(
                            select(docs.c.idempotency_key, docs.c.written_at).where(
                                docs.c.idempotency_key.in_(chunk)
                            )
                        ).all()
                else:
                    statement = text(query).bindparams(bindparam("keys", expanding=True))
                    with translated("queries.applied"):
                        rows = conn.execute(statement, {"keys": chunk}).all()
                # Staging rows are naive UTC; the POS's own columns are in its `timezone`.
                zone = UTC if query is None else ZoneInfo(self.settings.timezone)
                for key, at in rows:
                    if isinstance(at, datetime):
                        found[str(key)] = _aware(at, zone)
        return found

    def upsert_customer(self, customer: CustomerDoc) -> str:
        for _ in range(_ATTEMPTS):
            try:
                with translated("staging.customers"), self.engine.begin() as conn:
                    return self._upsert_customer(conn, customer)
            except IntegrityError:
                continue  # a concurrent writer booked the same e-mail: read its row
        raise PosRejected(
            f"customer {customer.email or 'web guest'}: the staging table "
            f"{self.names.customers} keeps refusing the row; check its constraints"
        )

    def write_order(self, document: OrderDocument) -> WriteReceipt:
        """Write `document` once (see the module docstring)."""
        refuse_unbalanced(document)
        key = document.idempotency_key
        last: IntegrityError | None = None
        for _ in range(_ATTEMPTS):
            try:
                with translated("staging.documents"), self.engine.begin() as conn:
                    found = self._lookup(conn, key)
                    if found is not None:
                        return WriteReceipt(found[0], found[1], already_existed=True)
                    customer_ref = self._upsert_customer(conn, document.customer)
                    document_id = self._insert_document(conn, document, customer_ref, None)
                    self._insert_lines(conn, document_id, document.lines, document.charges)
                    self._after_write(conn, document_id, key)
                return WriteReceipt(self._ref(document_id), customer_ref)
            except IntegrityError as exc:  # a lost race on the key or the customer
                last = exc
        raise PosRejected(
            f"order {key}: the staging tables keep refusing it ({last.orig if last else ''}); "
            "check their constraints"
        )

    def write_credit(self, document: CreditDocument) -> str:
        """Write the credit once; its original invoice must be in the documents table."""
        refuse_unbalanced(document)
        key = document.idempotency_key
        docs = self.tables.documents
        last: IntegrityError | None = None
        for _ in range(_ATTEMPTS):
            try:
                with translated("staging.documents"), self.engine.begin() as conn:
                    found = self._lookup(conn, key)
                    if found is not None:
                        return found[0]
                    original_id = self._document_id(document.original_pos_ref)
                    original = conn.execute(
                        select(docs.c.customer_ref).where(
                            docs.c.id == bindparam("id", original_id), docs.c.kind == "invoice"
                        )
                    ).first()
                    if original_id is None or original is None:
                        raise PosRejected(
                            f"credit {key}: invoice {document.original_pos_ref!r} is not in "
                            f"{self.names.documents}; check the order's export before retrying"
                        )
                    ref = document.original_pos_ref
                    document_id = self._insert_document(
                        conn, document, str(original.customer_ref), ref
                    )
                    self._insert_lines(conn, document_id, document.lines, ())
                    self._after_write(conn, document_id, key)
                return self._ref(document_id)
            except IntegrityError as exc:
                last = exc
        raise PosRejected(
            f"credit {key}: the staging tables keep refusing it ({last.orig if last else ''}); "
            "check their constraints"
        )
