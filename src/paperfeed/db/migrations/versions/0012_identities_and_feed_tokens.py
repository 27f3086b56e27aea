"""Sign-in through an OpenID Connect provider, and private feed links.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_identities",
        sa.Column("issuer", sa.String(500), nullable=False, comment="the provider's `iss`"),
        sa.Column("subject", sa.String(255), nullable=False, comment="the member's `sub` at that provider"),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "subject", name="pk_user_identities"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_identities_user_id_users",
                                ondelete="CASCADE"),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("feed_token", sa.String(64), comment="secret of the private feed URL"))
        batch.create_unique_constraint("uq_users_feed_token", ["feed_token"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_feed_token", type_="unique")
        batch.drop_column("feed_token")
    op.drop_table("user_identities")
