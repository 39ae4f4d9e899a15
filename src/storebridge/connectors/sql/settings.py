"""Configuration of the SQL database connector (`[stores.X.connector] type = "sql"`).

The mapping *is* SQL: the operator writes the queries in the POS/ERP's own
dialect and names their columns after the feed fields (`ITEM_COLUMNS`), so
one connector serves any schema without code per system.  Values are bound
as parameters (``:since``), never formatted into the text.

The database URL is a secret (it may carry a password): give it as ``url``,
``url_file`` or ``STOREBRIDGE_STORES__<NAME>__CONNECTOR__URL``; a separate
``password`` / ``password_file`` replaces the URL's password.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from storebridge.connectors.settings_base import StampCursorSettings, StrictSettings

__all__ = [
    "ITEM_COLUMNS",
    "REQUIRED_ITEM_COLUMNS",
    "SqlQueries",
    "SqlSettings",
    "StagingTables",
]

#: Columns the items query may return, named after the feed fields (RawItem).
ITEM_COLUMNS = (
    "sku",
    "name",
    "price",
    "sale_price",
    "sale_from",
    "sale_to",
    "web_flag",
    "webstore",
    "webstore_price",
    "description",
    "short_description",
    "categories",
    "weight",
    "parent_code",
    "parent_name",
    "cursor_value",
)
REQUIRED_ITEM_COLUMNS = ("sku", "name", "price")


class SqlQueries(StrictSettings):
    """The read mapping: which SQL yields items, on-hand and changes.

    * ``items`` returns one row per sellable SKU with columns named after
      `ITEM_COLUMNS` (``sku``, ``name`` and ``price`` are required) plus the
      attribute columns named in ``attributes``;
    * ``on_hand`` returns one row per SKU and location: ``sku``, ``location``,
      ``on_hand``;
    * ``changed_items`` / ``changed_on_hand`` (optional, together) return
      ``sku`` and ``cursor_value`` of the rows changed since ``:since``
      (compare with ``>=``); the items and on-hand queries then also return
      ``cursor_value``, so a full read knows where to continue from.
    """

    items: str = Field(min_length=1, description="SELECT returning one row per SKU")
    on_hand: str = Field(min_length=1, description="SELECT returning sku, location, on_hand")
    changed_items: str | None = Field(
        default=None, description="SELECT sku, cursor_value of items changed since :since"
    )
    changed_on_hand: str | None = Field(
        default=None, description="SELECT sku, cursor_value of stock rows changed since :since"
    )
    attributes: dict[str, str] = Field(
        default_factory=dict, description="attribute name -> items column, e.g. {Size = 'size'}"
    )
    category_separator: str = "|"
    find_customer: str | None = Field(
        default=None,
        description="SELECT customer_ref of an existing POS customer WHERE e-mail = :email "
        "(the e-mail comes trimmed and lower-case)",
    )
    applied: str | None = Field(
        default=None,
        description="SELECT idempotency_key, applied_at of the written documents the POS has "
        "booked into its stock, WHERE idempotency_key IN :keys; unset: a document is applied "
        "when written (the after_write statements book it)",
    )

    @model_validator(mode="after")
    def _changes_come_in_pairs(self) -> SqlQueries:
        if (self.changed_items is None) != (self.changed_on_hand is None):
            raise ValueError(
                "changed_items and changed_on_hand go together: an incremental read that "
                "missed stock moves (or item edits) would publish stale figures; set both or "
                "neither"
            )
        if self.applied is not None and ":keys" not in self.applied:
            raise ValueError(
                "the applied query must select the written documents with the bound "
                "parameter :keys, e.g. WHERE idempotency_key IN :keys"
            )
        for query in (self.changed_items, self.changed_on_hand):
            if query is not None and ":since" not in query:
                raise ValueError(
                    "a changed_* query must compare its cursor column with the bound "
                    "parameter :since, e.g. WHERE updated_at >= :since"
                )
        return self

    @property
    def incremental(self) -> bool:
        return self.changed_items is not None


class StagingTables(StrictSettings):
    """Where documents are written: staging tables the POS/ERP imports from.

    Their columns are fixed (see the package docstring and the sample
    schemas); only the names are configured.  ``after_write`` statements run
    in the same transaction as the document, with ``:document_id``,
    ``:pos_ref`` and ``:idempotency_key`` bound (e.g. ``CALL
    import_web_document(:document_id)``).
    """

    documents: str = "sb_documents"
    document_lines: str = "sb_document_lines"
    customers: str = "sb_customers"
    ref_prefix: str = Field(default="WEB-", description="POS reference = prefix + document id")
    customer_prefix: str = Field(default="WEBC-", description="customer ref = prefix + row id")
    after_write: tuple[str, ...] = ()

    @field_validator("documents", "document_lines", "customers")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        parts = value.split(".")
        if not all(p and (p[0].isalpha() or p[0] == "_") for p in parts) or not all(
            c.isalnum() or c == "_" for p in parts for c in p
        ):
            raise ValueError(
                f"{value!r} is not a plain table name; use letters, digits and underscores, "
                "optionally schema-qualified (pos.web_orders)"
            )
        return value


class SqlSettings(StampCursorSettings):
    """A POS/ERP whose data sits in a SQL database, mapped by SQL."""

    type: Literal["sql"] = "sql"
    url: SecretStr = Field(
        description="SQLAlchemy URL, e.g. postgresql+psycopg://pos@db/pos, "
        "mysql+pymysql://pos@db/pos?charset=utf8mb4, sqlite:///pos.db"
    )
    password: SecretStr | None = Field(default=None, description="replaces the URL's password")
    queries: SqlQueries
    staging: StagingTables = Field(default_factory=StagingTables)
    timezone: str = Field(
        default="UTC", description="zone of timestamps stored without one (sale dates, cursors)"
    )
    bytes_encoding: str = Field(
        default="utf-8", description="how binary (BLOB/BYTEA) text columns are decoded"
    )

    @field_validator("url")
    @classmethod
    def _is_a_url(cls, value: SecretStr) -> SecretStr:
        try:
            make_url(value.get_secret_value())
        except ArgumentError:
            # The URL may hold a password: never repeat it.
            raise ValueError(
                "url is not a SQLAlchemy URL; write dialect+driver://user@host/database, e.g. "
                "postgresql+psycopg://pos@db.example/pos"
            ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone {value!r} is not an IANA zone; use e.g. 'UTC' or 'Europe/London'"
            ) from None
        return value

    def engine_url(self) -> URL:
        """The URL to connect with, password applied (keep it out of logs: it is secret)."""
        url = make_url(self.url.get_secret_value())
        if self.password is not None:
            url = url.set(password=self.password.get_secret_value())
        return url
