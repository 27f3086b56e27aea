"""A paper found by its DOI in one index lookup (DOIs compare without regard to case).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_papers_doi_lower", "papers", [sa.text("lower(doi)")])


def downgrade() -> None:
    op.drop_index("ix_papers_doi_lower", table_name="papers")
