"""Static twins on the website load their frames as separate image files, when they come into
view, instead of carrying every frame inside the page.

A twin, as the notebooks save it (``dlbasics.plotting.scrubbable_html``, matplotlib's
``HTMLWriter``), is self-contained: every frame is a base64 PNG inside a script, so JupyterLab
shows it with no server. On the website that made a chapter's HTML up to 2 MB gzipped. After
the ``html`` build (``build-finished``) this extension rewrites every page's twins:

- each frame becomes a file ``_twins/<key>/f000.png``, ``f001.png``… (``key``: a hash of the
  twin's frames, so a changed twin gets a new folder and no reader sees a stale mix), with a
  manifest ``_twins/<key>/manifest.json`` (format below);
- the frame ``<img>`` shows the first frame straight from the HTML, ``loading="lazy"`` with its
  size, so the twin is never blank when seen and takes its place before it loads;
- matplotlib's inline player and frames go; ``book/_static/twins.js`` drives the same buttons,
  slider and repetition mode (same markup, same accessible names, same global object that the
  buttons call): it reads the manifest when the twin comes near the screen (an
  IntersectionObserver) and prefetches the neighbours of the frame shown as the reader moves.

Manifest (``"format": "dlb-twin/1"``), ready for twins that vary several controls at once::

    {"format": "dlb-twin/1",
     "alt": "what the frames show, for screen readers",
     "interval_ms": 500,
     "size": [width, height],            # pixels of every frame
     "controls": [{"name": "frame", "label": "Frame", "kind": "slider",
                   "values": [0, 1, ..., 12]}],
     "start": [0],                       # the value index of each control shown first
     "frames": ["f000.png", "f001.png", ...]}

``frames`` lists one file per combination of the controls' values, row-major: the last control
varies fastest, so the frame of value indices ``(i_1, …, i_k)`` is
``sum(i_j * prod(len(values) of the controls after j))``. The notebooks' saved twins sweep one
setting and their HTML does not say which, so they have one control, ``frame``, whose values
are the frame numbers; the twins with several controls (below) name theirs, and add
``"alts"``, one text per picture. The notebooks keep their self-contained twins (JupyterLab
has no server for these files); the ``singlehtml`` build, printed to the PDF, keeps them
inline too.

**Twins with several controls.** A notebook cell tagged ``twin-<slug>`` (``twin-neuron``,
``twin-learning-rate``: the explorer's name in :func:`dlbasics.widgets.twin_grid.slug`) holds
the twin of an explorer whose ``ExplorerSpec`` declares a ``grid``. On the website its saved
animation is replaced by that grid: every combination of up to three of the explorer's
controls, rendered by :func:`dlbasics.widgets.twin_grid.build_grids` (cached under
``.cache/twins/`` beside the book, keyed by the package's source, so a second build reuses the
pictures), copied to ``_twins/<slug>-<key>/`` with their manifest, and offered on the page as
labelled menus and sliders that ``twins.js`` wires to the pictures.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import pathlib
import re
import shutil
import struct
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

FOLDER = "_twins"
FORMAT = "dlb-twin/1"
PLAYER_JS = "twins.js"  # book/_static/twins.js

# matplotlib's Animation class, written before each twin (the same text every time).
_PLAYER = re.compile(
    r'<script language="javascript">\s*function isInternetExplorer\(\).*?</script>\s*', re.S)
# The script that makes one twin: its element ids, every frame, the interval.
_MAKER = re.compile(
    r'<script language="javascript">\s*/\* Instantiate the Animation class\. \*/.*?</script>',
    re.S)
_IMG_ID = re.compile(r'var img_id = "(_anim_img[0-9a-f]+)";')
_COUNT = re.compile(r"var frames = new Array\((\d+)\);")
_FRAME = re.compile(r'frames\[(\d+)\] = "data:image/(png|jpeg|webp);base64,([A-Za-z0-9+/=\\\s]*)"')
_START = re.compile(r"(anim[0-9a-f]+) = new Animation\(frames, img_id, slider_id, ([0-9.]+),")
_EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}


def _size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG (None for other formats)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _twin(maker: str) -> dict[str, Any] | None:
    """Everything one twin's script holds, or None when it is not a twin we can read."""
    img_id, count, start = _IMG_ID.search(maker), _COUNT.search(maker), _START.search(maker)
    if not (img_id and count and start):
        return None
    frames: dict[int, tuple[str, bytes]] = {}
    for match in _FRAME.finditer(maker):
        text = re.sub(r"[\\\s]", "", match.group(3))
        frames[int(match.group(1))] = (match.group(2), base64.b64decode(text))
    n = int(count.group(1))
    if sorted(frames) != list(range(n)) or n < 1:
        return None
    return {"img_id": img_id.group(1), "name": start.group(1),
            "interval": float(start.group(2)), "frames": [frames[k] for k in range(n)]}


