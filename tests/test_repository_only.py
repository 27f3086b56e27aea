"""The suite reads only the repository (issue 12): a fresh clone with no ../shared passes it."""

import re
from pathlib import Path

import pytest

from tests.repository_guard import GUARD, OutsideRepositoryRead

REPO_ROOT = Path(__file__).resolve().parent.parent
# Path literals that point outside a checkout: the data folder beside it, or one machine's absolute paths.
OUTSIDE_PATH = re.compile(r"""\.\./shared|shared/data|["']/(work|home|root|srv|mnt)/|parent\.parent\.parent""")


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
    beside = REPO_ROOT.parent / "shared" / "data" / "fixtures" / "SOURCES.md"
    with pytest.raises(OutsideRepositoryRead, match="outside it"):
        beside.read_bytes()
    with pytest.raises(OutsideRepositoryRead):
        open("/" + "srv/paperfeed-data.jsonl")  # any absolute path outside the allowed roots
    (tmp_path / "ok.txt").write_text("tmp_path is allowed")
    assert (tmp_path / "ok.txt").read_text() == "tmp_path is allowed"


def test_the_corpora_are_readable_only_from_a_slow_test(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERFEED_BENCH_DATA", "/srv/corpora")
    assert GUARD.refusal("/srv/corpora/hf_daily_papers.jsonl.gz") is not None
    monkeypatch.setattr(GUARD, "slow_test_running", True)
    assert GUARD.refusal("/srv/corpora/hf_daily_papers.jsonl.gz") is None
