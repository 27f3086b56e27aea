"""Keeping glibc's allocator from holding memory per thread.

glibc gives each thread that allocates concurrently an arena of its own, up to
8 × cores, and returns little of an arena to the system once it is fragmented.
A web process runs its requests on a pool of 40 threads (AnyIO), so under load
its resident size grew by about 100 MiB more than with two arenas
(bench/memory.py, docs/benchmarks.md). ``M_ARENA_MAX`` (mallopt(3)) caps them;
``MALLOC_ARENA_MAX`` in the environment does the same for processes started
from this one (uvicorn's workers), and an operator's own value wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas in this process and its children; False where libc is not glibc."""
    wanted = int(os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas)))
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, wanted))
    except (OSError, AttributeError, ValueError):
        return False  # musl, macOS: their allocators need no such cap
