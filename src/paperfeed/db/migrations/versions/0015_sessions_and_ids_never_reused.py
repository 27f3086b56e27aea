"""Ids are never reused, sessions live in the database, subscription links carry a secret, and a
deleted member's comments stay as stubs.

- SQLite hands a new row the id of the highest deleted one unless the table is AUTOINCREMENT
  (https://sqlite.org/autoinc.html): an old cookie or signed link would then point at a new
  member or subscriber. The tables whose ids reach cookies, links or URLs are rebuilt with
  AUTOINCREMENT (SQLite's procedure: foreign keys off around the rebuild, see
  ``paperfeed.db.engine.migrate``). PostgreSQL's sequences never hand out a number twice.
- ``member_sessions``: one row a signed-in browser; the cookie holds its random id. Signing out
  deletes the row; a password or email change deletes the member's other sessions.
- ``subscriptions.link_secret``: a random secret inside the signed unsubscribe and preferences
  links, so a link dies with its subscription. Rows from before have none, and their old links
  (already in people's mailboxes) keep working.
- ``comments.user_id`` becomes nullable, ON DELETE SET NULL: deleting an account leaves its
  comments as "[deleted]" stubs and keeps the replies of others.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NEVER_REUSED = ("users", "subscriptions", "comments", "collections", "api_tokens", "saved_searches")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    rebuild = {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}
    with op.batch_alter_table("comments", **rebuild) as batch:
        batch.alter_column("user_id", existing_type=sa.Integer, nullable=True,
                           comment="null once the author deleted their account: the comment stays as a stub")
        batch.drop_constraint("fk_comments_user_id_users", type_="foreignkey")
        batch.create_foreign_key("fk_comments_user_id_users", "users", ["user_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("subscriptions", **rebuild) as batch:
        batch.add_column(sa.Column("link_secret", sa.String(64),
                                   comment="random, inside its signed links; null for rows older than 0015"))
    if sqlite:
        for table in NEVER_REUSED:
            if table not in ("comments", "subscriptions"):
                with op.batch_alter_table(table, **rebuild):
                    pass
    op.create_table(
        "member_sessions",
        sa.Column("id_sha256", sa.String(64), nullable=False, comment="SHA-256 of the id in the cookie"),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_sha256", name="pk_member_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_member_sessions_user_id_users",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_member_sessions_user_id", "member_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_member_sessions_user_id", table_name="member_sessions")
    op.drop_table("member_sessions")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("link_secret")
