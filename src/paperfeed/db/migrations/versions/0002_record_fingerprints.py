"""Record fingerprints: what each origin last said about a paper.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_fingerprints",
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "origin", name="pk_record_fingerprints"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_record_fingerprints_paper_id_papers", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("record_fingerprints")
