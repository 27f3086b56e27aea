"""Typed settings, read from environment variables ``PAPERFEED_*`` (and an optional ``.env``).

Build a :class:`Settings` in the app factory or the CLI, never at import time, so
tests can pass their own.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperfeed.errors import ConfigError
from paperfeed.ranking import TrendingWeights


FETCH_SOURCES = ("arxiv", "hf")  # what the scheduler can fetch daily


def parse_daily_time(text: str) -> time:
    """``HH:MM`` (24-hour clock) -> a time of day; ValueError otherwise."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"must be HH:MM (UTC), not {text!r}")
    return time(int(hours), int(minutes))  # ValueError for 25:00 or 12:60


def parse_source_list(text: str) -> list[str]:
    """``arxiv,hf`` -> the sources, each one of FETCH_SOURCES; ValueError otherwise."""
    sources = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [source for source in sources if source not in FETCH_SOURCES]
    if unknown:
        raise ValueError(f"unknown {'source' if len(unknown) == 1 else 'sources'} {', '.join(unknown)}; "
                         f"use {', '.join(FETCH_SOURCES)}")
    return sources


class Settings(BaseSettings):
    """Every setting of a paperfeed instance. Each field maps to ``PAPERFEED_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite database and the indexes live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/paperfeed.db. "
        "postgresql://user@host/db selects PostgreSQL (driver psycopg 3).",
    )
    host: str = Field("127.0.0.1", description="Address `paperfeed serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `paperfeed serve` listens on.")
    site_name: str = Field("paperfeed", description="Name shown in the page header and titles.")
    base_url: str = Field("", description="Public URL of the site, for absolute links (e.g. https://papers.example.org).")
    allowed_hosts: str = Field("*", description="Host names the site answers to, comma-separated (e.g. papers.example.org); any other Host header gets 400. *: any.")
    metrics_token: str = Field("", description="Bearer token a Prometheus server on another machine sends for /metrics; empty: /metrics answers only loopback addresses.")
    trusted_proxies: str = Field("127.0.0.1", description="Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips), comma-separated; * for any.")
    trending_window_days: int = Field(7, ge=1, le=365, description="Trending considers papers listed in this many days.")
    trending_gravity: float = Field(1.5, ge=0, le=5, description="Age exponent of the trending score.")
    trending_vote_weight: float = Field(1.0, ge=0, le=100, description="What one upvote is worth in the trending score.")
    trending_comment_weight: float = Field(2.0, ge=0, le=100, description="What one comment is worth in the trending score.")
    trending_star_weight: float = Field(1.0, ge=0, le=100, description="The weight of log2(1 + GitHub stars) in the trending score.")
    log_level: str = Field("info", description="Logging level: debug, info, warning, error.")
    log_format: str = Field("text", pattern="^(text|json)$", description="Log lines as text, or one JSON object a line (json) for a log collector.")
    metrics_dir: Path | None = Field(None, description="Where the processes of this node count their Prometheus metrics (default <data dir>/metrics).")
    semantic_search: bool = Field(True, description="Use the embedding model for hybrid search and similar papers.")
    embedding_model: str = Field("all-MiniLM-L6-v2-int8", description="Name of a packaged embedding model.")
    embedding_model_dir: Path | None = Field(
        None, description="A directory with model.onnx and tokenizer.json to use instead of the packaged model."
    )
    index_refresh_s: float = Field(30.0, ge=0, le=86_400, description="Every this many seconds `paperfeed serve` indexes papers other nodes or processes added (0: off).")
    embedding_threads: int = Field(2, ge=1, le=256, description="CPU threads for embedding.")
    arxiv_api_url: str = Field("https://export.arxiv.org/api/query", description="arXiv's query API.")
    arxiv_oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="arXiv's OAI-PMH endpoint.")
    arxiv_rss_url: str = Field("https://rss.arxiv.org", description="arXiv's listing feeds (RSS/Atom).")
    arxiv_pdf_url: str = Field("https://export.arxiv.org/pdf", description="Where the worker and `paperfeed covers` fetch a listed paper's PDF ({url}/{id}) to draw its cover.")
    hf_api_url: str = Field("https://huggingface.co/api", description="Hugging Face's API for the daily papers listings (paperfeed fetch hf); no model is ever downloaded from it.")
    arxiv_delay_s: float = Field(3.0, ge=0, le=600, description="Seconds between two requests to arXiv (its terms: 3).")
    contact_email: str = Field("", description="Contact address sent in the User-Agent of requests to arXiv and HF.")
    smtp_host: str = Field("", description="SMTP server for account emails; empty: emails are written to <data dir>/outbox/ instead.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_security: str = Field("starttls", pattern="^(starttls|ssl|none)$", description="starttls, ssl or none.",
                               validation_alias=AliasChoices("smtp_security", "PAPERFEED_SMTP_TLS", "PAPERFEED_SMTP_SECURITY"))
    smtp_username: str = Field("", description="SMTP user name (empty: no login).",
                               validation_alias=AliasChoices("smtp_username", "PAPERFEED_SMTP_USER", "PAPERFEED_SMTP_USERNAME"))
    smtp_password: str = Field("", description="SMTP password.")
    smtp_rate_per_s: float = Field(10.0, gt=0, le=10_000, description="At most this many digest emails a second.")
    webhook_private_hosts: bool = Field(False, description="Let alert webhooks call private and loopback addresses (off: only public ones).")
    mail_from: str = Field("paperfeed <noreply@localhost>", description="From address of the emails paperfeed sends.")
    page_cache_mb: int = Field(64, ge=0, le=65_536, description="Memory each web process keeps rendered pages in, MiB (web/page_cache.py); 0: render every request.")
    fresh_within_s: float = Field(5.0, ge=0, le=3_600, description="A vote, comment or new paper shows on every cached page (in the process, nginx and browsers) within this many seconds.")
    redis_url: str = Field("", description="Redis for rate-limit counters shared by several processes (e.g. redis://127.0.0.1:6379/0); empty: in memory.")
    rate_limits: bool = Field(True, description="Throttle sign-in, sign-up, password resets, votes, comments and the API.")
    api_rate_limit: str = Field("600/minute", description="Requests per address to /api (the limits library's notation, e.g. 600/minute).")
    secret_key: str = Field("", description="Signs session cookies; empty: a random key kept in <data dir>/secret_key.")
    oidc_name: str = Field("", description="Name of an OpenID Connect provider members may sign in with (shown as 'Sign in with NAME'); empty: off.")
    oidc_discovery_url: str = Field("", description="The provider's discovery document, e.g. https://accounts.example.org/.well-known/openid-configuration.")
    oidc_client_id: str = Field("", description="This site's client id at the provider.")
    oidc_client_secret: str = Field("", description="This site's client secret at the provider.")
    scheduler: bool = Field(False, description="Run the daily fetches inside `paperfeed serve` (or run `paperfeed worker`).")
    fetch_time: str = Field("06:00", description="Daily time (UTC, HH:MM) of the scheduled fetches.")
    scheduled_fetches: str = Field("arxiv,hf", description="Sources the scheduler fetches daily: arxiv, hf.")
    auto_feature_categories: str = Field("", description="Fetched arXiv papers in these categories are featured automatically (empty: off).")
    auto_feature_authors: str = Field("", description="Fetched arXiv papers by these authors (comma-separated names) are featured automatically (empty: off).")
    fetch_categories: str = Field("cs.CL,cs.LG,cs.AI,cs.CV", description="arXiv categories `paperfeed fetch arxiv` and the scheduler fetch by default.")

    @field_validator("fetch_time")
    @classmethod
    def _check_fetch_time(cls, value: str) -> str:
        parse_daily_time(value)  # refuse to start on a typo, instead of failing at every check
        return value

    @field_validator("scheduled_fetches")
    @classmethod
    def _check_scheduled_fetches(cls, value: str) -> str:
        parse_source_list(value)
        return value

    @property
    def daily_fetch_time(self) -> time:
        """When the scheduled fetches run each day (UTC)."""
        return parse_daily_time(self.fetch_time)

    @property
    def scheduled_sources(self) -> list[str]:
        """The sources the scheduler fetches daily."""
        return parse_source_list(self.scheduled_fetches)

    @property
    def trending_weights(self) -> TrendingWeights:
        """The trending formula's weights when a reader asks for no others (docs/ranking.md)."""
        return TrendingWeights(votes=self.trending_vote_weight, comments=self.trending_comment_weight,
                               stars=self.trending_star_weight, gravity=self.trending_gravity)

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def public_url(self) -> str:
        """The site's URL for links sent out of a request (emails, webhooks): ``base_url``, else
        the address `paperfeed serve` listens on."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def loopback_links(self) -> str | None:
        """Why mail sent out now would carry links that only this machine can open (the links'
        host, :attr:`public_url`'s, is a loopback address: no ``PAPERFEED_BASE_URL``, or one
        naming localhost), as the end of a sentence; None when they are fine."""
        host = urlsplit(self.public_url).hostname or ""
        try:
            address = ipaddress.ip_address(host)
            loopback = address.is_loopback or address.is_unspecified
        except ValueError:
            loopback = host == "localhost" or host.endswith(".localhost")
        if not loopback:
            return None
        return (f"its links would point at {self.public_url}, which only this machine can open: set "
                "PAPERFEED_BASE_URL to the site's public address (e.g. https://papers.example.org)")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'paperfeed.db').resolve()}"


def load_settings() -> Settings:
    """The settings from the environment (and ``.env``); a bad value raises :class:`ConfigError`
    naming the variable, so the CLI and the server refuse to start with a clear line."""
    try:
        return Settings()
    except ValueError as error:  # pydantic's ValidationError names the bad variable
        raise ConfigError(f"invalid setting: {error}") from None


def secret_key(settings: Settings) -> str:
    """``PAPERFEED_SECRET_KEY``, or a random key made once and kept in ``<data dir>/secret_key`` (0600)."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(key)
        return key
    except OSError:
        raise
