"""The published book in a real browser: every page works offline and reads well on a laptop
and on a phone.

The site is built once per session (the ``built_book`` fixture in conftest.py), served on
127.0.0.1 and driven with Debian's Chromium through the ``playwright`` package (never
``playwright install``: ``.ci/run`` installs the ``chromium`` Debian package). Every request to
any other host is blocked and recorded, so each page is checked as a reader with no network
sees it. The pages come from _toc.yml, so new chapters are checked as soon as they are listed.

Each page is visited once per viewport:

- desktop, light theme, with an empty cache: what the first visit transfers stays within the
  page-weight budget (bytes sent with gzip); it loads, its heading shows, no page errors, no
  console errors (beyond ``ALLOWED_CONSOLE_ERRORS``), no failed same-origin requests, no blocked
  requests, no broken images, every figure has a caption or alt text, text contrast is legible;
  on chapter pages also rendered math, the explorers' twins, whose every control, moved by
  keyboard, shows the picture of the new combination (``grid_twin_problems``: labels, 44 px
  targets, visible focus, the picture's text), launch buttons, and figures that are sharp and
  legible (``figure_problems``: saved at 2×, shown at 60 % or more of their natural width, their
  smallest text at least 9 CSS px), and code cells that fit the column;
- desktop, dark theme: the same load checks, text contrast, figures drawn on opaque backgrounds;
- phone (375 px wide): the same load checks, no horizontal scrolling of the text column,
  figures that fit it.

Also: the twins' manifests, a figure opens at full size on a click, a tap or Enter and closes with
Esc, offline search (one case per chapter, a word from its title; and for a topic word of each
chapter, that chapter ranked first, with snippets free of TeX), every internal link and anchor
of the built site, and the colour-blind-safe palette of the package's plots.

When a page check fails, full-page screenshots of that visit go to the test's ``tmp_path``
(the failure message gives the path). Set ``DLBASICS_SCREENSHOTS=<folder>`` to keep a
screenshot of every visit for a review by eye.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import threading
import urllib.parse
from typing import Any

import pytest
import yaml

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, toc_files

# Console errors a page may log, each as (regular expression, one-line reason). Keep it short:
# an error belongs here only when it is harmless to a reader and cannot be fixed in the book.
ALLOWED_CONSOLE_ERRORS: tuple[tuple[str, str], ...] = ()

# Other hosts a page may *try* to reach (the request is still blocked), host -> reason. Empty:
# the book needs no network, so any request that leaves 127.0.0.1 fails the page.
ALLOWED_EXTERNAL_HOSTS: dict[str, str] = {}

PAGES = toc_files()
CHAPTERS = [page for page in PAGES if page.startswith("notebooks/")]

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE_WIDTH = 375
PHONE = {
    "viewport": {"width": PHONE_WIDTH, "height": 812},
    "device_scale_factor": 1,  # layout is the same at 2; screenshots are a quarter the size
    "is_mobile": True,
    "has_touch": True,
}
SCREENSHOTS = os.environ.get("DLBASICS_SCREENSHOTS")


# --------------------------------------------------------------------------------------------
# What the page tests read from _config.yml and the sources.


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def source_title(page: str) -> str:
    """The first level-1 heading of a page's source (.ipynb or .md); "" when there is none."""
    notebook, markdown = ROOT / f"{page}.ipynb", ROOT / f"{page}.md"
    try:
        if notebook.is_file():
            cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
            markdown_cells = (c for c in cells if c["cell_type"] == "markdown")
            text = "\n".join("".join(c["source"]) for c in markdown_cells)
        else:
            text = markdown.read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError):
        return ""  # the search test then fails for this page, with the reason; collection goes on
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def search_word(title: str) -> str:
    """A distinctive word of a title to search for: its longest word ("" for no title)."""
    words = re.findall(r"[A-Za-z][A-Za-z\-]+", title)
    return max(words, key=len).lower() if words else ""


def search_cases() -> list:
    """One case per chapter (a word of its title), plus 'backpropagation' for chapter 4."""
    cases = []
    for page in CHAPTERS:
        word = search_word(source_title(page))
        cases.append(pytest.param(page, word, id=f"{word or 'no-title'}->{page}"))
    backprop = "notebooks/04_backpropagation"
    cases.append(
        pytest.param(
            backprop,
            "backpropagation",
            id="backpropagation",
            marks=pytest.mark.skipif(
                not (ROOT / f"{backprop}.ipynb").is_file(),
                reason=f"chapter 4 ({backprop}.ipynb) is not written yet; "
                "this case runs as soon as the notebook exists",
            ),
        )
    )
    return cases


# --------------------------------------------------------------------------------------------
# The browser, the server and one visit.


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the playwright Python package is missing: pip install -r requirements-dev.txt "
            "(do not run `playwright install`: the tests drive Debian's Chromium)",
            pytrace=False,
        )
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: `apt-get install chromium` (bash .ci/run does "
            "this), or point DLBASICS_CHROMIUM at a Chromium binary",
            pytrace=False,
        )
    return sync_playwright


@pytest.mark.slow
def test_browser_tools_are_installed():
    """Fails (never skips) with a clear message when playwright or Chromium is missing."""
    _playwright()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for every browser test (closed when this module is done)."""
    with _playwright()() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def site(built_book):
    """The built site served on 127.0.0.1; yields its base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def blocked_requests(tmp_path_factory):
    """Every blocked request of this module, host -> sorted URLs; written to a JSON file."""
    record: dict[str, set[str]] = {}
    yield record
    out = tmp_path_factory.getbasetemp() / "blocked_requests.json"
    out.write_text(json.dumps({h: sorted(u) for h, u in sorted(record.items())}, indent=2))


