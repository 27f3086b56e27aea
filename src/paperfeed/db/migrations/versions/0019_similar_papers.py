"""Similar papers stored: each paper's list, computed once from the search indexes instead of on
every view of its page (paperfeed.search.similar).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "similar_papers",
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, comment="0: the most similar"),
        sa.Column("similar_id", sa.String(240), nullable=False),
        sa.Column("index_stamp", sa.Integer, nullable=False,
                  comment="how many paper vectors the index that computed the list held"),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "position", name="pk_similar_papers"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_similar_papers_paper_id_papers",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("similar_papers")
