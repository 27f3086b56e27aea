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


DOCS = README + "".join(path.read_text() for path in sorted((REPO_ROOT / "docs").glob("*.md")))


def test_every_sub_command_is_documented():
    pairs = [(group.name, command.name or command.callback.__name__)
             for group in cli_app.registered_groups for command in group.typer_instance.registered_commands]
    assert ("digest", "send") in pairs and ("user", "add") in pairs
    missing = [f"paperfeed {group} {name}" for group, name in pairs if f"paperfeed {group} {name}" not in DOCS]
    assert missing == []


def _page_and_feed_routes(tmp_path) -> list[str]:
    """Every GET route that answers HTML or a feed (the API's routes are checked above)."""
    from tests.security.test_access_control import app_routes

    app = create_app(Settings(data_dir=tmp_path))
    return sorted({path for method, path in app_routes(app) if method == "GET" and not path.startswith(
        ("/api/", "/static", "/openapi.json", "/docs/oauth2-redirect"))})


def test_every_page_and_feed_route_is_documented(tmp_path):
    routes = _page_and_feed_routes(tmp_path)
    assert "/papers/date/{day}" in routes and "/feeds/daily.{fmt}" in routes
    documented = re.sub(r"\{[^}]+\}", "{}", DOCS)
    # A feed is documented by its Atom URL (/feeds/daily.atom); the RSS one differs only in the suffix.
    shown = [re.sub(r"\{[^}]+\}", "{}", path.replace(".{fmt}", ".atom")) for path in routes]
    missing = [path for path, form in zip(routes, shown, strict=True) if form not in documented]
    assert missing == []
