"""The suite reads only the repository (issue 12): a fresh clone with no data folder beside it passes it."""

import re
from pathlib import Path

import pytest

from tests.repository_guard import GUARD, OutsideRepositoryRead, RepositoryGuard

REPO_ROOT = Path(__file__).resolve().parent.parent
# Path literals that point outside a checkout: the data folder beside it, or one machine's absolute
# paths. (Spelled in pieces, so that this file does not name them itself.)
DATA_FOLDER = "shared"
OUTSIDE_PATH = re.compile("|".join([re.escape("../" + DATA_FOLDER), re.escape(DATA_FOLDER + "/data"),
                                    r"""["']/(work|home|root|srv|mnt)/""", r"parent\.parent\.parent"]))


def _source_files() -> list[Path]:
    return sorted([*(REPO_ROOT / "src").rglob("*.py"), *(REPO_ROOT / "tests").rglob("*.py")])


def test_no_test_or_source_file_names_a_path_outside_the_repository():
    offenders = []
    for path in _source_files():
        if path.name == Path(__file__).name:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if OUTSIDE_PATH.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_reading_a_file_beside_the_checkout_fails_the_test(tmp_path):
    for neighbour in GUARD.neighbours:  # what sits beside this checkout (here: the data folder, if any)
        with pytest.raises(OutsideRepositoryRead, match="outside it"):
            GUARD.audit("open", (str(REPO_ROOT.parent / neighbour / "SOURCES.md"), "r", 0))
    with pytest.raises(OutsideRepositoryRead):
        open("/" + "srv/paperfeed-data.jsonl")  # any absolute path outside the allowed roots
    (tmp_path / "ok.txt").write_text("tmp_path is allowed")
    assert (tmp_path / "ok.txt").read_text() == "tmp_path is allowed"


def test_a_checkout_in_the_temporary_folder_still_may_not_read_its_neighbours(tmp_path):
    temporary = tmp_path / "tmp"  # as if the clone were /tmp/clean with /tmp/shared beside it
    (temporary / "shared" / "data").mkdir(parents=True)
    (temporary / "clean" / "tests").mkdir(parents=True)
    guard = RepositoryGuard(temporary / "clean")
    guard.start(tmp_path / "pytest-of-someone")
    assert guard.refusal(str(temporary / "shared" / "data" / "README.md")) is not None
    assert guard.refusal(str(temporary / "clean" / "tests" / "fixtures" / "x.xml")) is None
    (temporary / "playwright-artifacts-1").mkdir()  # made by a tool during the run: its own
    assert guard.refusal(str(temporary / "playwright-artifacts-1" / "download")) is None


def test_the_corpora_are_readable_only_from_a_slow_test(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERFEED_BENCH_DATA", "/srv/corpora")
    assert GUARD.refusal("/srv/corpora/hf_daily_papers.jsonl.gz") is not None
    monkeypatch.setattr(GUARD, "slow_test_running", True)
    assert GUARD.refusal("/srv/corpora/hf_daily_papers.jsonl.gz") is None