class Visit:
    """One page in a fresh browser context, with everything it logs."""

    def __init__(self, browser, base, blocked, page, options, name, tmp_path):
        self.base, self.name, self.tmp_path = base, name, tmp_path
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.blocked: list[str] = []
        self.context = browser.new_context(**options)
        self.context.route(lambda url: not url.startswith(base), self._block)
        self._all_blocked = blocked
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("console", self._console)
        self.page.on("request", self._request)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self._navigations = 0  # the page's navigations so far, and each request's at its start
        self._started: dict[Any, int] = {}
        self.url = base + f"{page}.html"
        self.shot_on_failure = False

    def _block(self, route):
        url = route.request.url
        self.blocked.append(url)
        self._all_blocked.setdefault(urllib.parse.urlsplit(url).hostname or url, set()).add(url)
        route.abort("blockedbyclient")

    def _console(self, message):
        if message.type != "error":
            return
        text = message.text
        if any(re.search(pattern, text) for pattern, _ in ALLOWED_CONSOLE_ERRORS):
            return
        if "net::ERR_BLOCKED_BY_CLIENT" in text or text.startswith("Failed to load resource"):
            return  # reported below, with its URL, as a blocked or failed request
        self.console_errors.append(f"{text} ({message.location.get('url', '')})")

    def _same_origin(self, url: str) -> bool:
        return url.startswith(self.base)

    def _request(self, request):
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._navigations += 1
        self._started[request] = self._navigations

    def _request_failed(self, request):
        if request.failure == "net::ERR_ABORTED" and (
                self._started.get(request, self._navigations) < self._navigations):
            return  # the page was left while it loaded (a search submitted, a link followed)
        if self._same_origin(request.url):
            self.failed.append(f"{request.url} ({request.failure})")

    def _response(self, response):
        if self._same_origin(response.url) and response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def open(self, first=None):
        """Load the page and return its facts; ``first()`` runs once it has loaded, before
        anything is measured on it (which may make lazy pictures load)."""
        response = self.page.goto(self.url, wait_until="load")
        assert response is not None and response.ok, f"{self.url}: {response and response.status}"
        self.page.locator("article.bd-article h1").first.wait_for(state="visible")
        if first is not None:
            first()
        return self.page.evaluate(PAGE_FACTS_JS)

    def log_problems(self) -> list[str]:
        problems = [f"page error: {e}" for e in self.page_errors]
        problems += [f"console error: {e}" for e in self.console_errors]
        problems += [f"failed same-origin request: {f}" for f in self.failed]
        for url in self.blocked:
            host = urllib.parse.urlsplit(url).hostname
            if host not in ALLOWED_EXTERNAL_HOSTS:
                problems.append(f"request to another host (blocked; breaks offline): {url}")
        return problems

    def screenshot(self, folder: pathlib.Path) -> pathlib.Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.png"
        self.page.keyboard.press("Escape")  # close an open menu
        self.page.evaluate("window.scrollTo(0, 0)")  # sticky header and sidebars at the top
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def finish(self, problems: list[str]) -> None:
        """Add what the page logged, keep screenshots, and fail with every problem found."""
        problems = problems + self.log_problems()
        if SCREENSHOTS:
            self.screenshot(pathlib.Path(SCREENSHOTS))
        if problems:
            shot = self.screenshot(self.tmp_path)
            self.shot_on_failure = True
            listing = "\n  - ".join(problems)
            pytest.fail(f"{self.url}:\n  - {listing}\nscreenshot: {shot}", pytrace=False)

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        """On any other failure (a timeout, a crash), still keep a screenshot of the page."""
        if kind is not None and not self.shot_on_failure:
            with contextlib.suppress(Exception):
                print(f"screenshot: {self.screenshot(self.tmp_path)}")  # shown with the failure


@pytest.fixture
def visit(browser, site, blocked_requests, tmp_path):
    """``visit(page, options, mode)`` opens a page; the context closes after the test."""
    opened: list[Visit] = []

    def open_visit(page: str, options: dict, mode: str) -> Visit:
        name = f"{page.replace('/', '__')}-{mode}"
        v = Visit(browser, site, blocked_requests, page, options, name, tmp_path)
        opened.append(v)
        return v

    yield open_visit
    for v in opened:
        with contextlib.suppress(Exception):  # a crashed page still closes
            v.context.close()


# --------------------------------------------------------------------------------------------
# JavaScript run in the pages.

PAGE_FACTS_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = [...document.images];
  // Figures and twins load lazily as they near the screen (book/_ext/light_pages.py): ask for
  // every one now, so that each is checked.
  images.forEach(i => { i.loading = "eager"; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(done => {
    i.addEventListener("load", done, {once: true});
    i.addEventListener("error", done, {once: true});
    setTimeout(done, 5000);
  })));
  const article = document.querySelector("article.bd-article");
  const short = i => (i.getAttribute("src") || `<img id=${i.id}>`).slice(0, 90);
  const h1 = article.querySelector("h1");
  return {
    theme: document.documentElement.dataset.theme,
    heading: h1 ? h1.innerText.trim() : "",
    broken: images.filter(i => !i.getAttribute("src") || i.naturalWidth === 0).map(short),
    undescribed: [...article.querySelectorAll("img")].filter(i => {
      const figure = i.closest("figure");
      const caption = figure && figure.querySelector("figcaption");
      return !(i.getAttribute("alt") || "").trim() && !(caption && caption.innerText.trim());
    }).map(short),
    math: article.querySelectorAll("mjx-container").length,
    mathErrors: [...article.querySelectorAll("mjx-merror")].map(e => e.textContent.slice(0, 80)),
    unrendered: [...article.querySelectorAll(".math")]
      .filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 80)),
    twins: article.querySelectorAll(".dlb-grid-twin").length,
  };
}
"""

# Text whose contrast with what is behind it is below WCAG AA: 4.5 for body text, 3 for large.
CONTRAST_JS = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const rgba = css => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, bottom) => [0, 1, 2].map(k => top[k] * top[3] + bottom[k] * (1 - top[3]));
  const backdrop = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = c => {
    const [r, g, b] = c.map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const hidden = el => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.opacity === "0" || s.visibility === "hidden") return true;
    }
    return false;
  };
  const article = document.querySelector("article.bd-article");
  const failures = [];
  let checked = 0;
  for (const el of article.querySelectorAll("*")) {
    if (el.closest("mjx-container, svg, script, style")) continue;
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1 || hidden(el)) continue;
    const style = getComputedStyle(el);
    const bg = backdrop(el);
    const fg = over(rgba(style.color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    checked += 1;
    if (ratio < needed) {
      const text = own[0].textContent.trim().slice(0, 40);
      const tag = `<${el.tagName.toLowerCase()} class="${el.className}">`;
      const colours = `${style.color} on rgb(${bg.map(Math.round)})`;
      failures.push(`${ratio.toFixed(2)} < ${needed}: "${text}" (${tag} ${colours})`);
    }
  }
  return {checked, failures};
}
"""

