"""The book builds with warnings as errors, and every page of the table of contents is produced."""

from __future__ import annotations

import json

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


def test_every_chapter_has_a_measured_run_time():
    results = json.loads((ROOT / "benchmarks" / "results" / "notebook_times.json").read_text())
    measured = set(results["notebooks"])
    chapters = {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    assert chapters <= measured, (
        f"chapters with no measured run time: {sorted(chapters - measured)}; run "
        "python benchmarks/bench_notebooks.py notebooks/<chapter>.ipynb and commit "
        "benchmarks/results/notebook_times.json (the chapter page shows it)"
    )
    over = {name: row["median_s"] for name, row in results["notebooks"].items()
            if name in chapters and row["median_s"] > row["budget_s"]}
    assert not over, f"chapters over their run-time budget: {over}"


@pytest.mark.slow
def test_chapter_pages_show_their_run_time(built_book):
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "chapter-runtime" in html and "Runs top to bottom in about" in html, page


@pytest.mark.slow
def test_live_explorers_say_where_they_run(built_book):
    """On the website a live explorer cannot run: its cell shows where it does, not a blank."""
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in html, page
        assert "This is a live explorer" in html, f"{page}: no live explorer note"
