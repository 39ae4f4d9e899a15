"""The ``reservations`` table: each order's reservation in the POS/ERP.

Revision ID: 0007_reservations
Revises: 0006_source_digest
Create Date: 2026-12-03

With ``reservations = true`` a store places a reservation in the POS/ERP when
a web order starts allocating (`domain.reservation_state`).  Stores without
it never write a row, so existing databases need nothing filled in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_reservations"
down_revision: str | None = "0006_source_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("store", sa.String(length=64), nullable=False),
        sa.Column("woo_order_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("pos_ref", sa.String(length=255), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("tracking", sa.String(length=255), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipment_problem", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint(
            "store", "woo_order_id", name=op.f("uq_reservations_store_woo_order_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("reservations")