# Figures drawn on a transparent background vanish into a dark page: report those in dark mode.
TRANSPARENT_FIGURES_JS = """
() => {
  const found = [];
  for (const img of document.querySelectorAll("article.bd-article img")) {
    if (!img.naturalWidth) continue;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 32;
    const ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(img, 0, 0, 32, 32);
    const d = ctx.getImageData(0, 0, 32, 32).data;
    let transparent = 0;
    for (let k = 3; k < d.length; k += 4) if (d[k] < 250) transparent += 1;
    if (transparent > 0.05 * 32 * 32) found.push((img.getAttribute("src") || img.id).slice(0, 90));
  }
  return found;
}
"""

# Anything wider than the text column makes a phone reader scroll the text sideways, unless it
# sits in a box that scrolls by itself (code, wide math, tables: overflow-x auto). Figures and
# controls should fit the column even inside such a box.
LAYOUT_JS = """
() => {
  const article = document.querySelector("article.bd-article");
  const box = article.getBoundingClientRect();
  const inScroller = el => {
    for (let e = el.parentElement; e && e !== article; e = e.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(e).overflowX)) return true;
    }
    return false;
  };
  const name = el => `<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}`
    + `${el.className && typeof el.className === "string" ? ' class="' + el.className + '"' : ""}>`;
  const media = ["IMG", "SVG", "CANVAS", "VIDEO", "INPUT", "BUTTON"];
  const sticking = [], unfit = [];
  for (const el of article.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    if (r.right > box.right + 1 || r.left < box.left - 1) {
      const where = `${name(el)} spans x=${Math.round(r.left)}..${Math.round(r.right)}`;
      if (!inScroller(el)) sticking.push(where);
      else if (media.includes(el.tagName.toUpperCase())) unfit.push(where);
    }
  }
  const p = article.querySelector("p");
  return {
    pageWidth: document.documentElement.scrollWidth,
    column: [Math.round(box.left), Math.round(box.right)],
    sticking: sticking.slice(0, 8),
    nSticking: sticking.length,
    unfit: unfit.slice(0, 8),
    fontSize: p ? parseFloat(getComputedStyle(p).fontSize) : null,
  };
}
"""


# --------------------------------------------------------------------------------------------
# Checks shared by the page tests.


# A numbered display equation must never run under its number (the reader would lose part of
# the maths without knowing it): either it fits beside the number, or the number drops below and
# the equation has the whole column, scrolling if it is wider still (book/_static/book.css).
EQUATIONS_JS = """
() => {
  const problems = [];
  for (const div of document.querySelectorAll('div.math')) {
    const mjx = div.querySelector(':scope > mjx-container');
    const eqno = div.querySelector(':scope > span.eqno');
    if (!mjx) continue;
    const d = div.getBoundingClientRect(), m = mjx.getBoundingClientRect();
    const name = eqno ? eqno.textContent.replace('#', '').trim() : 'an unnumbered equation';
    if (m.left < d.left - 1 || m.right > d.right + 1) {
      problems.push(`${name} sticks out of its column`);
    }
    if (!eqno) continue;
    const e = eqno.getBoundingClientRect();
    const beside = e.top < m.bottom - 1 && e.bottom > m.top + 1;
    if (beside && m.right > e.left + 1) problems.push(`${name} runs under its number`);
    if (beside && mjx.scrollWidth > mjx.clientWidth + 1) {
      problems.push(`${name} is cut off beside its number (scrolls ${mjx.scrollWidth} px in ` +
                    `${mjx.clientWidth} px)`);
    }
  }
  return problems;
}
"""


# Dark mode: twins and figures are drawn on white, so they are shown on white, undimmed, with
# the browser's light form controls (radio buttons drawn for a dark page look inverted on a
# light plate), and captions keep the body text's colour (book/_static/book.css).
DARK_JS = """
() => {
  const problems = [];
  const images = '.bd-content figure img, .bd-content .cell_output img';
  for (const img of document.querySelectorAll(images)) {
    const filter = getComputedStyle(img).filter;
    if (filter !== 'none') problems.push(`a figure is dimmed (${filter}): ${img.alt.slice(0, 60)}`);
  }
  const body = getComputedStyle(document.querySelector('article.bd-article p')).color;
  for (const cap of document.querySelectorAll('.bd-content figcaption p')) {
    if (getComputedStyle(cap).color !== body) {
      problems.push(`a caption is fainter than the text: ${cap.textContent.slice(0, 60)}`);
    }
  }
  return [...new Set(problems)];
}
"""