def rewrite_page(page: str, root: pathlib.Path, prefix: str) -> tuple[str, int, list[str]]:
    """The ``page``'s HTML with its twins loading their frames from files written under
    ``root/_twins`` (``prefix``: the path from the page to the site's root). Returns the new
    page, the number of twins rewritten and a problem for each twin that could not be read."""
    problems: list[str] = []
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal html_out, count
        twin = _twin(match.group(0))
        if twin is None:
            problems.append("a static twin whose frames could not be read (left inline)")
            return match.group(0)
        digest = hashlib.sha256()
        for kind, data in twin["frames"]:
            digest.update(kind.encode() + data)
        key = digest.hexdigest()[:16]
        folder = root / FOLDER / key
        folder.mkdir(parents=True, exist_ok=True)
        names = []
        for k, (kind, data) in enumerate(twin["frames"]):
            name = f"f{k:03d}.{_EXTENSIONS[kind]}"
            names.append(name)
            if not (folder / name).is_file():
                (folder / name).write_bytes(data)
        size = _size(twin["frames"][0][1])
        # the notebook's image shows the first frame inline (for JupyterLab): a file here
        img = re.search(rf'<img id="{twin["img_id"]}"( alt="[^"]*")?(?: src="data:[^"]*")?>',
                        html_out)
        alt = html.unescape(img.group(1)[6:-1]) if img and img.group(1) else ""
        manifest = {
            "format": FORMAT,
            "alt": alt,
            "interval_ms": twin["interval"],
            "size": list(size) if size else None,
            "controls": [{"name": "frame", "label": "Frame", "kind": "slider",
                          "values": list(range(len(names)))}],
            "start": [0],
            "frames": names,
        }
        text = json.dumps(manifest, separators=(",", ":"))
        (folder / "manifest.json").write_text(text, encoding="utf-8")
        if img:
            url = f"{prefix}{FOLDER}/{key}"
            dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
            tag = (f'<img id="{twin["img_id"]}"{img.group(1) or ""} src="{url}/{names[0]}"{dims}'
                   ' loading="lazy" decoding="async">')
            html_out = html_out.replace(img.group(0), tag, 1)
            html_out = html_out.replace(
                f'<div class="animation">\n  {tag}',
                f'<div class="animation" data-dlb-twin="{url}/manifest.json" '
                f'data-anim="{twin["name"]}" data-frames="{len(names)}" '
                f'data-interval="{twin["interval"]}">\n  {tag}', 1)
        count += 1
        return ""

    html_out = page
    # Each maker script comes after its twin's markup, so the markup is rewritten first.
    for match in list(_MAKER.finditer(page)):
        removed = replace(match)
        html_out = html_out.replace(match.group(0), removed, 1)
    if count:
        html_out = _PLAYER.sub("", html_out)
    return html_out, count, problems


_TAGGED = re.compile(r'<div class="cell [^"]*\btag_twin-([a-z0-9-]+)\b[^"]*">')
_OUTPUT_START = '<div class="cell_output docutils container">'


def _grid_markup(manifest: dict[str, Any], url: str) -> str:
    """A twin with several controls: its first picture and a labelled control for each
    setting, played by ``twins.js``."""
    slug_ = html.escape(f"twin-{manifest['explorer']}".replace(" ", "-"))
    counts = [len(c["values"]) for c in manifest["controls"]]
    first = 0
    for i, n in zip(manifest["start"], counts, strict=True):
        first = first * n + i
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
        end = page.find("</script>", page.find("Instantiate the Animation class", start))
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
    total = 0
    grids = _grid_twins(app, outdir)
    for path in _pages(outdir):
        page = path.read_text(encoding="utf-8")
        if "Instantiate the Animation class" not in page:
            continue  # no twin, or rewritten by an earlier build
        depth = len(path.relative_to(outdir).parts) - 1
        prefix = "../" * depth
        page, placed, problems = _replace_grid_twins(page, grids, prefix)
        new, count, more = rewrite_page(page, outdir, prefix)
        problems += more
        count += len(placed)
        if count:  # the player, on the pages that have twins
            player = f'<script defer src="{prefix}_static/{PLAYER_JS}"></script>\n'
            new = new.replace("</head>", player + "</head>", 1)
        for problem in problems:
            logger.warning(f"{path.relative_to(outdir)}: {problem}")
        path.write_text(new, encoding="utf-8")
        total += count
    if total:
        logger.info(f"static twins: frames of {total} twins written to {FOLDER}/")


def setup(app) -> dict[str, Any]:
    # Before light_pages.py marks the remaining images lazy (priority 500).
    app.connect("build-finished", _extract, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
