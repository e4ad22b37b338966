"""The documentation site (mkdocs.yml, docs/): every page the command line links to exists,
every page is in the navigation, and every recipe key and step parameter is documented. The
site itself is built by CI (`mkdocs build --strict`, tutorials executed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gipro.cli import app
from gipro.dataspec import DataSpec
from gipro.links import DOCS_URL, docs_url
from gipro.recipe import Recipe
from gipro.steps import STEP_TYPES

ROOT = Path(__file__).resolve().parents[1]
COMMON_STEP_KEYS = {"step", "name", "input", "output", "disable"}


def _nav_files(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    if isinstance(node, dict):
        return [f for v in node.values() for f in _nav_files(v)]
    return []


def _mkdocs() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:", lambda *a: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def test_every_page_is_in_the_navigation_and_exists():
    nav = _nav_files(_mkdocs()["nav"])
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert set(nav) == pages
    assert len(nav) == len(set(nav))


def test_command_line_links_name_existing_pages():
    text = (ROOT / "src" / "gipro" / "cli.py").read_text(encoding="utf-8")
    linked = re.findall(r"docs_url\('([^'#]*)", text) + re.findall(r'docs_url\("([^"#]*)', text)
    assert {"robustness", "reports", "scenarios", "parks", "stats", "recipe"} <= set(linked)
    for page in linked:
        assert page == "" or (ROOT / "docs" / f"{page}.md").exists(), page
    assert "docs/" not in re.sub(r'"""[\s\S]*?"""', "", text).replace("docs_url", "")


def test_help_ends_with_the_page_address():
    runner = CliRunner()
    res = runner.invoke(app, ["sensitivity", "--help"], env={"COLUMNS": "200"})
    assert f"{DOCS_URL}/robustness/" in res.output
    res = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert f"{DOCS_URL}/" in res.output
    assert docs_url("steps/normalise") == f"{DOCS_URL}/steps/normalise/"


def test_every_recipe_key_and_step_parameter_is_documented():
    recipe = (ROOT / "docs" / "recipe.md").read_text(encoding="utf-8")
    for key in Recipe.model_fields:
        assert f"| `{key}` |" in recipe, key
    for key in COMMON_STEP_KEYS:
        assert f"| `{key}` |" in recipe, key
    data = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for key in DataSpec.model_fields:
        assert f"| `{key}` |" in data, key
    kinds = STEP_TYPES.values() if isinstance(STEP_TYPES, dict) else STEP_TYPES
    for cls in kinds:
        kind = cls.model_fields["step"].default
        page = (ROOT / "docs" / "steps" / f"{kind}.md").read_text(encoding="utf-8")
        missing = [f for f in cls.model_fields if f not in COMMON_STEP_KEYS
                   and f"`{f}`" not in page]
        assert missing == [], (kind, missing)


def test_readme_builds_the_site_with_warnings_as_errors_and_ci_does():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[docs]" && mkdocs build --strict' in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "mkdocs build --strict" in ci and ".[test,docs" in ci
