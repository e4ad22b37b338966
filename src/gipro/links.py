"""Where gipro's documentation site lives, and the address of each of its pages.

The site is built from ``docs/`` by MkDocs (``mkdocs build``), one page per Markdown file, at
``DOCS_URL/<path of the file without .md>/``: ``docs/robustness.md`` is
``DOCS_URL/robustness/``, ``docs/steps/normalise.md`` is ``DOCS_URL/steps/normalise/``. The
command line's help names these addresses, never repository files (an installed user has no
``docs/`` folder); ``tests/test_docs_site.py`` checks that every page named exists.
"""

from __future__ import annotations

__all__ = ["DOCS_URL", "docs_url"]

#: The documentation site (the latest release's pages).
DOCS_URL = "https://gipro.readthedocs.io/en/latest"


def docs_url(page: str = "") -> str:
    """Address of a page of the documentation site.

    Parameters
    ----------
    page : str
        The page's path under ``docs/`` without ``.md`` (``"robustness"``,
        ``"steps/normalise"``); empty for the home page. An anchor may follow
        (``"data#every-key"``).

    Examples
    --------
    >>> docs_url("steps/normalise")
    'https://gipro.readthedocs.io/en/latest/steps/normalise/'
    >>> docs_url("data#every-key")
    'https://gipro.readthedocs.io/en/latest/data/#every-key'
    """
    path, _, anchor = page.partition("#")
    url = f"{DOCS_URL}/{path.strip('/')}/" if path else f"{DOCS_URL}/"
    return url + (f"#{anchor}" if anchor else "")
