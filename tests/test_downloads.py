"""The course's downloads: the whole book as one PDF and every chapter notebook in one zip, both
linked from every page of the website.

Both are made by scripts/build_downloads.py, which the session's book build runs (the
``built_book`` fixture in conftest.py) as a maintainer does before publishing. The PDF is read
with pypdf: its text (every chapter's title, typeset maths rather than TeX, numbered equations),
its links (cross-references that lead to a place inside the document) and its bookmarks.
"""

from __future__ import annotations

import functools
import html.parser
import json
import pathlib
import re
import sys
import unicodedata
import urllib.parse
import zipfile

import pytest

from conftest import ROOT, toc_files

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from downloads import FOLDER, PDF, ZIP

CHAPTERS = [page for page in toc_files() if page.startswith("notebooks/")]

# Measured 2026-12-07: 421 pages (A4). A change of more than 30 % means something is missing
# (a chapter, the figures) or printed many times over; re-measure after a large change.
EXPECTED_PAGES = 421
# Measured 2026-12-07: 5.9 MB. Twice that means the figures or shadows are printed as big
# images again (book/_static/book.css, @media print).
MAX_PDF_MB = 12

# TeX that would mean an equation was printed before MathJax typeset it (\( \[ are the
# delimiters Sphinx writes around each equation), or a reference that shows its section title's
# source (book/_ext/ref_titles.py). Code and its printed outputs may show TeX on purpose
# (a matplotlib label "$\\eta$"), so only these.
RAW_TEX = ("\\frac", "$$", "\\mathbf", "\\(", "\\[", "\\begin{")


def chapter_title(page: str) -> str:
    cells = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{page}.ipynb has no '# Title' line")


