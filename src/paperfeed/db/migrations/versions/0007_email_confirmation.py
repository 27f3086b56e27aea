"""Users: when their email address was confirmed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True),
                                   comment="null until the emailed link is opened"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_confirmed_at")
