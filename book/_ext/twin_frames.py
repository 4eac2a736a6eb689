"""The website's twins: in place of each explorer's saved animation, every combination of up
to three of its controls, as picture files loaded on demand.

A twin, as the notebooks save it (``dlbasics.plotting.scrubbable_html``, matplotlib's
``HTMLWriter``), is self-contained: one setting swept, every frame a base64 PNG inside a script,
so JupyterLab shows it with no server (the ``singlehtml`` build, printed to the PDF, keeps it
too). On the website, after the ``html`` build (``build-finished``), this extension replaces
the output of every notebook cell tagged ``twin-<slug>`` (``twin-neuron``,
``twin-learning-rate``: the explorer's name in :func:`dlbasics.widgets.twin_grid.slug`) with
the twin its ``ExplorerSpec`` declares as a ``grid``:

- every picture is rendered by :func:`dlbasics.widgets.twin_grid.build_grids` (cached under
  ``.cache/twins/`` beside the book, keyed by the package's code, so a second build reuses the
  pictures) and copied to ``_twins/<slug>-<key>/`` with its manifest (format below);
- the page holds the first picture as a lazy ``<img>`` with its size, so the twin is never
  blank when seen, and a labelled menu or slider per control;
- ``book/_static/twins.js`` reads the manifest when the twin nears the screen and shows the
  picture of each new combination, fetching the neighbours of the one shown ahead.

A saved animation left outside a tagged cell would keep its frames inline: the build warns
(an error with ``-W``).

Manifest (``"format": "dlb-twin/1"``, written by :mod:`dlbasics.widgets.twin_grid`)::

    {"format": "dlb-twin/1", "key": "...", "explorer": "neuron", "chapter": 1,
     "alt": "what every picture shows, for screen readers",
     "size": [width, height],            # CSS pixels of every picture (drawn at pixel_ratio)
     "pixel_ratio": 2, "dpi": 100, "smallest_font_pt": 9.7,
     "controls": [{"name": "gate", "label": "gate", "kind": "select",
                   "values": ["and", "or", "nand", "xor"]}, ...],
     "start": [0, 3, 2],                 # the value index of each control shown first
     "frames": ["f000.png", "f001.png", ...],
     "alts": ["each picture's text: what it shows, its settings, the explorer's note", ...]}

``frames`` lists one file per combination of the controls' values, row-major: the last control
varies fastest (:func:`dlbasics.widgets.twin_grid.frame_index`).
"""

from __future__ import annotations

import html
import json
import pathlib
import re
import shutil
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

FOLDER = "_twins"
PLAYER_JS = "twins.js"  # book/_static/twins.js
# The script that makes one saved animation (matplotlib's HTMLWriter).
_MAKER = "Instantiate the Animation class"


_TAGGED = re.compile(r'<div class="cell [^"]*\btag_twin-([a-z0-9-]+)\b[^"]*">')
_OUTPUT_START = '<div class="cell_output docutils container">'


def _grid_markup(manifest: dict[str, Any], url: str) -> str:
    """A twin with several controls: its first picture and a labelled control for each
    setting, played by ``twins.js``."""
    slug_ = html.escape(f"twin-{manifest['explorer']}".replace(" ", "-"))
    from dlbasics.widgets.twin_grid import frame_index

    counts = [len(c["values"]) for c in manifest["controls"]]
    first = frame_index(counts, manifest["start"])
    width, height = manifest["size"]
    rows = []
    for k, (control, at) in enumerate(zip(manifest["controls"], manifest["start"], strict=True)):
        cid = f"{slug_}-{html.escape(control['name'])}"
        label = f'<label for="{cid}">{html.escape(control["label"])}</label>'
        values = control["values"]
        if control["kind"] == "select":
            options = "".join(
                f'<option value="{i}"{" selected" if i == at else ""}>{html.escape(v)}</option>'
                for i, v in enumerate(values))
            field = f'<select id="{cid}" data-control="{k}">{options}</select>'
        else:
            field = (f'<span class="dlb-twin-range"><span class="dlb-twin-end" aria-hidden="true">'
                     f'{html.escape(values[0])}</span><input type="range" id="{cid}" '
                     f'data-control="{k}" data-values="{html.escape(json.dumps(values))}" '
                     f'min="0" max="{len(values) - 1}" step="1" '
                     f'value="{at}" aria-valuetext="{html.escape(values[at])}">'
                     f'<span class="dlb-twin-end" aria-hidden="true">{html.escape(values[-1])}'
                     f'</span></span><output for="{cid}">{html.escape(values[at])}</output>')
        rows.append(f'<div class="dlb-twin-row">{label}{field}</div>')
    frames = len(manifest["frames"])
    names = ", ".join(c["label"] for c in manifest["controls"])
    return (
        f'<figure class="dlb-grid-twin" data-dlb-grid-twin="{url}/manifest.json" '
        f'data-counts="{",".join(map(str, counts))}">\n'
        f'<img src="{url}/{manifest["frames"][first]}" width="{width}" height="{height}" '
        f'alt="{html.escape(manifest["alts"][first])}" loading="lazy" decoding="async" '
        f'data-text-pt="{manifest["smallest_font_pt"]}" data-dpi="{manifest["dpi"]}">\n'
        f'<div class="dlb-twin-controls" role="group" aria-label="Settings">{"".join(rows)}'
        '</div>\n'
        f'<figcaption class="dlb-twin-caption">Precomputed, no Python needed: {frames} '
        f'pictures, one for every combination of {html.escape(names)}. The live explorer '
        'below has every control.</figcaption>\n</figure>\n')


