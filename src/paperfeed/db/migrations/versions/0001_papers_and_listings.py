"""Papers, their earlier revisions, listings and instance facts.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String(240), nullable=False, comment="canonical id: arXiv id without version, or source:id"),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False, server_default=""),
        sa.Column("authors", sa.JSON, nullable=False, comment="list of author names, in order"),
        sa.Column("published_on", sa.Date, comment="first public version (arXiv v1) or the source's date"),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(64)),
        sa.Column("version", sa.Integer, comment="latest known version"),
        sa.Column("versions", sa.JSON, nullable=False, comment="list of {version, created}"),
        sa.Column("doi", sa.String(300)),
        sa.Column("comments", sa.Text),
        sa.Column("github_repo", sa.String(500)),
        sa.Column("github_stars", sa.Integer),
        sa.Column("project_page", sa.String(2000)),
        sa.Column("ai_summary", sa.Text),
        sa.Column("ai_keywords", sa.JSON, nullable=False),
        sa.Column("organization", sa.String(300)),
        sa.Column("thumbnail", sa.String(2000)),
        sa.Column("upvotes", sa.Integer, nullable=False, server_default="0", comment="imported upvotes"),
        sa.Column("num_comments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_papers"),
    )
    op.create_index("ix_papers_published_on", "papers", ["published_on"])
    op.create_index("ix_papers_updated_at", "papers", ["updated_at"])

    op.create_table(
        "paper_revisions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_paper_revisions"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_revisions_paper_id_papers", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_paper_revisions_paper_id", "paper_revisions", ["paper_id"])

    op.create_table(
        "listings",
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("source", sa.String(16), nullable=False, comment="import | hf | member | editor"),
        sa.Column("submitted_by", sa.String(200)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", name="pk_listings"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_listings_paper_id_papers", ondelete="CASCADE"),
    )
    op.create_index("ix_listings_listed_on", "listings", ["listed_on"])

    op.create_table(
        "instance_facts",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_instance_facts"),
    )


def downgrade() -> None:
    op.drop_table("instance_facts")
    op.drop_index("ix_listings_listed_on", "listings")
    op.drop_table("listings")
    op.drop_index("ix_paper_revisions_paper_id", "paper_revisions")
    op.drop_table("paper_revisions")
    op.drop_index("ix_papers_updated_at", "papers")
    op.drop_index("ix_papers_published_on", "papers")
    op.drop_table("papers")
