"""The docs are tested: every command, setting and endpoint must be documented."""

import re

from paperfeed.cli import app as cli_app
from paperfeed.config import Settings
from paperfeed.web.app import create_app
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    opening = "\n".join(README.splitlines()[:15])
    assert "make run" in opening and "make test" in opening


def test_every_cli_command_is_in_the_readme():
    names = [command.name or command.callback.__name__ for command in cli_app.registered_commands]
    assert names
    for name in names:
        assert f"paperfeed {name}" in README, name


def test_every_setting_is_in_the_readme():
    for name in Settings.model_fields:
        assert f"PAPERFEED_{name.upper()}" in README, name


def test_every_api_endpoint_is_in_the_readme(tmp_path):
    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    documented = re.sub(r"\{[^}]+\}", "{}", README)
    for path in spec["paths"]:
        assert re.sub(r"\{[^}]+\}", "{}", path) in documented, path


def test_ranking_formula_is_documented_in_the_same_words():
    from paperfeed import ranking

    formula_doc = (REPO_ROOT / "docs" / "ranking.md").read_text()
    assert "(votes + 2 × comments + log2(1 + stars)) / (age_hours + 2) ^ gravity" in formula_doc
    assert "(votes + 2 * comments + log2(1 + stars)) / (age_hours + 2) ** gravity" in ranking.__doc__
