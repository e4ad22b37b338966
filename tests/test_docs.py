"""The README and docs/: links resolve, and the README's step example runs.

A new-user trial found a broken link (docs/variants.md) and a steps example that failed on
the built-in data; these tests keep both from coming back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import gipro

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_paths_resolve(page):
    text = page.read_text(encoding="utf-8")
    broken = []
    for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", text):  # markdown links
        target = m.group(1)
        if not target.startswith(("http://", "https://", "mailto:")) and not (
                page.parent / target).exists():
            broken.append(target)
    for m in re.finditer(r"`((?:docs|src|examples|scripts|benchmarks|tests)/[^`\s<>*{]+)`",
                         text):  # repository paths in code spans
        if not (ROOT / m.group(1).rstrip(".,:;")).exists():
            broken.append(m.group(1))
    assert broken == []


def test_readme_steps_example_runs_on_the_built_in_data_without_denominate():
    """The README's steps block is illustrative for a framework with the total co2_total;
    it says so, and without its denominate line it runs on the built-in data."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"An illustrative recipe.*?```yaml\n(.*?)```", text, re.S).group(1)
    steps = yaml.safe_load(block)["steps"]
    assert steps[0]["step"] == "denominate" and "co2_total" in steps[0]["denominators"]
    recipe = {"framework": "china-provinces-green-industry",
              "data": {"dataset": "china_provinces"}, "periods": {"start": 2006, "end": 2015},
              "steps": steps[1:]}
    b = gipro.run(recipe)
    assert [e.step for e in b.log] == [s["step"] for s in steps[1:]]
    res = b.results()
    assert res[res["code"] == "GIP"]["score"].notna().any()