# Every figure of the article and every static twin's frame: how wide it is shown and how wide
# it was made to be shown (the width Sphinx writes in its style from the notebook's metadata:
# half the pixels of a 2× image; else its pixels).
FIGURES_JS = """
() => [...document.querySelectorAll("article.bd-article figure img")].map(img => ({
    figure: img.closest(".dlb-grid-twin") ? "" : (img.closest("figure") || {}).id || "",
    twin: !!img.closest(".dlb-grid-twin"),
    textPt: Number(img.dataset.textPt) || 0,
    dpi: Number(img.dataset.dpi) || 0,
    src: (img.getAttribute("src") || "").slice(0, 60),
    declared: parseFloat(img.style.width) || Number(img.getAttribute("width")) || 0,
    pixels: img.naturalWidth,
    shown: img.getBoundingClientRect().width,
  }))
"""

SMALLEST_SHOWN = 0.6  # of a figure's natural width, at 1280 px
SMALLEST_TEXT_PX = 9.0  # CSS px, a figure's smallest text at 1280 px


@functools.cache
def notebook_figures(chapter: str) -> dict[str, dict]:
    """A chapter's figures, by label: what ``dlbasics.plotting.sharp_figures`` recorded in the
    notebook when the figure was drawn (``dpi``, ``smallest_font_pt``; empty when the figure
    was saved without it)."""
    notebook = json.loads((ROOT / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    figures = {}
    for cell in notebook["cells"]:
        name = cell["metadata"].get("mystnb", {}).get("figure", {}).get("name")
        for output in cell.get("outputs", []):
            if name and "image/png" in output.get("data", {}):
                figures[name] = output.get("metadata", {}).get("image/png", {}).get("dlbasics", {})
    return figures


def figure_problems(page, chapter: str) -> list[str]:
    """Sharp, legible figures at 1280 px, measured in the page.

    - Each figure of the chapter is a 2× image: its pixels are twice the width it is shown at
      when it fits (the ``width`` the notebook's output metadata gives it).
    - No figure (nor static twin's frame) is shown below ``SMALLEST_SHOWN`` of that natural
      width: the text column shrinks wider figures.
    - The smallest text of each figure is at least ``SMALLEST_TEXT_PX`` CSS px, estimated as
      *smallest font size in points × dpi / 72 × shown width / natural width*: at its natural
      size a figure drawn at ``dpi`` shows a point as dpi / 72 CSS px, and the page shrinks it
      by shown / natural. The font size and dpi are the ones ``sharp_figures`` recorded in the
      notebook; a twin's picture carries those its build recorded (``data-text-pt``,
      ``data-dpi``).
    """
    problems = []
    figures = notebook_figures(chapter)
    shown_figures = page.evaluate(FIGURES_JS)
    for label in sorted(set(figures) - {f["figure"] for f in shown_figures}):
        problems.append(f"figure {label} of the notebook is not on the page")
    for f in shown_figures:
        name = f["figure"] or f"twin picture {f['src']}"
        natural = f["declared"] or f["pixels"]
        if not natural:
            continue  # a broken image: load_problems reports it
        ratio = f["shown"] / natural
        if ratio < SMALLEST_SHOWN:
            problems.append(f"{name} is shown at {ratio:.0%} of its natural width {natural} px "
                            f"(at least {SMALLEST_SHOWN:.0%})")
        if f["twin"]:  # a twin's picture: the sizes its build recorded on it
            if not f["textPt"] or not f["dpi"]:
                problems.append(f"{name} does not record its smallest text (data-text-pt)")
                continue
            text_px = f["textPt"] * f["dpi"] / 72 * ratio
            if text_px < SMALLEST_TEXT_PX:
                problems.append(f"{name}: its smallest text ({f['textPt']} pt) shows at "
                                f"{text_px:.1f} CSS px (at least {SMALLEST_TEXT_PX})")
            continue
        recorded = figures.get(f["figure"], {})
        if f["pixels"] < 1.9 * natural or not recorded:
            problems.append(f"{name} is not saved at 2x with its font size recorded "
                            "(sharp_figures() in the chapter's setup cell, then re-execute)")
            continue
        text_px = recorded["smallest_font_pt"] * recorded["dpi"] / 72 * ratio
        if text_px < SMALLEST_TEXT_PX:
            problems.append(f"{name}: its smallest text ({recorded['smallest_font_pt']} pt) shows "
                            f"at {text_px:.1f} CSS px (at least {SMALLEST_TEXT_PX})")
    return problems


# Code cells (and their printed output) wider than the column, so the reader scrolls them.
WIDE_CODE_JS = """
() => [...document.querySelectorAll(
  "article.bd-article div.cell_input pre, article.bd-article div.cell_output pre")]
  .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
  .map(pre => {
    const longest = pre.innerText.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "");
    return `${pre.scrollWidth - pre.clientWidth} px too wide: ${longest.trim().slice(0, 60)}`;
  })
"""


def code_problems(page) -> list[str]:
    """At 1280 px a chapter's code fits the column: its lines are at most 80 characters
    (notebooks/ruff.toml) and book.css sizes code so that 80 fit; printed output wraps."""
    return [f"a code cell scrolls sideways, {where}" for where in page.evaluate(WIDE_CODE_JS)]


def equation_problems(page) -> list[str]:
    page.wait_for_function("() => !document.querySelector('div.math') || "
                           "document.querySelectorAll('div.math mjx-container').length > 0")
    return [f"equation {p}" for p in page.evaluate(EQUATIONS_JS)]


def load_problems(facts: dict, page: str, theme: str) -> list[str]:
    problems = []
    if not facts["heading"]:
        problems.append("no article heading (article.bd-article h1)")
    if facts["theme"] != theme:
        problems.append(f"the theme shown is {facts['theme']!r}, expected {theme!r}")
    problems += [f"broken image: {src}" for src in facts["broken"]]
    problems += [f"figure with neither caption nor alt text: {src}" for src in facts["undescribed"]]
    problems += [f"MathJax error: {text}" for text in facts["mathErrors"]]
    problems += [f"math left unrendered: {text}" for text in facts["unrendered"]]
    return problems


def contrast_problems(page) -> list[str]:
    result = page.evaluate(CONTRAST_JS)
    problems = [f"text hard to read (contrast {f})" for f in result["failures"][:8]]
    if len(result["failures"]) > 8:
        problems.append(f"… and {len(result['failures']) - 8} more low-contrast texts")
    if result["checked"] == 0:
        problems.append("no text found in the article to check")
    return problems


LIVE_NOTES_JS = """() => [...document.querySelectorAll('article.bd-article .dlb-live-note')].map(
  note => Object.fromEntries(['run', 'web'].map(k => {
    const p = note.querySelector('.dlb-live-note-' + k);
    return [k, p && p.getClientRects().length > 0 ? p.innerText : null];
  })))"""


def live_note_problems(page) -> list[str]:
    """Where a live explorer would be, the website shows the note that points at the static
    twin above, not the notebook's request to run the cell (book.css swaps them)."""
    notes = page.evaluate(LIVE_NOTES_JS)
    if not notes:
        return ["no live explorer note (.dlb-live-note) on a chapter page"]
    problems = []
    for k, note in enumerate(notes, 1):
        if not note["web"] or "twin above" not in note["web"]:
            problems.append(f"live explorer note {k}: the website's note is not shown")
        if note["run"]:
            problems.append(f"live explorer note {k}: shows {note['run']!r} (for notebooks)")
    return problems


GRID_TWIN_JS = """
async root => {
  // A twin with several controls (book/_ext/twin_frames.py, book/_static/twins.js): its
  // manifest, the picture shown, and each control's label, value and size.
  const manifest = await (await fetch(root.dataset.dlbGridTwin)).json();
  const img = root.querySelector("img");
  if (!img.complete) await new Promise(done => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
    setTimeout(done, 5000);
  });
  const controls = [...root.querySelectorAll("[data-control]")].map(input => {
    const label = root.querySelector(`label[for="${input.id}"]`);
    const shown = root.querySelector(`output[for="${input.id}"]`);
    return {
      id: input.id, tag: input.tagName, value: Number(input.value),
      label: label ? label.innerText.trim() : null,
      shown: shown ? shown.innerText.trim() : null,
      height: input.getBoundingClientRect().height,
      focused: document.activeElement === input,
      outline: getComputedStyle(input).outlineStyle,
    };
  });
  return {manifest, controls, src: img.src, alt: img.alt, loaded: img.naturalWidth > 0,
          frame: root.dataset.frame === undefined ? null : Number(root.dataset.frame)};
}
"""


def grid_twin_problems(page) -> list[str]:
    """Move every control of every twin with several controls by keyboard, as a reader would,
    and check that the picture, its text and the value shown follow: each control changes the
    picture to the one of the new combination (offline: the site's own files), each control
    has its label and is at least 44 px tall, and a focused control shows its focus."""
    problems = []
    twins = page.locator("article.bd-article .dlb-grid-twin")
    for k in range(twins.count()):
        twin = twins.nth(k)
        twin.scroll_into_view_if_needed()
        # the player has read the manifest (reported below when it has not, within 10 s)
        twin.evaluate("root => root.dataset.ready || new Promise(done => { setTimeout(done, 1e4);"
                      " new MutationObserver(() => root.dataset.ready && done())"
                      ".observe(root, {attributes: true}); })")
        if twin.get_attribute("data-ready") != "true":
            problems.append(f"twin {k + 1}: the player did not read its manifest")
            continue
        state = twin.evaluate(GRID_TWIN_JS)
        manifest = state["manifest"]
        label = f"twin of the {manifest['explorer']} explorer"
        counts = [len(c["values"]) for c in manifest["controls"]]
        if [c["value"] for c in state["controls"]] != manifest["start"]:
            problems.append(f"{label}: its controls do not start at the manifest's start")
        if len(state["controls"]) != len(counts):
            problems.append(f"{label}: {len(state['controls'])} controls on the page, "
                            f"{len(counts)} in its manifest")
            continue
        if not state["loaded"]:
            problems.append(f"{label}: its first picture did not load")
        for j, (control, meta) in enumerate(zip(state["controls"], manifest["controls"],
                                                strict=True)):
            if control["label"] != meta["label"]:
                problems.append(f"{label}: control {j + 1} is labelled {control['label']!r}, "
                                f"not {meta['label']!r} as in the live explorer")
            if control["height"] < 44:
                problems.append(f"{label}: the {meta['label']} control is "
                                f"{control['height']:.0f} px tall (a finger needs 44)")
            before = state
            at = [c["value"] for c in before["controls"]]
            up = at[j] + 1 < counts[j]
            twin.locator(f"#{control['id']}").focus()
            page.keyboard.press("ArrowRight" if control["tag"] == "INPUT" and up else
                                "ArrowLeft" if control["tag"] == "INPUT" else
                                "ArrowDown" if up else "ArrowUp")
            page.wait_for_timeout(50)
            state = twin.evaluate(GRID_TWIN_JS)
            at[j] += 1 if up else -1
            frame = 0
            for i, n in zip(at, counts, strict=True):
                frame = frame * n + i
            now = state["controls"][j]
            if [c["value"] for c in state["controls"]] != at:
                problems.append(f"{label}: the arrow key did not move {meta['label']} "
                                f"by one value")
                continue
            if not now["focused"] or now["outline"] == "none":
                problems.append(f"{label}: the focused {meta['label']} control shows no focus")
            expected = "/" + manifest["frames"][frame]
            if (state["frame"] != frame or not state["src"].endswith(expected)
                    or not state["loaded"] or state["src"] == before["src"]):
                problems.append(f"{label}: moving {meta['label']} shows {state['src']} "
                                f"(loaded: {state['loaded']}), expected picture {frame}")
            if state["alt"] != manifest["alts"][frame]:
                problems.append(f"{label}: moving {meta['label']} left the picture's text as "
                                f"{state['alt'][:60]!r}")
            if now["shown"] is not None and now["shown"] != meta["values"][at[j]]:
                problems.append(f"{label}: {meta['label']} shows {now['shown']!r}, "
                                f"not {meta['values'][at[j]]!r}")
    return problems


def launch_problems(page, chapter: str, base: str, context) -> list[str]:
    """Binder, Colab and .ipynb download point at this notebook in the configured repository."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    config = book_config()
    repo = config["repository"]
    launch = config.get("launch_buttons", {})
    org_repo = repo["url"].rstrip("/").removeprefix("https://github.com/")
    branch = repo.get("branch", "main")
    path = str(pathlib.PurePosixPath(repo.get("path_to_book") or ".") / f"{chapter}.ipynb")
    ui = "lab/tree" if launch.get("notebook_interface", "classic") == "jupyterlab" else "tree"
    expected = {
        "Binder": f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{branch}"
        f"?urlpath={ui}/{path}",
        "Colab": f"{launch['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{path}",
    }
    problems = []
    if not (ROOT / path).is_file():
        problems.append(f"launch buttons would open {path}, which is not in the repository")
    page.locator(".dropdown-launch-buttons button.dropdown-toggle").click()
    for label, url in expected.items():
        link = page.locator(".dropdown-launch-buttons a", has_text=label).first
        try:
            link.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            problems.append(f"no visible '{label}' button in the launch menu")
            continue
        if link.get_attribute("href") != url:
            problems.append(f"'{label}' points at {link.get_attribute('href')}, not {url}")
    page.keyboard.press("Escape")
    page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
    download = page.locator(".dropdown-download-buttons a.btn-download-source-button").first
    try:
        download.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeout:
        return [*problems, "no visible '.ipynb' download button"]
    href = urllib.parse.urljoin(page.url, download.get_attribute("href"))
    if href != f"{base}_sources/{chapter}.ipynb":
        problems.append(f"the .ipynb download points at {href}")
    response = context.request.get(href)
    try:
        notebook = json.loads(response.body())
        assert notebook["nbformat"] == 4 and notebook["cells"]
    except (ValueError, KeyError, AssertionError):
        problems.append(f"the .ipynb download ({href}, HTTP {response.status}) is not a notebook")
    return problems


# --------------------------------------------------------------------------------------------
# The page tests: every page of _toc.yml, once per viewport.


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_on_a_laptop_in_light_mode(visit, built_book, page):
    """The page as a reader first sees it on a laptop: its weight (an empty cache, so this is
    a first visit), what it loads and shows, and on a chapter every twin, figure and block."""
    with visit(page, {**DESKTOP, "color_scheme": "light"}, "desktop-light") as v:
        requested: list[str] = []
        v.page.on("requestfinished", lambda request: requested.append(request.url))
        weight: dict[str, int] = {}
        facts = v.open(lambda: weight.update(first_visit(v.page, v.base, built_book, requested)))
        problems = weight_problems(weight, page, built_book)
        problems += load_problems(facts, page, "light") + contrast_problems(v.page)
        problems += equation_problems(v.page)
        if page in CHAPTERS:
            if facts["math"] == 0:
                problems.append("no rendered math (mjx-container) on a chapter page")
            if facts["twins"] == 0:
                problems.append("no twin (.dlb-grid-twin) on a chapter page")
            problems += grid_twin_problems(v.page)
            problems += live_note_problems(v.page)
            problems += launch_problems(v.page, page, v.base, v.context)
            problems += figure_problems(v.page, page)
            problems += code_problems(v.page)
        v.finish(problems)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_on_a_laptop_in_dark_mode(visit, page):
    with visit(page, {**DESKTOP, "color_scheme": "dark"}, "desktop-dark") as v:
        facts = v.open()
        problems = load_problems(facts, page, "dark") + contrast_problems(v.page)
        problems += [
            f"figure with a transparent background (its dark ink vanishes in dark mode): {src}"
            for src in v.page.evaluate(TRANSPARENT_FIGURES_JS)
        ]
        problems += v.page.evaluate(DARK_JS)
        v.finish(problems)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_on_a_phone(visit, page):
    with visit(page, {**PHONE, "color_scheme": "light"}, "phone") as v:
        facts = v.open()
        problems = load_problems(facts, page, "light") + equation_problems(v.page)
        layout = v.page.evaluate(LAYOUT_JS)
        left, right = layout["column"]
        if layout["pageWidth"] > PHONE_WIDTH:
            problems.append(f"the page scrolls sideways: {layout['pageWidth']} px wide")
        if right - left < 0.8 * PHONE_WIDTH:
            problems.append(f"the text column is only {right - left} px wide")
        if layout["nSticking"]:
            problems.append(
                f"{layout['nSticking']} elements stick out of the text column "
                f"(x={left}..{right}): " + "; ".join(layout["sticking"])
            )
        problems += [
            f"a figure or control wider than the text column (x={left}..{right}), so the "
            f"reader scrolls it sideways: {where}"
            for where in layout["unfit"]
        ]
        if layout["fontSize"] is not None and layout["fontSize"] < 14:
            problems.append(f"body text is {layout['fontSize']} px")
        v.finish(problems)


# The widest figure of the book (four panels): on a phone it is shown at a fraction of its size.
FULL_SIZE_CHAPTER = "notebooks/07_regularization"

LIGHTBOX_JS = """
() => {
  const dialog = document.querySelector("dialog.dlb-lightbox");
  if (!dialog) return null;
  const img = dialog.querySelector("img");
  return {open: dialog.open, width: img.getBoundingClientRect().width,
          pixels: img.naturalWidth, focus: document.activeElement.className};
}
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["laptop", "phone"])
def test_a_figure_opens_at_full_size_and_closes_with_escape(visit, where):
    """A click (a tap on a phone) on a figure opens it in a dialog at its natural size; Esc
    closes it and gives the focus back to the figure, where Enter opens it again
    (book/_static/lightbox.js)."""
    options = DESKTOP if where == "laptop" else PHONE
    with visit(FULL_SIZE_CHAPTER, {**options, "color_scheme": "light"}, f"full-{where}") as v:
        v.open()
        problems = []
        figure = v.page.locator("article.bd-article figure img").first
        figure.scroll_into_view_if_needed()
        natural = figure.evaluate("img => parseFloat(img.style.width)")
        shown = figure.bounding_box()["width"]
        if where == "phone":
            figure.tap()
        else:
            figure.click()
        v.page.wait_for_timeout(200)
        state = v.page.evaluate(LIGHTBOX_JS)
        if not state or not state["open"]:
            problems.append("a click on the figure opened no full-size view")
        else:
            if abs(state["width"] - natural) > 1:
                problems.append(f"the full-size view shows the figure {state['width']:.0f} px "
                                f"wide, not its natural {natural:.0f} px (page: {shown:.0f})")
            if state["pixels"] < 1.9 * natural:
                problems.append(f"the full-size view has {state['pixels']} px for {natural} px")
            v.page.keyboard.press("Escape")
            v.page.wait_for_timeout(100)
            state = v.page.evaluate(LIGHTBOX_JS)
            if state["open"]:
                problems.append("Esc did not close the full-size view")
            elif where == "laptop":
                v.page.keyboard.press("Enter")  # the focus is back on the figure
                v.page.wait_for_timeout(100)
                if not v.page.evaluate(LIGHTBOX_JS)["open"]:
                    problems.append("Enter on the focused figure did not open it again")
        v.finish(problems)


# --------------------------------------------------------------------------------------------
# Page weight: what a reader's first visit transfers.

# Budgets (issue "The website reads like the best online textbooks…"): a first visit of any page
# transfers at most this much with gzip, and a chapter's HTML alone at most that much. The
# measured table is in benchmarks/README.md ("The website's page weight").
FIRST_VISIT_BUDGET = 900_000
CHAPTER_HTML_BUDGET = 250_000
# What a server compresses (the others are compressed already: PNG, WebP, woff, woff2).
GZIPPED = {".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".map", ".inv"}

SETTLED_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
}
"""


def transferred(path: pathlib.Path) -> int:
    """The bytes a gzip-serving web server sends for a file of the site."""
    import gzip

    data = path.read_bytes()
    return len(gzip.compress(data, 6)) if path.suffix in GZIPPED else len(data)


def first_visit(page, base: str, site_dir: pathlib.Path, requested: list[str]) -> dict[str, int]:
    """Wait until a page opened in a fresh context has settled (MathJax done, fonts in, the
    network idle); return every same-origin file it fetched (``requested``: the URLs of its
    finished requests), with its size sent with gzip."""
    page.evaluate(SETTLED_JS)
    page.wait_for_load_state("networkidle")
    files = {}
    for address in requested:
        if not address.startswith(base):
            continue
        path = urllib.parse.unquote(urllib.parse.urlsplit(address).path.lstrip("/"))
        if (site_dir / path).is_file():
            files[path] = transferred(site_dir / path)
    return files


def weight_problems(files: dict[str, int], page: str, site_dir: pathlib.Path) -> list[str]:
    """A reader's first visit of a page (a laptop's screen, an empty cache) transfers at most
    FIRST_VISIT_BUDGET with gzip; a chapter's HTML at most CHAPTER_HTML_BUDGET: its twins'
    pictures are files fetched as the twin nears the screen (book/_ext/twin_frames.py)."""
    total, html = sum(files.values()), transferred(site_dir / f"{page}.html")
    largest = sorted(files.items(), key=lambda item: -item[1])[:8]
    listing = ", ".join(f"{name} {size / 1000:.0f} kB" for name, size in largest)
    problems = []
    if total > FIRST_VISIT_BUDGET:
        problems.append(f"the first visit transfers {total / 1000:.0f} kB with gzip "
                        f"(budget {FIRST_VISIT_BUDGET / 1000:.0f} kB); largest: {listing}")
    if page in CHAPTERS and html > CHAPTER_HTML_BUDGET:
        problems.append(f"the chapter's HTML is {html / 1000:.0f} kB gzipped "
                        f"(budget {CHAPTER_HTML_BUDGET / 1000:.0f} kB)")
    if "scripts/fontawesome.js" in " ".join(files):
        problems.append("Font Awesome's script is loaded beside its webfonts")
    if "searchindex.js" in files:
        problems.append("the search index is loaded before the reader searches")
    return problems


# --------------------------------------------------------------------------------------------
# Search, the home page, links and the palette.


@pytest.mark.slow
@pytest.mark.parametrize(("chapter", "word"), search_cases())
def test_search_finds_each_chapter_offline(visit, chapter, word):
    """Type a word of the chapter's title into the search box, as a reader would."""
    assert word, f"{chapter}: its source has no '# Title' line to take a search word from"
    with visit(PAGES[0], {**DESKTOP, "color_scheme": "light"}, f"search-{word}") as v:
        v.open()
        page = v.page
        page.locator(".search-button__button:visible").first.click()
        box = page.locator("#pst-search-dialog input[name=q]")
        box.fill(word)
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search\.html\?"))
        page.wait_for_function(
            "() => /Search finished|did not match/.test("
            "document.querySelector('#search-results')?.innerText || '')"
        )
        hrefs = page.locator("#search-results ul.search li > a").evaluate_all(
            "links => links.map(a => a.href)"
        )
        found = [urllib.parse.urlsplit(h).path.lstrip("/") for h in hrefs]
        problems = []
        if f"{chapter}.html" not in found:
            problems.append(f"searching {word!r} does not list {chapter}.html; it lists {found}")
        v.finish(problems)


