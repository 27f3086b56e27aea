"""The site's data generation (``site_state``): one number, one more after every transaction that
changes what a page shows (paperfeed.db.generation). Cached pages are keyed by it, on every node.
On PostgreSQL the number is the sequence ``site_generation``.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "site_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False, comment="always 1"),
        sa.Column("generation", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(table.insert().values(id=1, generation=0, changed_at=sa.func.current_timestamp()))
    if op.get_bind().dialect.name == "postgresql":
        # On PostgreSQL the number is a sequence, moved on after each commit (no row for every
        # writer to wait on): paperfeed.db.generation.
        op.execute("CREATE SEQUENCE site_generation")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE site_generation")
    op.drop_table("site_state")
