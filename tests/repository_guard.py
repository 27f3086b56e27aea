"""The tests read only the repository: a pytest plugin that refuses any file opened outside it.

A fresh clone on another machine has no data folder beside it, so a test that reads a
file there passes here and fails everywhere else. This plugin installs an audit hook
(PEP 578, event ``open``) for the whole run: opening a path outside the allowed roots
raises :class:`OutsideRepositoryRead`, which fails the test (or the collection of its
module) with the path in the message.

Allowed: the repository, pytest's temporary folders (``tmp_path``) and the files Python's
``tempfile`` makes, the Python installation and its site-packages, the operating system's
folders (``/usr``, ``/etc``, ``/proc``, ...) and dot-files in the home folder (``~/.netrc``,
caches). Never allowed: what sat beside the checkout when the run began (its parent
folder's other entries, such as a data folder), even when the checkout itself is in the
temporary folder; what tools make there during the run (Playwright's downloads) is theirs. Tests marked ``slow`` may also read the benchmark corpora under ``PAPERFEED_BENCH_DATA``.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SYSTEM_ROOTS = ("/usr", "/etc", "/proc", "/sys", "/dev", "/run", "/lib", "/lib64", "/bin", "/sbin", "/opt",
                "/var/lib", "/var/cache", "/nix")


class OutsideRepositoryRead(PermissionError):
    """A test (or the code it drives) opened a file outside the repository."""


def _real(path: str | Path) -> str:
    return os.path.realpath(path)


def python_roots() -> list[str]:
    """Where this Python and its packages live (a virtual environment may sit beside the checkout)."""
    roots = {_real(prefix) for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    roots |= {_real(path) for path in sysconfig.get_paths().values()}
    return sorted(roots)


def allowed_roots() -> list[str]:
    """The other folders a test may read from (real paths, without a trailing slash)."""
    return sorted(root.rstrip("/") or "/" for root in {_real(tempfile.gettempdir()), *SYSTEM_ROOTS})


def bench_data_root() -> str:
    """Where the slow checks find the large corpora (see tests/conftest.py: BENCH_DATA)."""
    return _real(os.environ.get("PAPERFEED_BENCH_DATA") or REPO_ROOT / "bench" / "data")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


class RepositoryGuard:
    """Decides whether a path may be opened; ``slow_test_running`` widens it to the corpora."""

    def __init__(self, checkout: Path = REPO_ROOT) -> None:
        self.roots = allowed_roots()
        self.python = python_roots()
        self.home = _real(Path.home())
        self.repository = _real(checkout)
        self.beside = _real(checkout.parent)
        self.pytest_temp: str | None = None  # set when the session starts (tmp_path's base folder)
        self.neighbours: set[str] = set()  # what sat beside the checkout when the session started
        self.slow_test_running = False

    def refusal(self, path: str) -> str | None:
        """None when ``path`` may be read, else the reason it may not."""
        real = _real(path)
        if _inside(real, self.repository) or (self.pytest_temp and _inside(real, self.pytest_temp)):
            return None
        if any(_inside(real, root) for root in self.python):
            return None
        if self.slow_test_running and _inside(real, bench_data_root()):
            return None
        if _inside(real, self.beside) and os.path.relpath(real, self.beside).split("/")[0] in self.neighbours:
            return self._reason(real)
        if any(_inside(real, root) for root in self.roots):
            return None
        if real != self.home and _inside(real, self.home) and os.path.relpath(real, self.home).startswith("."):
            return None  # ~/.netrc, ~/.cache/...: what libraries read on their own
        return self._reason(real)

    def start(self, pytest_temp: Path) -> None:
        """Note what is beside the checkout now; from here on it may not be read."""
        self.pytest_temp = _real(pytest_temp)
        kept = [*self.roots, *self.python, self.pytest_temp]  # a checkout at /repo has /usr and /tmp beside it
        name = Path(self.repository).name
        self.neighbours = {entry.name for entry in Path(self.beside).iterdir() if entry.name != name
                           and not any(_inside(root, _real(entry)) for root in kept)}

    @staticmethod
    def _reason(real: str) -> str:
        return (f"the tests read only the repository, but {real} is outside it: keep recorded responses "
                f"in tests/fixtures/ (with their source in tests/fixtures/SOURCES.md), and read the large "
                f"corpora only from a test marked slow, through PAPERFEED_BENCH_DATA")

    def audit(self, event: str, args: tuple) -> None:
        if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.fsdecode(args[0])
        reason = self.refusal(path)
        if reason:
            raise OutsideRepositoryRead(reason)


GUARD = RepositoryGuard()


def pytest_sessionstart(session) -> None:
    # Before collection, so a module that reads a file outside at import time fails too.
    GUARD.start(session.config._tmp_path_factory.getbasetemp().parent)
    # An audit hook cannot be removed: it stays for the rest of the process, which is the test run.
    sys.addaudithook(GUARD.audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    GUARD.slow_test_running = item.get_closest_marker("slow") is not None
    try:
        return (yield)
    finally:
        GUARD.slow_test_running = False
