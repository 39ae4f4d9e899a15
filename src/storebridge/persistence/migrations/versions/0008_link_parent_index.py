"""product_links (store, woo_parent_id): the link check finds a changed parent's variations.

Revision ID: 0008_link_parent_index
Revises: 0007_reservations
Create Date: 2026-12-03

The link check (`sync.catalogue.link_check`) looks up the linked variations
of every variable parent WooCommerce lists as changed.  Without an index that
look-up scans the whole link table once per page of a read-back.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_link_parent_index"
down_revision: str | None = "0007_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_product_links_store_woo_parent_id"


def upgrade() -> None:
    op.create_index(INDEX, "product_links", ["store", "woo_parent_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="product_links")
