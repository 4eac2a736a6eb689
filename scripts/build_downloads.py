"""Make the course's two downloads and put them in the built website.

Usage (after ``jupyter-book build .``, from the repository root)::

    python scripts/build_downloads.py                    # the site in _build/html
    python scripts/build_downloads.py --path-output DIR  # a site built with --path-output DIR

It writes, into the site's ``downloads/`` folder (every page links both, see
``book/_ext/downloads.py``):

- ``deep-learning-basics.pdf``: the whole book. Sphinx's ``singlehtml`` builder writes the book as
  one page (into ``_build/singlehtml``, reusing the HTML build's parsed sources), Debian's
  Chromium opens it with the network blocked, waits until MathJax has typeset every equation and
  every figure has loaded, and prints it (``book/_static/book.css`` has the print layout: one
  chapter per new page, code that wraps, no buttons). Equations keep their numbers, and
  cross-references, the contents and the glossary links stay links inside the PDF, which also
  gets bookmarks. No LaTeX needed.
- ``deep-learning-basics-notebooks.zip``: every chapter notebook with its saved outputs, the
  ``dlbasics`` package they import, ``requirements.txt`` (with what it needs to install the
  package) and a ``README.txt`` that says how to open them.

The book build of the tests (``built_book`` in tests/conftest.py) runs this script, and
tests/test_downloads.py checks both files. Chromium: ``/usr/bin/chromium`` (Debian's package;
``DLBASICS_CHROMIUM`` points elsewhere), driven by the ``playwright`` package; never
``playwright install``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import logging
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import zipfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from downloads import FOLDER, PDF, ZIP  # noqa: E402  (the names the pages link to)

sys.path.insert(0, str(ROOT / "scripts"))
from chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  (the browser tests' own)

# The paper: A4 with these margins. The page is laid out at the width of the printed column
# (the viewport), so what is measured on it (an equation too wide for the column) holds on paper.
PAPER_MM = (210, 297)
MARGIN_MM = {"top": 16, "bottom": 18, "left": 16, "right": 16}
COLUMN_PX = round((PAPER_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) / 25.4 * 96)

# Run in the single page before printing: wait for MathJax and the figures, open every collapsed
# box (a PDF cannot be clicked), shrink what is too wide for the paper (on screen it scrolls),
# report what would print wrongly, and list the headings for the PDF's bookmarks.
PREPARE_JS = """
async () => {
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    return {problems: ["MathJax did not load"], headings: []};
  }
  await MathJax.startup.promise;
  for (const d of document.querySelectorAll("details")) d.open = true;
  for (const t of document.querySelectorAll(".admonition.toggle-hidden")) {
    t.classList.remove("toggle-hidden");
  }
  await Promise.all([...document.images].map(i => i.complete ? null : new Promise(done => {
    i.addEventListener("load", done, {once: true});
    i.addEventListener("error", done, {once: true});
  })));
  await document.fonts.ready;
  const article = document.querySelector("article.bd-article");
  const fit = (box, inner) => {
    if (inner && box.scrollWidth > box.clientWidth + 1) {
      inner.style.zoom = (0.99 * box.clientWidth / box.scrollWidth).toFixed(3);
    }
  };
  for (const m of article.querySelectorAll("div.math > mjx-container")) {
    fit(m, m.querySelector(":scope > mjx-math"));
  }
  for (const t of article.querySelectorAll("table")) fit(t.parentElement, t);
  const tooWide = [...article.querySelectorAll("*")].filter(e => {
    const overflow = getComputedStyle(e).overflowX;
    return e.scrollWidth > e.clientWidth + 1 && (overflow === "auto" || overflow === "scroll");
  }).length;
  const short = t => t.trim().replace(/\\s+/g, " ").slice(0, 80);
  const problems = [];
  for (const e of document.querySelectorAll("mjx-merror")) {
    problems.push("MathJax error: " + short(e.textContent));
  }
  for (const e of document.querySelectorAll(".math")) {
    if (!e.querySelector("mjx-container")) {
      problems.push("math left as TeX: " + short(e.textContent));
    }
  }
  for (const i of document.images) {
    if (!i.naturalWidth) {
      problems.push("image that did not load: " + (i.getAttribute("src") || "").slice(0, 80));
    }
  }
  const text = h => {
    const copy = h.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach(e => e.remove());
    copy.querySelectorAll("mjx-container").forEach(m => {
      const mml = m.querySelector("mjx-assistive-mml");
      m.replaceWith(mml ? mml.textContent : "");
    });
    return short(copy.textContent);
  };
  const headings = [];
  const documents = [article.querySelector("section"),
                     ...article.querySelectorAll('span[id^="document-"] + section')];
  for (const doc of documents) {
    const h = doc.querySelector(":scope > h1, :scope > h2");
    if (!h) continue;
    headings.push({level: 1, id: doc.id, title: text(h)});
    for (const sub of doc.querySelectorAll(":scope > section")) {
      const sh = sub.querySelector(":scope > h2, :scope > h3");
      if (sh) headings.push({level: 2, id: sub.id, title: text(sh)});
    }
  }
  return {problems, headings, tooWide};
}
"""

FOOTER = (
    '<div style="width: 100%; font-size: 8px; color: #555; padding: 0 {left}mm 0 {left}mm; '
    'display: flex; justify-content: space-between; font-family: sans-serif;">'
    "<span>{title}</span>"
    '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)

README_TXT = """\
{title}: the chapter notebooks
{underline}

