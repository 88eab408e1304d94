"""The audit trail: every change of a record (who, when, old and new value, why), corrections, retractions.

Also who wrote each batch (``import_batches.user_name``; blank for batches written before).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("user_name", sa.String(length=200), nullable=True))
    op.create_table(
        "record_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("change_id"),
    )
    op.create_index("ix_record_changes_record", "record_changes", ["table_name", "record_id"])
    op.create_table(
        "record_corrections",
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "record_id", "field"),
    )
    op.create_table(
        "record_retractions",
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "record_id"),
    )


def downgrade() -> None:
    op.drop_table("record_retractions")
    op.drop_table("record_corrections")
    op.drop_index("ix_record_changes_record", table_name="record_changes")
    op.drop_table("record_changes")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("user_name")
