"""Fetch state: each fetcher's cursor and last run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("cursor", sa.JSON, nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True)),
        sa.Column("last_outcome", sa.String(16), comment="ok | partial | failed | running"),
        sa.Column("last_message", sa.Text),
        sa.Column("last_counts", sa.JSON),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_fetch_state"),
    )


def downgrade() -> None:
    op.drop_table("fetch_state")