notebooks/      the {n} chapters, saved with their outputs (figures, printed results)
src/dlbasics/   the course's small Python package, which the notebooks import
requirements.txt, pyproject.toml, README.md   what installs it

To READ a chapter: open its .ipynb file in JupyterLab, Jupyter Notebook or VS Code; every
figure and result is already there. (The website and the PDF show the same chapters.)

To RUN a chapter (change the code, use the live explorers), you need Python 3.10 or newer and,
for the first install only, an internet connection. Open a terminal in this folder, the one
with requirements.txt, and:

  Linux, macOS, WSL:
    python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt
    jupyter lab notebooks/01_neurons.ipynb

  Windows (PowerShell), one line at a time:
    py -m venv .venv
    .venv\\Scripts\\Activate.ps1
    pip install -r requirements.txt
    jupyter lab notebooks/01_neurons.ipynb

Next time: activate .venv again and run `jupyter lab notebooks/`. requirements.txt installs
JupyterLab 4.4 with jupyterlab-myst, which shows the chapters' maths, exercise boxes and
solutions; keep the versions it pins.

Without this zip: the course's repository, {url}, holds the same files
and the tests; its README explains more (including what to do if something goes wrong).
"""


def log(message: str) -> None:
    print(f"build_downloads: {message}", flush=True)


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def chapter_notebooks() -> list[pathlib.Path]:
    """The chapter notebooks of the book, in _toc.yml's order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = []
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            path = ROOT / f"{entry['file']}.ipynb"
            if entry["file"].startswith("notebooks/") and path.is_file():
                files.append(path)
    return files


# --------------------------------------------------------------------------------------------
# The notebooks' zip.


