"""The database schema (SQLAlchemy Core). Alembic migrations in ``migrations/`` create it."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", sa.String(240), primary_key=True, comment="canonical id: arXiv id without version, or source:id"),
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
    sa.Column("member_votes", sa.Integer, nullable=False, server_default="0",
              comment="upvotes of this site's members (rows of votes), kept with them in one transaction"),
    sa.Column("num_comments", sa.Integer, nullable=False, server_default="0"),
    sa.Column("member_comments", sa.Integer, nullable=False, server_default="0",
              comment="visible comments of this site's members, recounted when one changes"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_papers_published_on", "published_on"),
    sa.Index("ix_papers_updated_at", "updated_at"),
    sa.Index("ix_papers_doi_lower", sa.func.lower(sa.column("doi"))),
    sa.Index("ix_papers_organization", "organization", "published_on"),  # /orgs/{name}
)

# Earlier titles and abstracts, kept when an update changes them (never overwritten blindly).
paper_revisions = sa.Table(
    "paper_revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False),
    sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_paper_revisions_paper_id", "paper_id"),
)

# A paper featured on a day: the unit of the daily page. A paper is listed at most once.
listings = sa.Table(
    "listings",
    metadata,
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("listed_on", sa.Date, nullable=False),
    sa.Column("source", sa.String(16), nullable=False, comment="import | hf | member | editor"),
    sa.Column("submitted_by", sa.String(200)),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_listings_listed_on", "listed_on"),
)

# Small key/value facts about the instance (e.g. which bundled sample was loaded).
instance_facts = sa.Table(
    "instance_facts",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# What each origin (an input file's name, a fetcher) last said about a paper, as a hash.
# A record equal to what its origin said before is skipped, so re-running an ingest
# changes nothing even where two origins disagree about a title or an abstract.
record_fingerprints = sa.Table(
    "record_fingerprints",
    metadata,
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("origin", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(32), nullable=False),
)

# Where each fetcher stands: its cursor (an OAI resumption token and the date it harvests from,
# the last Hugging Face day done) and how its last run went. One row per source key
# ("arxiv-oai:cs", "hf"). The cursor advances in the same transaction as the papers it fetched,
# so a fetch killed at any point resumes where its stored work ends.
fetch_state = sa.Table(
    "fetch_state",
    metadata,
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("cursor", sa.JSON, nullable=False),
    sa.Column("last_run_at", sa.DateTime(timezone=True)),
    sa.Column("last_outcome", sa.String(16), comment="ok | partial | failed | running"),
    sa.Column("last_message", sa.Text),
    sa.Column("last_counts", sa.JSON),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Members. Issue 4 needs only names and passwords (`paperfeed user add`); sign-up, email
# confirmation and the rest of accounts come later and add columns.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False, comment="argon2id (RFC 9106)"),
    sa.Column("role", sa.String(16), nullable=False, server_default="member", comment="member | editor | admin"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("email_confirmed_at", sa.DateTime(timezone=True), comment="null until the emailed link is opened"),
    sa.Column("banned_at", sa.DateTime(timezone=True), comment="set by a moderator: a banned member cannot sign in"),
    sa.Column("feed_token", sa.String(64), unique=True, comment="secret of the private feed URL"),
    sqlite_autoincrement=True,
)

# A browser a member signed in with: the cookie holds a random id, stored here only as its SHA-256.
# Signing out deletes the row; a password or email change deletes the member's other sessions.
member_sessions = sa.Table(
    "member_sessions",
    metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True, comment="SHA-256 of the id in the cookie"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_member_sessions_user_id", "user_id"),
)

# A member's accounts at OpenID Connect providers: (iss, sub) identifies a person for good
# (OpenID Connect Core 1.0 §5.7); the email a provider sends may change or be reused.
user_identities = sa.Table(
    "user_identities",
    metadata,
    sa.Column("issuer", sa.String(500), primary_key=True, comment="the provider's `iss`"),
    sa.Column("subject", sa.String(255), primary_key=True, comment="the member's `sub` at that provider"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Scheduled work, claimed through the database so each job runs once per period however many
# workers there are: the first to insert (job, period) owns it; a claim whose heartbeat is older
# than the job's timeout (its worker died) may be taken over.
job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(32), primary_key=True, comment="e.g. the day, 2026-08-22"),
    sa.Column("status", sa.String(16), nullable=False, comment="running | done | failed"),
    sa.Column("worker", sa.String(200), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("message", sa.Text),
)

# One upvote per member per paper. papers.member_votes counts them (changed in the same transaction).
votes = sa.Table(
    "votes",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_votes_paper_id", "paper_id"),
)

# Comments on papers: Markdown as written, and the sanitised HTML shown. Threads via parent_id.
# A deleted comment keeps its place in the thread (its text is gone); a hidden one (moderation)
# is shown to nobody but moderators.
comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
              comment="null once the author deleted their account: the comment stays as a stub"),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("edited_at", sa.DateTime(timezone=True)),
    sa.Column("deleted_at", sa.DateTime(timezone=True)),
    sa.Column("hidden_at", sa.DateTime(timezone=True)),
    sa.Index("ix_comments_paper_id", "paper_id"),
    sqlite_autoincrement=True,
)

comment_reports = sa.Table(
    "comment_reports",
    metadata,
    sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
)

# Personal access tokens for the API: only a SHA-256 of each token is stored.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sqlite_autoincrement=True,
)

# Members' collections of papers: public ones can be shared by link, private ones only their owner sees.
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_collections_user_id", "user_id"),
    sqlite_autoincrement=True,
)

collection_items = sa.Table(
    "collection_items",
    metadata,
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)

# What a member follows: authors (by name) and arXiv categories.
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True, comment="author | category"),
    sa.Column("value", sa.String(300), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Email digests: who gets them (double opt-in: nothing is sent before ``confirmed_at``), and how.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True, comment="lower case"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), comment="the member, for personal picks"),
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
    sa.Column("link_secret", sa.String(64), comment="random, inside its signed links; null for rows older than 0015"),
    sa.Index("ix_subscriptions_user_id", "user_id"),
    sqlite_autoincrement=True,
)

# One run of `paperfeed digest send`: its worker's heartbeat tells others whether it is alive.
digest_runs = sa.Table(
    "digest_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("worker", sa.String(200), nullable=False, comment="host:pid"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("what", sa.String(100), nullable=False, comment="due, or the period asked for"),
    sa.Column("counts", sa.JSON, nullable=False, comment="sent, failed, bounced, skipped"),
    sa.Column("message", sa.Text),
)

# Exactly one digest per (subscription, period): the row is claimed before the SMTP transaction and
# moved on at its end (see paperfeed.digest.deliver).
digest_deliveries = sa.Table(
    "digest_deliveries",
    metadata,
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("period", sa.String(24), primary_key=True, comment="daily:2026-11-27 | weekly:2026-W48"),
    sa.Column("status", sa.String(12), nullable=False,
              comment="sending | final (end of data sent) | sent | failed | bounced | skipped"),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("papers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Index("ix_digest_deliveries_run_id", "run_id"),
)

# Saved searches: new matching papers go into the next digest, or out at once by email or webhook.
saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("query", sa.String(1000), nullable=False),
    sa.Column("category", sa.String(32), nullable=False, server_default=""),
    sa.Column("delivery", sa.String(8), nullable=False, server_default="digest", comment="digest | email | webhook"),
    sa.Column("webhook_url", sa.String(2000)),
    sa.Column("webhook_secret", sa.String(64), comment="signs each webhook body (HMAC-SHA256)"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), comment="papers changed after this are new to it"),
    sa.Index("ix_saved_searches_user_id", "user_id"),
    sqlite_autoincrement=True,
)

alert_hits = sa.Table(
    "alert_hits",
    metadata,
    sa.Column("saved_search_id", sa.Integer, sa.ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), comment="null: waits for the next digest or a retry"),
)

# One row: the site's data generation (db/generation.py), one more after every transaction that
# changed what a page shows. Cached pages are keyed by it.
site_state = sa.Table(
    "site_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False, comment="always 1"),
    sa.Column("generation", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

# Each paper's "similar papers", as its page shows them, computed from the search indexes once and
# stored, not on every view (paperfeed.search.similar says when a list is stale). similar_id has no
# foreign key: papers are never removed, and a list naming one that is gone loses it when read
# (papers.get_papers leaves unknown ids out); a removed paper's own list goes with it (CASCADE).
similar_papers = sa.Table(
    "similar_papers",
    metadata,
    sa.Column("paper_id", sa.String(240), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, comment="0: the most similar"),
    sa.Column("similar_id", sa.String(240), nullable=False),
    sa.Column("index_stamp", sa.Integer, nullable=False,
              comment="how many paper vectors the index that computed the list held"),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)