# A topic a reader looks up, and the chapter that teaches it: its sections come first, above the
# API reference and every other chapter (book/_static/search.js; only glossary entries may come
# before them).
TOPICS = {
    "neuron": "notebooks/01_neurons",
    "activation function": "notebooks/02_activations",
    "cross-entropy": "notebooks/03_loss_vs_cost",
    "backpropagation": "notebooks/04_backpropagation",
    "learning rate": "notebooks/05_gradient_descent",
    "vanishing gradient": "notebooks/06_vanishing_gradients",
    "dropout": "notebooks/07_regularization",
    "confusion matrix": "notebooks/08_putting_it_together",
}
# What a snippet must not show: TeX from the page's source, the page's download menu.
SNIPPET_NOISE = ("\\(", "\\[", "\\frac", "\\mathbf", "$$", ".pdf")

SEARCH_RESULTS_JS = """
() => [...document.querySelectorAll('#search-results ul.search > li')].map(li => {
  const link = li.querySelector('a'), snippet = li.querySelector('p.context');
  return {href: link.href, title: link.innerText, snippet: snippet ? snippet.innerText : null};
})"""


@pytest.mark.slow
@pytest.mark.parametrize(("query", "chapter"), TOPICS.items(), ids=list(TOPICS))
def test_search_ranks_the_chapter_that_teaches_a_topic_first(visit, site, query, chapter):
    with visit(PAGES[0], {**DESKTOP, "color_scheme": "light"}, f"search-{query}") as v:
        page = v.page
        page.goto(site + "search.html?q=" + urllib.parse.quote(query))
        page.wait_for_function(
            "() => /Search finished|did not match/.test("
            "document.querySelector('#search-results')?.innerText || '')"
        )
        # Each result's snippet is fetched after the list shows (API entries have none).
        page.wait_for_function(
            "() => [...document.querySelectorAll('#search-results ul.search > li')]"
            ".every(li => li.querySelector('span, p.context'))"
        )
        results = page.evaluate(SEARCH_RESULTS_JS)
        found = [urllib.parse.urlsplit(r["href"]).path.lstrip("/") for r in results]
        listing = "\n      ".join(
            f"{path}: {r['title']}" for path, r in zip(found[:8], results[:8], strict=True))
        problems = []
        if f"{chapter}.html" not in found:
            problems.append(f"searching {query!r} does not list {chapter}.html")
        else:
            first = found.index(f"{chapter}.html")
            above = [p for p in found[:first] if p != "book/glossary.html"]
            if above:
                problems.append(f"searching {query!r} lists {above} above {chapter}.html:"
                                f"\n      {listing}")
        for path, result in zip(found, results, strict=True):
            noise = [n for n in SNIPPET_NOISE if n in (result["snippet"] or "")]
            if noise:
                problems.append(f"the snippet of {path} shows {noise}: {result['snippet']!r}")
        v.finish(problems)