def normal(text: str) -> str:
    """Text as extracted, comparable: ligatures (ﬁ) as letters, all runs of space as one."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def pdf_path(built_book) -> pathlib.Path:
    path = built_book / FOLDER / PDF
    assert path.is_file(), f"no {FOLDER}/{PDF} in the built site: scripts/build_downloads.py"
    return path


@pytest.fixture(scope="module")
def reader(pdf_path):
    pypdf = pytest.importorskip("pypdf", reason="pip install -r requirements-dev.txt")
    return pypdf.PdfReader(pdf_path)


@pytest.fixture(scope="module")
def pages_text(reader) -> list[str]:
    return [normal(page.extract_text() or "") for page in reader.pages]


# --------------------------------------------------------------------------------------------
# The PDF.


@pytest.mark.slow
def test_pdf_is_a_whole_book_of_the_expected_size(reader, pdf_path):
    pages = len(reader.pages)
    assert 0.7 * EXPECTED_PAGES <= pages <= 1.3 * EXPECTED_PAGES, (
        f"the PDF has {pages} pages, expected about {EXPECTED_PAGES} (within 30 %)")
    size_mb = pdf_path.stat().st_size / 1e6
    assert size_mb <= MAX_PDF_MB, f"the PDF is {size_mb:.1f} MB (at most {MAX_PDF_MB} MB)"
    assert reader.metadata.title == "Deep Learning Basics"


@pytest.mark.slow
def test_pdf_has_every_chapter(pages_text):
    text = " ".join(pages_text)
    for number, page in enumerate(CHAPTERS, 1):
        title = normal(chapter_title(page))
        assert f"{number}. {title}" in text, f"chapter {number}, {title!r}, is not in the PDF"


@pytest.mark.slow
def test_pdf_maths_is_typeset_and_numbered(pages_text):
    raw = {}
    for number, text in enumerate(pages_text, 1):
        for tex in RAW_TEX:
            if tex in text:
                where = text.index(tex)
                raw.setdefault(tex, f"page {number}: …{text[max(0, where - 60):where + 40]}…")
    assert not raw, "TeX printed as text instead of typeset maths:\n" + "\n".join(raw.values())
    numbers = set(re.findall(r"\((\d+)\.(\d+)\)", " ".join(pages_text)))
    for chapter in range(1, len(CHAPTERS) + 1):
        assert (str(chapter), "1") in numbers, f"no equation ({chapter}.1) in the PDF"
    assert ("4", "3") in numbers, "no equation (4.3) in the PDF"


@pytest.mark.slow
def test_pdf_links_lead_inside_the_document(reader):
    """Cross-references, the contents and glossary terms are links to a named place in the PDF,
    and each of those places exists."""
    places = reader.named_destinations
    internal, lost = 0, []
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link" or "/Dest" not in annotation:
                continue
            internal += 1
            name = str(annotation["/Dest"])
            if name not in places and name.lstrip("/") not in places:
                lost.append(f"page {number}: {name}")
    assert internal >= 500, f"only {internal} links inside the PDF"
    assert not lost, f"{len(lost)} links lead nowhere: {lost[:10]}"


@pytest.mark.slow
def test_pdf_bookmarks_name_every_chapter(reader):
    titles = [normal(item.title) for item in reader.outline if not isinstance(item, list)]
    for number, page in enumerate(CHAPTERS, 1):
        assert f"{number}. {normal(chapter_title(page))}" in titles, (number, titles)
    # The bookmark of chapter 4 leads to the page that starts it.
    four = next(item for item in reader.outline
                if not isinstance(item, list) and item.title.startswith("4. "))
    start = reader.pages[reader.get_destination_page_number(four)].extract_text()
    assert normal(chapter_title(CHAPTERS[3])) in normal(start)


@pytest.mark.slow
def test_pdf_has_the_figures(reader):
    images = set()  # each picture once, by its object number, without decoding it
    for page in reader.pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for name, ref in xobjects.items():
            if xobjects[name].get("/Subtype") == "/Image":
                images.add(getattr(ref, "idnum", id(ref)))
    # Figures are outputs with a PNG (each also names image/png in its metadata: its size).
    notebooks = [json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
                 for page in CHAPTERS]
    figures = sum("image/png" in output.get("data", {})
                  for notebook in notebooks for cell in notebook["cells"]
                  for output in cell.get("outputs", []))
    # Every figure and every static twin prints once (a twin shows one frame); figures hidden
    # on the website (removed outputs) do not.
    assert len(images) >= 0.8 * figures, f"{len(images)} images in the PDF, {figures} figures"


# --------------------------------------------------------------------------------------------
# The notebooks' zip.


@pytest.fixture(scope="module")
def zipped(built_book):
    path = built_book / FOLDER / ZIP
    assert path.is_file(), f"no {FOLDER}/{ZIP} in the built site: scripts/build_downloads.py"
    with zipfile.ZipFile(path) as archive:
        yield archive


@pytest.mark.slow
def test_zip_holds_every_chapter_notebook_as_committed(zipped):
    import nbformat

    top = pathlib.PurePosixPath(ZIP).stem
    names = set(zipped.namelist())
    for page in CHAPTERS:
        name = f"{top}/{page}.ipynb"
        assert name in names, f"{name} is missing from the zip"
        data = zipped.read(name)
        assert data == (ROOT / f"{page}.ipynb").read_bytes(), f"{name} differs from the repository"
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
        assert any(cell.get("outputs") for cell in notebook.cells), f"{name} has no outputs"
    assert len([n for n in names if n.endswith(".ipynb")]) == len(CHAPTERS) == 8


@pytest.mark.slow
def test_zip_says_how_to_open_and_run_them(zipped):
    top = pathlib.PurePosixPath(ZIP).stem
    readme = zipped.read(f"{top}/README.txt").decode("utf-8")
    for needed in ("requirements.txt", "pip install -r requirements.txt", "jupyter lab",
                   "notebooks/01_neurons.ipynb", "Activate.ps1"):
        assert needed in readme, f"README.txt does not say {needed!r}"
    # What requirements.txt needs to install the package the notebooks import (-e .).
    for name in ("requirements.txt", "pyproject.toml", "README.md", "src/dlbasics/__init__.py",
                 "src/dlbasics/data/digits.npz"):
        assert f"{top}/{name}" in zipped.namelist(), f"{name} is missing from the zip"
    assert zipped.read(f"{top}/requirements.txt") == (ROOT / "requirements.txt").read_bytes()
    assert not [n for n in zipped.namelist() if "__pycache__" in n or n.endswith(".pyc")]


# --------------------------------------------------------------------------------------------
# Every page links both.


class _Hrefs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sidebar: list[str] = []
        self.menu: list[tuple[str, str]] = []
        self._in_sidebar = 0
        self._label = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "nav" and "dlb-downloads" in classes:
            self._in_sidebar = 1
        if tag == "a" and attrs.get("href"):
            if self._in_sidebar:
                self.sidebar.append(attrs["href"])
            elif any(c.startswith("btn-download-") for c in classes):
                self.menu.append((attrs["href"], attrs.get("title", "")))
        if tag == "button" and "btn-download-pdf-button" in classes:
            self._label = ""

    def handle_data(self, data):
        if self._label is not None:
            self._label += data

    def handle_endtag(self, tag):
        if tag == "nav" and self._in_sidebar:
            self._in_sidebar = 0
        if tag == "button" and self._label is not None:
            self.menu.append(("print", " ".join(self._label.split())))
            self._label = None


@functools.cache
def site_pages(built_book: pathlib.Path) -> list[pathlib.Path]:
    """Every page of the site a reader can see (not index.html, which only redirects)."""
    return sorted(
        p for p in built_book.rglob("*.html")
        if p.relative_to(built_book).parts[0] not in ("_static", "_sources", "_images", FOLDER)
        and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:300]
    )


@pytest.mark.slow
def test_every_page_links_both_downloads(built_book):
    pages = site_pages(built_book)
    assert len(pages) >= len(toc_files()), "the build made fewer pages than the contents lists"
    expected = {built_book / FOLDER / PDF, built_book / FOLDER / ZIP}
    problems = []
    for page in pages:
        where = page.relative_to(built_book)
        hrefs = _Hrefs()
        hrefs.feed(page.read_text(encoding="utf-8"))
        sidebar = {(page.parent / urllib.parse.unquote(h)).resolve() for h in hrefs.sidebar}
        if sidebar != expected:
            problems.append(f"{where}: the sidebar links {sorted(map(str, sidebar))}")
        menu = {(page.parent / urllib.parse.unquote(h)).resolve()
                for h, _ in hrefs.menu if h != "print"}
        prints = [label for h, label in hrefs.menu if h == "print"]
        if where.as_posix().removesuffix(".html") in toc_files():
            if not expected <= menu:
                problems.append(f"{where}: the download menu lacks the book or the notebooks")
            if prints != ["Print this page"]:
                problems.append(f"{where}: the menu's print entry reads {prints}")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.slow
def test_download_links_are_served(built_book):
    """What the links point at is there and is what it says (a PDF, a zip)."""
    assert (built_book / FOLDER / PDF).read_bytes()[:5] == b"%PDF-"
    assert zipfile.is_zipfile(built_book / FOLDER / ZIP)
