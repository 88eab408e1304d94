"""The review list of links from an impact's unnamed asset to a registry facility, and the decisions on them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_links",
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("impact_id", sa.String(length=200), nullable=False),
        sa.Column("from_asset_id", sa.String(length=200), nullable=False),
        sa.Column("to_asset_id", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("link_id"),
    )


def downgrade() -> None:
    op.drop_table("asset_links")
