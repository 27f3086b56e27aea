"""Votes: members' upvotes, counted on papers.member_votes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("member_votes", sa.Integer, nullable=False, server_default="0",
                                   comment="upvotes of this site's members (rows of votes), kept with them in one transaction"))
    op.create_table(
        "votes",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "paper_id", name="pk_votes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_votes_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_votes_paper_id_papers", ondelete="CASCADE"),
    )
    op.create_index("ix_votes_paper_id", "votes", ["paper_id"])


def downgrade() -> None:
    op.drop_index("ix_votes_paper_id", table_name="votes")
    op.drop_table("votes")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("member_votes")