@pytest.mark.slow
def test_home_page_opens_the_introduction(visit, site):
    with visit(PAGES[0], DESKTOP, "index") as v:
        v.page.goto(site + "index.html")
        v.page.wait_for_url(site + f"{PAGES[0]}.html")
        v.page.locator("article.bd-article h1").first.wait_for(state="visible")
        v.finish([])


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "link", "img", "script", "area", "iframe"):
                self.links.append(attrs[key])


@pytest.mark.slow
def test_every_internal_link_and_anchor_resolves(built_book):
    """Each internal href or src of the built pages names a file that exists, and each
    #anchor names an id in it (cross-references are also checked by the nitpicky build)."""
    pages = [
        p
        for p in built_book.rglob("*.html")
        if p.relative_to(built_book).parts[0] not in ("_static", "_sources", "_images")
    ]
    parsed: dict[pathlib.Path, _Links] = {}

    def parse(path: pathlib.Path) -> _Links:
        if path not in parsed:
            parsed[path] = _Links()
            parsed[path].feed(path.read_text(encoding="utf-8"))
        return parsed[path]

    broken = []
    for source in pages:
        for link in parse(source).links:
            url = urllib.parse.urlsplit(link)
            if url.scheme or url.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            target = (
                (source.parent / urllib.parse.unquote(url.path)).resolve() if url.path else source
            )
            if target.is_dir():
                target = target / "index.html"
            where = f"{source.relative_to(built_book)}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no such file)")
            elif url.fragment and target.suffix == ".html":
                if urllib.parse.unquote(url.fragment) not in parse(target).ids:
                    broken.append(f"{where} (no such anchor in {target.name})")
    assert pages, "the build produced no pages"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def test_plots_use_the_okabe_ito_palette():
    from dlbasics.plotting import CLASS_COLORS, PALETTE

    assert {c.upper() for c in PALETTE.values()} == OKABE_ITO
    assert CLASS_COLORS, "CLASS_COLORS is empty"
    assert {c.upper() for c in CLASS_COLORS} <= OKABE_ITO
    assert len(set(CLASS_COLORS)) == len(CLASS_COLORS), "two classes share a colour"