def _replace_grid_twins(page: str, manifests: dict[str, tuple[dict[str, Any], str]],
                        prefix: str) -> tuple[str, list[str], list[str]]:
    """``page`` with the output of each cell tagged ``twin-<slug>`` replaced by the grid twin
    of that explorer; returns the page, the slugs placed and a problem per tag not placed."""
    placed, problems = [], []
    for match in reversed(list(_TAGGED.finditer(page))):
        slug_ = match.group(1)
        if slug_ not in manifests:
            problems.append(f"a cell tagged twin-{slug_}, but no explorer with that name "
                            f"declares a twin grid (known: {', '.join(sorted(manifests))})")
            continue
        start = page.find(_OUTPUT_START, match.end())
        end = page.find("</script>", page.find(_MAKER, start))
        nxt = _TAGGED.search(page, match.end())
        if start < 0 or end < 0 or (nxt and nxt.start() < end):
            problems.append(f"the cell tagged twin-{slug_} has no saved animation to replace")
            continue
        end += len("</script>")
        manifest, folder = manifests[slug_]
        markup = _grid_markup(manifest, f"{prefix}{FOLDER}/{folder}")
        # page[end:] closes the output's two divs, as it did the animation's
        page = (page[:start] + _OUTPUT_START + '\n<div class="output text_html">' + markup
                + page[end:])
        placed.append(slug_)
    return page, placed, problems


def _grid_twins(app, outdir: pathlib.Path) -> dict[str, tuple[dict[str, Any], str]]:
    """Build (or reuse) the grid of every explorer that declares one and that a page's cell
    asks for; copy them into the site. Returns slug → (manifest, folder under _twins)."""
    wanted = set()
    for path in _pages(outdir):
        wanted.update(_TAGGED.findall(path.read_text(encoding="utf-8")))
    if not wanted:
        return {}
    from dlbasics.widgets.registry import EXPLORERS
    from dlbasics.widgets.twin_grid import build_grids

    cache = pathlib.Path(app.srcdir) / ".cache" / "twins"
    specs = [spec for spec in EXPLORERS.values()
             if spec.grid is not None and spec.slug in wanted]
    manifests = build_grids([(spec, cache / spec.slug) for spec in specs])
    out = {}
    for spec, manifest in zip(specs, manifests, strict=True):
        folder = f"{spec.slug}-{manifest['key']}"
        target = outdir / FOLDER / folder
        if not target.is_dir():
            shutil.copytree(cache / spec.slug, target)
        out[spec.slug] = (manifest, folder)
    logger.info(f"static twins: {len(out)} twins with several controls, "
                f"{sum(len(m['frames']) for m, _ in out.values())} pictures")
    return out


def _pages(outdir: pathlib.Path):
    for path in sorted(outdir.rglob("*.html")):
        if path.relative_to(outdir).parts[0] not in ("_static", "_sources", "_images", FOLDER):
            yield path


def _extract(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    outdir = pathlib.Path(app.outdir)
    grids = _grid_twins(app, outdir)
    for path in _pages(outdir):
        page = path.read_text(encoding="utf-8")
        if _MAKER not in page:
            continue  # no twin, or rewritten by an earlier build
        depth = len(path.relative_to(outdir).parts) - 1
        prefix = "../" * depth
        page, placed, problems = _replace_grid_twins(page, grids, prefix)
        if _MAKER in page:
            problems.append("a saved animation outside a cell tagged twin-<slug> keeps its "
                            "frames inline: tag its cell with the explorer's twin")
        if placed:  # the player, on the pages that have twins
            player = f'<script defer src="{prefix}_static/{PLAYER_JS}"></script>\n'
            page = page.replace("</head>", player + "</head>", 1)
        for problem in problems:
            logger.warning(f"{path.relative_to(outdir)}: {problem}")
        path.write_text(page, encoding="utf-8")


def setup(app) -> dict[str, Any]:
    # Before light_pages.py marks the remaining images lazy (priority 500).
    app.connect("build-finished", _extract, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
