"""The book builds with warnings as errors, and every page of the table of contents is produced."""

from __future__ import annotations

import pytest
from conftest import ROOT, toc_files  # the built_book fixture lives in conftest.py too


@pytest.mark.slow
def test_book_builds_every_toc_page(built_book):
    missing = [f for f in toc_files() if not (built_book / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml that the build did not produce: {missing}"


@pytest.mark.slow
def test_every_notebook_is_in_the_book():
    in_toc = set(toc_files())
    notebooks = {f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks, "no chapter notebooks found"
    assert notebooks <= in_toc, f"notebooks missing from _toc.yml: {sorted(notebooks - in_toc)}"


@pytest.mark.slow
def test_chapter_pages_render_math_and_figures(built_book):
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert '<span class="math' in html or 'class="math' in html, f"{page}: no math on the page"
        assert "<img" in html, f"{page}: no figure on the page"
