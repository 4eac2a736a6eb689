"""The book builds with warnings as errors, and every page of the table of contents is produced."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    """Every file named in _toc.yml, root first, without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> pathlib.Path:
    """Build the book once per session into a temporary folder; return the html folder."""
    out = tmp_path_factory.mktemp("book")
    jb = shutil.which("jupyter-book", path=str(pathlib.Path(sys.executable).parent))
    assert jb, "jupyter-book is not installed: pip install -r requirements-dev.txt"
    cmd = [jb, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed or warned:\n{log[-6000:]}"
    return out / "_build" / "html"


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
