"""Light pages: a reader's first visit loads what the page shows and little else.

After the ``html`` build (``build-finished``) each page's HTML is trimmed:

- **One icon mechanism.** pydata-sphinx-theme draws Font Awesome icons twice over: its
  stylesheet has Font Awesome's CSS and webfonts (which its own icons, such as the admonitions'
  and the theme switch's, need), and ``scripts/fontawesome.js`` (about 540 kB gzipped) swaps
  every ``<i class="fa-…">`` for an SVG. The script goes; the webfonts draw every icon.
- **The search index when searching.** The theme loads ``searchindex.js`` (with Sphinx's
  ``searchtools.js`` and ``language_data.js``) on every page for a search-as-you-type that this
  book does not use (``search_as_you_type`` is off): the search box sends the reader to
  ``search.html``, which loads them itself. Other pages no longer do;
  ``book/_static/search.js`` prefetches the index as soon as the search box is opened.
- **Figures when near the screen.** Every image of the page (not the logo) is
  ``loading="lazy"``: the browser fetches it shortly before it scrolls into view.

MathJax is light by configuration (``_config.yml``: the component loader with only the TeX
extensions the book uses; Sphinx adds it only to pages with maths) and static twins load their
frames as files (``book/_ext/twin_frames.py``). ``tests/test_site.py`` measures each page's
first visit and ``benchmarks/README.md`` records it. The ``singlehtml`` build, printed to the
PDF, is left as it is.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

_FONTAWESOME = re.compile(
    r'\s*(?:<!-- So that users can add custom icons -->\s*)?'
    r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
_SEARCH = re.compile(
    r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)">'
    r"</script>")
_IMG = re.compile(r"<img (?![^>]*\bloading=)(?![^>]*\blogo__image)")


def lighten(html: str, *, search_page: bool = False) -> str:
    """One page's HTML without Font Awesome's script, the search index (except on the search
    page) and with its images loaded lazily."""
    html = _FONTAWESOME.sub("", html)
    if not search_page:
        html = _SEARCH.sub("", html)
    head, sep, body = html.partition("<body")
    return head + sep + _IMG.sub('<img loading="lazy" ', body)


def _lighten_site(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    outdir = pathlib.Path(app.outdir)
    for path in sorted(outdir.rglob("*.html")):
        relative = path.relative_to(outdir)
        if relative.parts[0] in ("_static", "_sources", "_images"):
            continue
        html = path.read_text(encoding="utf-8")
        new = lighten(html, search_page=relative.as_posix() == "search.html")
        if new != html:
            path.write_text(new, encoding="utf-8")


def setup(app) -> dict[str, Any]:
    app.connect("build-finished", _lighten_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
