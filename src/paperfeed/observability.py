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
from collections.abc import Callable
from pathlib import Path

from paperfeed.errors import disk_full, full_disk_line
from paperfeed.workers import process_alive

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_metrics_dir(directory: Path) -> None:
    """Count into ``directory``, shared by the processes of this node (web workers and ``paperfeed
    worker``). Call before prometheus-client is imported in this process. The files of processes
    that are gone are removed first, so a restart starts its counts afresh."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if not disk_full(error):
            raise
        log.warning("metrics are counted in this process only: %s", full_disk_line(error, directory))
        return
    for path in directory.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)
    os.environ.setdefault(MULTIPROC_ENV, str(directory))
    _allocate_metric_files()


def _allocate_metric_files() -> None:
    """Make prometheus-client reserve the disk blocks of its memory-mapped files before using them.

    It grows a file with ``truncate``, which leaves holes, and writes into the mapping; when
    the first write to a hole finds the disk full, the kernel kills the process with SIGBUS:
    no exception, no log line (issue 13: the first request to a route not yet counted killed
    the server). ``posix_fallocate`` (POSIX.1-2008) reserves the blocks first, so a full disk
    is an ``OSError`` (ENOSPC) at that moment instead, which :func:`count` reports.
    """
    from prometheus_client import mmap_dict, values

    class AllocatedMmapedDict(mmap_dict.MmapedDict):
        def __init__(self, filename, read_mode=False):
            if not read_mode:
                with open(filename, "a+b") as file:
                    size = os.fstat(file.fileno()).st_size
                    os.posix_fallocate(file.fileno(), 0, max(size, mmap_dict._INITIAL_MMAP_SIZE))
            super().__init__(filename, read_mode)

        def _init_value(self, key):
            needed = self._used + len(key.encode("utf-8")) + 32  # the entry, its padding and two doubles
            capacity = self._capacity
            while needed > capacity:
                capacity *= 2
            if capacity > self._capacity:
                os.posix_fallocate(self._f.fileno(), 0, capacity)
            super()._init_value(key)

    values.MmapedDict = AllocatedMmapedDict



class Metrics:
    """The counters and histograms paperfeed exports (made on first use, after the directory is set)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("paperfeed_http_requests_total", "HTTP requests answered",
                                ["method", "route", "status"])
        self.latency = Histogram("paperfeed_http_request_duration_seconds", "Time to answer a request",
                                 ["method", "route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.jobs = Counter("paperfeed_jobs_total", "Scheduled jobs run, by outcome", ["job", "outcome"])
        self.emails = Counter("paperfeed_emails_total", "Emails sent, by kind and outcome", ["kind", "outcome"])
        self.search_phases = Histogram("paperfeed_search_phase_seconds", "Time a search spends in each phase "
                                       "(search/timing.py)", ["phase"],
                                       buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
        self.page_cache = Counter("paperfeed_page_cache_total", "Answers of cached routes (web/page_cache.py): "
                                  "hit, stale (served while another request renders it again), miss, "
                                  "not_modified (304), bypass", ["outcome"])
        self.page_cache_bytes = Gauge("paperfeed_page_cache_bytes", "Memory the cached pages take, added up over "
                                      "this node's processes", multiprocess_mode="livesum")


_metrics: Metrics | None = None


def metrics() -> Metrics:
    global _metrics
    if _metrics is None:
        _metrics = Metrics()
    return _metrics


_disk_full_reported = False


def count(record: Callable[[], None]) -> None:
    """Run ``record`` (a metric's ``inc`` or ``observe``); a full disk only loses the count, with one
    warning a process, never the request or job being counted."""
    global _disk_full_reported
    try:
        record()
    except OSError as error:
        if not disk_full(error):
            raise
        if not _disk_full_reported:
            _disk_full_reported = True
            log.warning("metrics not counted: %s", full_disk_line(error, Path(os.environ.get(MULTIPROC_ENV, "."))))


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
