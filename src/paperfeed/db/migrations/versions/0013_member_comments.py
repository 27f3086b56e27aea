"""Members' comments count in a paper's numComments and in trending, as members' votes count in upvotes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("member_comments", sa.Integer, nullable=False, server_default="0",
                                   comment="visible comments of this site's members, recounted when one changes"))
    op.execute("UPDATE papers SET member_comments = (SELECT count(*) FROM comments WHERE comments.paper_id = papers.id"
               " AND comments.deleted_at IS NULL AND comments.hidden_at IS NULL)"
               " WHERE id IN (SELECT paper_id FROM comments)")


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("member_comments")
