"""This process as a worker: its name, its heartbeat thread, and whether another process is alive.

Jobs and digest runs are claimed in the database under a worker's name; a claim whose
heartbeat stops (the worker died) is taken over by another worker.

:func:`limit_malloc_arenas` keeps this process from holding memory per thread.
"""

from __future__ import annotations

import logging
import ctypes
import ctypes.util
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


def worker_name() -> str:
    """``host:pid:thread``: who claims a job or a digest run (threads of one process differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def host_and_pid(worker: str) -> tuple[str, int | None]:
    """The machine and process of a worker's name (``host:pid`` as older runs wrote it, or ``host:pid:thread``)."""
    host, _, rest = worker.partition(":")
    pid = rest.split(":", 1)[0]
    return host, int(pid) if pid.isdigit() else None


def died_here(worker: str) -> bool:
    """True when ``worker`` ran in another process of this machine and that process is gone."""
    host, pid = host_and_pid(worker)
    return host == socket.gethostname() and pid is not None and pid != os.getpid() and not process_alive(pid)


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; False once it is gone or a zombie (killed, not yet reaped by its
    parent: it will never run again)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, running
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class Heartbeat:
    """Calls ``beat`` every ``every_s`` seconds in a daemon thread while the ``with`` block runs.

    A failing beat (the database away for a moment) is logged and tried again at the next one:
    the work goes on, and other workers take it over only if the beats stay away.
    """

    def __init__(self, beat: Callable[[], None], *, every_s: float, name: str) -> None:
        self.beat, self.every_s, self.name = beat, every_s, name
        self._done = threading.Event()

    def __enter__(self) -> Heartbeat:
        threading.Thread(target=self._run, daemon=True, name=self.name).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(self.every_s):
            try:
                self.beat()
            except Exception:  # a lost beat is not fatal to the work it reports on
                log.exception("heartbeat %s failed", self.name)



ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas in this process and its children; False where libc is not glibc.

    glibc gives each thread that allocates concurrently an arena of its own, up to
    8 × cores, and returns little of an arena to the system once it is fragmented.
    A web process runs its requests on a pool of 40 threads (AnyIO), so under load
    its resident size grew by about 100 MiB more than with two arenas
    (bench/memory.py, docs/benchmarks.md). ``M_ARENA_MAX`` (mallopt(3)) caps them;
    ``MALLOC_ARENA_MAX`` in the environment does the same for processes started
    from this one (uvicorn's workers), and an operator's own value wins.
    """
    wanted = int(os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas)))
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, wanted))
    except (OSError, AttributeError, ValueError):
        return False  # musl, macOS: their allocators need no such cap
