"""Follows: authors and categories a member follows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="author | category"),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "value", name="pk_follows"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_follows_user_id_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("follows")
