"""Metrics (Prometheus) and logs (text, or one JSON object a line) for operators.

Metrics are counted with prometheus-client. ``paperfeed serve --workers N``
runs several processes: each writes its counts into
``PAPERFEED_METRICS_DIR`` (default ``<data dir>/metrics``; prometheus-client's
multiprocess mode) and ``/metrics`` adds them up, so a scrape sees the whole
node whichever process answers it. ``paperfeed worker`` writes there too.
"""

from __future__ import annotations

import logging
import logging.config
import os
from pathlib import Path

from paperfeed.workers import process_alive

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_metrics_dir(directory: Path) -> None:
    """Count into ``directory``, shared by the processes of this node (web workers and ``paperfeed
    worker``). Call before prometheus-client is imported in this process. The files of processes
    that are gone are removed first, so a restart starts its counts afresh."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)
    os.environ.setdefault(MULTIPROC_ENV, str(directory))



class Metrics:
    """The counters and histograms paperfeed exports (made on first use, after the directory is set)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.requests = Counter("paperfeed_http_requests_total", "HTTP requests answered",
                                ["method", "route", "status"])
        self.latency = Histogram("paperfeed_http_request_duration_seconds", "Time to answer a request",
                                 ["method", "route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.jobs = Counter("paperfeed_jobs_total", "Scheduled jobs run, by outcome", ["job", "outcome"])
        self.emails = Counter("paperfeed_emails_total", "Emails sent, by kind and outcome", ["kind", "outcome"])


_metrics: Metrics | None = None


def metrics() -> Metrics:
    global _metrics
    if _metrics is None:
        _metrics = Metrics()
    return _metrics


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: this node's processes added up in multiprocess mode."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    metrics()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def logging_config(level: str, fmt: str) -> dict:
    """A ``logging.config.dictConfig`` for paperfeed and uvicorn: ``text`` lines, or ``json`` objects
    (time, level, logger, message, and any extra fields) for a log collector."""
    formatter = ({"()": "pythonjsonlogger.json.JsonFormatter",
                  "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                  "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
                 if fmt == "json" else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}},
        "loggers": {
            "paperfeed": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def configure_logging(level: str, fmt: str) -> None:
    logging.config.dictConfig(logging_config(level, fmt))
