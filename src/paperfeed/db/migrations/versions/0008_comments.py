"""Comments, reports of comments, and banned members.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("banned_at", sa.DateTime(timezone=True),
                                   comment="set by a moderator: a banned member cannot sign in"))
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("hidden_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_comments_paper_id_papers", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_comments_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["comments.id"], name="fk_comments_parent_id_comments", ondelete="CASCADE"),
    )
    op.create_index("ix_comments_paper_id", "comments", ["paper_id"])
    op.create_table(
        "comment_reports",
        sa.Column("comment_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("comment_id", "user_id", name="pk_comment_reports"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], name="fk_comment_reports_comment_id_comments",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_comment_reports_user_id_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("comment_reports")
    op.drop_index("ix_comments_paper_id", table_name="comments")
    op.drop_table("comments")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("banned_at")