def build_zip(target: pathlib.Path) -> pathlib.Path:
    config = book_config()
    notebooks = chapter_notebooks()
    top = target.stem  # one folder inside the zip
    readme = README_TXT.format(
        title=config["title"],
        underline="=" * (len(config["title"]) + len(": the chapter notebooks")),
        n=len(notebooks),
        url=config["repository"]["url"],
    )
    package = sorted(
        p for p in (ROOT / "src" / "dlbasics").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    members = [(p, p.relative_to(ROOT)) for p in notebooks + package]
    members += [(ROOT / name, pathlib.Path(name))
                for name in ("requirements.txt", "pyproject.toml", "README.md")]
    tmp = target.with_suffix(".tmp")
    # Fixed dates: the same sources give the same zip, byte for byte.
    stamp = (2020, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo(f"{top}/README.txt", stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, readme.replace("\n", "\r\n"))  # readable in Windows' Notepad too
        for source, name in members:
            info = zipfile.ZipInfo(f"{top}/{name.as_posix()}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, source.read_bytes())
    tmp.replace(target)
    return target


# --------------------------------------------------------------------------------------------
# The whole-book PDF.


def build_single_page(path_output: pathlib.Path) -> pathlib.Path:
    """Sphinx's singlehtml build of the book, next to the HTML build; returns its page."""
    jb = shutil.which("jupyter-book", path=str(pathlib.Path(sys.executable).parent))
    jb = jb or shutil.which("jupyter-book")
    if not jb:
        raise SystemExit("jupyter-book is not installed: pip install -r requirements-dev.txt")
    cmd = [jb, "build", str(ROOT), "--builder", "singlehtml", "--path-output", str(path_output),
           "-W", "-n", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        log_text = (result.stdout + result.stderr)[-6000:]
        raise SystemExit(f"the single-page build failed or warned:\n{log_text}")
    page = path_output / "_build" / "singlehtml" / "index.html"  # see book/_ext/downloads.py
    if not page.is_file():
        raise SystemExit(f"the single-page build wrote no {page}")
    return page


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: pathlib.Path):
    """Serve a folder on 127.0.0.1; yields its base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def print_pdf(page: pathlib.Path, target: pathlib.Path, title: str) -> list[dict]:
    """Print the single page to ``target``; returns its headings (for the bookmarks)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("the playwright package is missing: pip install -r requirements-dev.txt"
                         " (never `playwright install`: this uses Debian's chromium)") from None
    if not CHROMIUM.is_file():
        raise SystemExit(f"Chromium is missing at {CHROMIUM}: apt-get install chromium, or point "
                         "DLBASICS_CHROMIUM at a Chromium binary")
    site = next(p for p in page.parents if p.name == "singlehtml")
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": COLUMN_PX, "height": 1000})
            blocked: list[str] = []

            def block(route):
                blocked.append(route.request.url)
                route.abort("blockedbyclient")

            context.route(lambda url: not url.startswith(base), block)
            tab = context.new_page()
            tab.set_default_timeout(300_000)
            errors: list[str] = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(base + page.relative_to(site).as_posix(), wait_until="load")
            tab.emulate_media(media="print")
            prepared = tab.evaluate(PREPARE_JS)
            if prepared.get("tooWide"):
                log(f"{prepared['tooWide']} boxes are still too wide for the paper (cut off)")
            problems = prepared["problems"]
            problems += [f"page error: {e}" for e in errors]
            problems += [f"request to another host (blocked): {u}" for u in blocked]
            if problems:
                raise SystemExit("the single page is not ready to print:\n  " +
                                 "\n  ".join(problems[:40]))
            # Untagged: a tagged PDF (Chromium's own bookmarks need one) was 2.5 times as big;
            # add_bookmarks() below makes the bookmarks.
            tab.pdf(
                path=str(target),
                width=f"{PAPER_MM[0]}mm",
                height=f"{PAPER_MM[1]}mm",
                margin={side: f"{mm}mm" for side, mm in MARGIN_MM.items()},
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER.format(title=title, left=MARGIN_MM["left"]),
            )
        finally:
            browser.close()
    return prepared["headings"]


def add_bookmarks(pdf: pathlib.Path, headings: list[dict], metadata: dict[str, str]) -> int:
    """Bookmarks (the PDF's outline) for each document of the book and its sections, and the
    document's title and author. Chromium writes a named destination for every target of a link
    in the page, and every heading is one (its ¶ link, hidden in print). Returns their number."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    # Chromium's trailer undercounts the objects; pypdf says so and reads the file all the same.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(pdf)
    places = {}
    for name, dest in reader.named_destinations.items():
        places[name.lstrip("/")] = (reader.get_destination_page_number(dest), dest.top)
    writer = PdfWriter(clone_from=reader)
    parent = None
    added = 0
    for heading in headings:
        if heading["id"] not in places:
            continue
        page_number, top = places[heading["id"]]
        item = writer.add_outline_item(
            title=heading["title"], page_number=page_number,
            parent=parent if heading["level"] == 2 else None, fit=Fit.xyz(top=top),
        )
        if heading["level"] == 1:
            parent = item
        added += 1
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({f"/{key}": value for key, value in metadata.items()})
    tmp = pdf.with_suffix(".tmp")
    with tmp.open("wb") as out:
        writer.write(out)
    tmp.replace(pdf)
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path-output", type=pathlib.Path, default=ROOT,
                        help="the folder given to jupyter-book build --path-output (default: "
                        "the repository, whose site is in _build/html)")
    parser.add_argument("--no-pdf", action="store_true", help="make only the zip")
    args = parser.parse_args(argv)
    path_output = args.path_output.resolve()
    html = path_output / "_build" / "html"
    if not (html / "index.html").is_file():
        raise SystemExit(f"no website in {html}: run jupyter-book build . first")
    out = html / FOLDER
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    zipped = build_zip(out / ZIP)
    log(f"{zipped} ({zipped.stat().st_size / 1e6:.1f} MB)")
    if not args.no_pdf:
        t0 = time.perf_counter()
        page = build_single_page(path_output)
        t1 = time.perf_counter()
        log(f"single page {page} in {t1 - t0:.0f} s")
        config = book_config()
        pdf = out / PDF
        tmp = pdf.with_suffix(".printing")
        headings = print_pdf(page, tmp, config["title"])
        t2 = time.perf_counter()
        marks = add_bookmarks(tmp, headings, {"Title": config["title"],
                                              "Author": config["author"]})
        tmp.replace(pdf)
        log(f"{pdf} ({pdf.stat().st_size / 1e6:.1f} MB) printed in {t2 - t1:.0f} s, "
            f"{marks} bookmarks in {time.perf_counter() - t2:.0f} s")
    log(f"done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
