"""Email digests: subscriptions, saved-search alerts, and a record of every delivery.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, comment="lower case"),
        sa.Column("user_id", sa.Integer, comment="the member, for personal picks"),
        sa.Column("frequency", sa.String(8), nullable=False, server_default="daily", comment="daily | weekly"),
        sa.Column("send_hour", sa.Integer, nullable=False, server_default="7", comment="local hour, 0-23"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC", comment="IANA name"),
        sa.Column("content", sa.String(16), nullable=False, server_default="both", comment="top | personal | both"),
        sa.Column("top_count", sa.Integer, nullable=False, server_default="10"),
        sa.Column("personal_count", sa.Integer, nullable=False, server_default="10"),
        sa.Column("keywords", sa.Text, nullable=False, server_default="", comment="comma-separated, for personal picks"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), comment="null until the emailed link is opened"),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True)),
        sa.Column("bounced_at", sa.DateTime(timezone=True), comment="the SMTP server refused the address (5xx)"),
        sa.Column("bounce_reason", sa.Text),
        sa.UniqueConstraint("email", name="uq_subscriptions_email"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_subscriptions_user_id_users", ondelete="CASCADE"),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("worker", sa.String(200), nullable=False, comment="host:pid"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("what", sa.String(100), nullable=False, comment="due, or the period asked for"),
        sa.Column("counts", sa.JSON, nullable=False, comment="sent, failed, bounced, skipped"),
        sa.Column("message", sa.Text),
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(24), nullable=False, comment="daily:2026-11-27 | weekly:2026-W48"),
        sa.Column("status", sa.String(12), nullable=False,
                  comment="sending | final (end of data sent) | sent | failed | bounced | skipped"),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("papers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("subscription_id", "period", name="pk_digest_deliveries"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name="fk_digest_deliveries_subscription_id_subscriptions", ondelete="CASCADE"),
    )
    op.create_index("ix_digest_deliveries_run_id", "digest_deliveries", ["run_id"])
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("category", sa.String(32), nullable=False, server_default=""),
        sa.Column("delivery", sa.String(8), nullable=False, server_default="digest", comment="digest | email | webhook"),
        sa.Column("webhook_url", sa.String(2000)),
        sa.Column("webhook_secret", sa.String(64), comment="signs each webhook body (HMAC-SHA256)"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), comment="papers changed after this are new to it"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_saved_searches_user_id_users", ondelete="CASCADE"),
    )
    op.create_index("ix_saved_searches_user_id", "saved_searches", ["user_id"])
    op.create_table(
        "alert_hits",
        sa.Column("saved_search_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.String(240), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), comment="null: waits for the next digest or a retry"),
        sa.PrimaryKeyConstraint("saved_search_id", "paper_id", name="pk_alert_hits"),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_searches.id"],
                                name="fk_alert_hits_saved_search_id_saved_searches", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name="fk_alert_hits_paper_id_papers", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("alert_hits")
    op.drop_index("ix_saved_searches_user_id", table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_index("ix_digest_deliveries_run_id", table_name="digest_deliveries")
    op.drop_table("digest_deliveries")
    op.drop_table("digest_runs")
    op.drop_index("ix_subscriptions_user_id", table_name="subscriptions")
    op.drop_table("subscriptions")
