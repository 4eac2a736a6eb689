"""Shared fixtures and settings for the test suite."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml
from hypothesis import settings

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Debian's Chromium and its flags, shared with the whole-book PDF (scripts/chromium.py).
sys.path.insert(0, str(ROOT / "scripts"))
from chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402, F401  (test_site, test_jupyterlab)

# Property-based gradient checks: enough examples to find shape bugs, few enough to stay quick.
# derandomize: every run tries the same examples, so a red CI run means a change broke
# something, not that a new random example happened to land on a hard case.
settings.register_profile("course", max_examples=30, deadline=None, print_blob=True,
                          derandomize=True)
settings.load_profile("course")


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
    """Build the book once per session into a temporary folder, as it is published: the
    website, then its downloads (scripts/build_downloads.py: the whole-book PDF and the
    notebooks' zip); return the html folder.

    Shared by test_book.py (the build itself), test_site.py (the browser check of the site) and
    test_downloads.py. ``DLBASICS_BUILT_BOOK=<path-output>`` uses a build made beforehand with
    ``--path-output <path-output>`` (and ``scripts/build_downloads.py``), to re-run the site's
    checks without building again.
    """
    given = os.environ.get("DLBASICS_BUILT_BOOK")
    if given:  # a build made beforehand (jupyter-book build + build_downloads.py): its folder
        html = pathlib.Path(given) / "_build" / "html"
        assert html.is_dir(), f"DLBASICS_BUILT_BOOK={given}: no _build/html in it"
        return html
    out = tmp_path_factory.mktemp("book")
    jb = shutil.which("jupyter-book", path=str(pathlib.Path(sys.executable).parent))
    assert jb, "jupyter-book is not installed: pip install -r requirements-dev.txt"
    cmd = [jb, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed or warned:\n{log[-6000:]}"
    cmd = [sys.executable, str(ROOT / "scripts" / "build_downloads.py"), "--path-output", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"making the downloads failed:\n{log[-6000:]}"
    return out / "_build" / "html"


@pytest.fixture
def root() -> pathlib.Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture
def rng():
    """A fresh, seeded random generator for each test."""
    import numpy as np

    return np.random.default_rng(12345)
