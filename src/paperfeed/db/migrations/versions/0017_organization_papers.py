"""An organisation's papers (``/orgs/{name}``, its feed), newest first, in one index range scan
rather than a scan of every paper.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_papers_organization", "papers", ["organization", "published_on"])


def downgrade() -> None:
    op.drop_index("ix_papers_organization", table_name="papers")
