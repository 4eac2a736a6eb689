"""The website's twins with several controls: every combination of up to three of an explorer's
controls, precomputed as one picture each.

An explorer module declares which controls its website twin offers with a :class:`TwinGrid` in
its :class:`~dlbasics.widgets._spec.ExplorerSpec` (``grid=TwinGrid({"gate": ..., "b": ...})``).
The book's build (``book/_ext/twin_frames.py``) calls :func:`build_grid` for the twin cells it
finds (a notebook cell tagged ``twin-<slug>``) and writes what it returns to the site: one
2× PNG per combination, the last control varying fastest, and a manifest in the
``"dlb-twin/1"`` format that ``book/_static/twins.js`` plays. The pictures come from the
explorer's own ``compute`` and view, so the twin shows exactly what the live explorer would.

Rendering is cached (:func:`cache_key`: a hash of the grid and of the package's source code),
so a second build of the book reuses the pictures and a changed explorer gets new ones.
"""

from __future__ import annotations

import ast
import hashlib
import html
import io
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.text import Text

from ..plotting import new_figure, smallest_font_pt

#: The manifest's format (``book/_static/twins.js`` reads it).
FORMAT = "dlb-twin/1"
#: Most controls one twin offers, and most pictures it may hold.
MAX_CONTROLS = 3
MAX_FRAMES = 400
#: Screen pixels per CSS pixel of a twin's pictures (sharp on high-density screens).
PIXEL_RATIO = 2
#: Width in CSS pixels of the book's text column at 1280 px, where a twin is shown at most this
#: wide; and the smallest text it may show there.
COLUMN_PX = 660
SMALLEST_TEXT_PX = 9.0
#: Bumped when the pictures change for a reason the package's source does not show.
_VERSION = "4"


@dataclass(frozen=True)
class TwinGrid:
    """The controls an explorer's website twin offers, and the values each can take.

    Parameters
    ----------
    controls : mapping
        Up to three of the explorer's control names, in the order shown, each with the values
        the twin offers (each must be a value the live control accepts).
    fixed : mapping
        Settings held while the twin's controls move (the others keep the live explorer's
        starting values).
    start : mapping
        The value each control shows first (by default the live explorer's starting value,
        or the first value when that is not on the grid).
    figsize, dpi
        The figure's size in inches (as the live explorer's) and CSS pixels per inch: 100,
        so that the views' 7-point labels show at 9.7 CSS pixels.
    alt : str
        What every picture shows, for screen readers; each picture's text adds the settings
        and the explorer's note under the figure.
    result : callable, optional
        ``result(**settings)`` when the picture is not ``compute(**settings)`` (an explorer
        that trains in chunks, say).
    """

    controls: Mapping[str, Sequence[Any]]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    start: Mapping[str, Any] = field(default_factory=dict)
    figsize: tuple[float, float] = (6.4, 4.0)
    dpi: float = 100
    alt: str = ""
    result: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.controls) <= MAX_CONTROLS:
            raise ValueError(f"a twin offers one to {MAX_CONTROLS} controls, got "
                             f"{len(self.controls)}: {list(self.controls)}")
        empty = [name for name, values in self.controls.items() if len(values) == 0]
        if empty:
            raise ValueError(f"twin controls {empty} have no values")
        if self.frames > MAX_FRAMES:
            raise ValueError(f"a twin of {self.frames} pictures is too heavy for the website "
                             f"(at most {MAX_FRAMES}): offer fewer values")
        shared = set(self.controls) & set(self.fixed)
        if shared:
            raise ValueError(f"{sorted(shared)} are both twin controls and fixed settings")

    @property
    def frames(self) -> int:
        """How many pictures the twin holds (the product of the controls' value counts)."""
        return math.prod(len(values) for values in self.controls.values())

    def combinations(self) -> list[dict[str, Any]]:
        """The twin's settings, one dict per picture, the last control varying fastest."""
        names = list(self.controls)
        return [dict(zip(names, values, strict=True))
                for values in product(*self.controls.values())]


def slug(name: str) -> str:
    """An explorer's name as it appears in a cell tag (``"learning rate"`` → ``learning-rate``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _label(value: Any, options: Any = None) -> str:
    """How a value is shown: its option's label when the control has labelled options."""
    for option in options or ():
        if isinstance(option, tuple) and len(option) == 2 and option[1] == value:
            return str(option[0])
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (isinstance(a, float) and isinstance(b, float)
                                and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
    except (TypeError, ValueError):
        return False


def describe(spec: Any) -> dict[str, Any]:
    """The twin's controls as the live explorer shows them (labels, value labels, kind) and
    the settings of every picture; raises if a twin control is not one of the explorer's."""
    grid: TwinGrid = spec.grid
    live = spec.factory()
    unknown = sorted(set(grid.controls) - set(live.controls))
    if unknown:
        raise ValueError(f"{spec.label}: twin controls {unknown} are not controls of the live "
                         f"explorer, whose controls are {sorted(live.controls)}")
    values = {**live.values(), **grid.fixed}
    controls, start = [], []
    for name, offered in grid.controls.items():
        control = live.controls[name]
        options = getattr(control, "options", None)
        kind = "select" if type(control).__name__ in ("Dropdown", "ToggleButtons") else "slider"
        wanted = grid.start.get(name, values[name])
        first = next((i for i, v in enumerate(offered) if _same(v, wanted)), 0)
        label = (getattr(control, "description", "") or name).rstrip(":")
        controls.append({"name": name, "label": label, "kind": kind,
                         "values": [_label(v, options) for v in offered]})
        start.append(first)
    settings = [{**values, **combo} for combo in grid.combinations()]
    return {"controls": controls, "start": start, "settings": settings}


def cache_key(spec: Any) -> str:
    """A hash of everything a twin's pictures depend on: its grid, figure and the code of the
    whole package (so a changed function anywhere gives new pictures; a changed docstring or
    comment does not)."""
    text = f"{_VERSION}|{spec.name}|{spec.grid!r}|{_package_code()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@cache
def _package_code() -> str:
    """A hash of the code of every module of the package (read once per process)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + _code(path).encode())
    return digest.hexdigest()


def _code(path: Path) -> str:
    """A module's code without its docstrings and comments (the dump of its syntax tree)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _text(note: Any) -> str:
    """The explorer's note as plain text (no markup, no TeX dollars)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(note or ""))).replace("$", "")
    return re.sub(r"\s+", " ", text).strip()


@cache
def _registered(name: str) -> tuple[Any, dict[str, Any]]:
    from .registry import EXPLORERS

    spec = EXPLORERS[name]
    return spec, describe(spec)


Picture = tuple[int, bytes, str, float]


def _render(name: str, indices: list[int],
            given: tuple[Any, dict[str, Any]] | None = None) -> list[Picture]:
    """Pictures ``indices`` of explorer ``name``'s twin (or of ``given``, its spec and
    :func:`describe`, in this process): (index, PNG, its text, its smallest font size in
    points)."""
    spec, described = _registered(name) if given is None else given
    grid: TwinGrid = spec.grid
    compute = grid.result or spec.compute
    fig = new_figure(*grid.figsize, dpi=grid.dpi * PIXEL_RATIO)
    view = spec.view(fig)
    out = []
    for index in indices:
        settings = described["settings"][index]
        result = compute(**settings)
        view.update(result)
        _legible(fig, grid)
        png = _png(fig)
        shown = ", ".join(
            f"{c['label']} = {c['values'][i]}"
            for c, i in zip(described["controls"], _position(grid, index), strict=True))
        note = _text(getattr(result, "message", ""))
        text = f"{grid.alt} Settings: {shown}." + (f" {note}" if note else "")
        out.append((index, png, text.strip(), smallest_font_pt(fig)))
    return out


def _legible(fig: Any, grid: TwinGrid) -> None:
    """Raise every text of ``fig`` smaller than what shows at ``SMALLEST_TEXT_PX`` in the
    book's column to that size (a figure wider than the column is shown shrunk)."""
    shown_ppi = min(grid.dpi, COLUMN_PX / grid.figsize[0])
    floor = math.ceil(SMALLEST_TEXT_PX * 72 / shown_ppi * 10) / 10
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < floor:
            text.set_fontsize(floor)
    for ax in fig.axes:  # tick labels are made as the figure is drawn: set their size ahead
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels(which="both")
            if labels and min(label.get_fontsize() for label in labels) < floor:
                axis.set_tick_params(which="both", labelsize=floor)


def _png(fig: Any) -> bytes:
    """The figure as a PNG of at most 256 colours (a plot has few besides the anti-aliased
    edges): an eighth of the bytes of the full-colour picture, and quick to make (octree
    palette, no dithering, zlib level 6)."""
    from PIL import Image

    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    image = Image.fromarray(np.ascontiguousarray(rgb)).quantize(
        256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="png", compress_level=6)
    return out.getvalue()


def frame_index(counts: Sequence[int], at: Sequence[int]) -> int:
    """The picture of value indices ``at`` among controls with ``counts`` values each
    (row-major: the last control varies fastest)."""
    index = 0
    for i, n in zip(at, counts, strict=True):
        index = index * n + i
    return index


def _position(grid: TwinGrid, index: int) -> list[int]:
    """The value index of each control of picture ``index`` (the last control fastest)."""
    out = []
    for values in reversed(list(grid.controls.values())):
        index, i = divmod(index, len(values))
        out.append(i)
    return out[::-1]


def build_grid(spec: Any, folder: Path, *, workers: int | None = None) -> dict[str, Any]:
    """Write the pictures and the manifest of ``spec``'s twin into ``folder`` (reusing them
    when ``folder`` holds the same key's manifest); returns the manifest."""
    return build_grids([(spec, folder)], workers=workers)[0]


def build_grids(jobs: Sequence[tuple[Any, Path]], *, workers: int | None = None,
                chunk: int = 12) -> list[dict[str, Any]]:
    """:func:`build_grid` for several twins at once, their pictures shared among ``workers``
    processes (by default one per CPU)."""
    manifests: list[dict[str, Any] | None] = []
    tasks: list[tuple[str, list[int]]] = []
    pending: dict[str, tuple[Any, Path, dict[str, Any]]] = {}
    for spec, folder in jobs:
        folder = Path(folder)
        key = cache_key(spec)
        path = folder / "manifest.json"
        if path.is_file():
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if manifest.get("key") == key and all((folder / f).is_file()
                                                  for f in manifest["frames"]):
                manifests.append(manifest)
                continue
        described = describe(spec)
        manifests.append(None)
        pending[spec.name] = (spec, folder, {"key": key, **described})
        n = spec.grid.frames
        tasks += [(spec.name, list(range(i, min(n, i + chunk)))) for i in range(0, n, chunk)]
    results: dict[str, dict[int, tuple[bytes, str, float]]] = {name: {} for name in pending}
    if tasks:
        from .registry import EXPLORERS

        workers = workers or os.cpu_count() or 1
        registered = all(EXPLORERS.get(name) is spec for name, (spec, _, _) in pending.items())
        done: list[list[Picture]]
        if workers == 1 or len(tasks) == 1 or not registered:  # other processes see the registry
            done = [_render(name, indices, (pending[name][0], pending[name][2]))
                    for name, indices in tasks]
        else:
            with ProcessPoolExecutor(workers) as pool:
                done = list(pool.map(_render, *zip(*tasks, strict=True)))
        for (name, _), pictures in zip(tasks, done, strict=True):
            for index, png, text, font in pictures:
                results[name][index] = (png, text, font)
    built = iter(pending.values())
    for k, manifest in enumerate(manifests):
        if manifest is not None:
            continue
        spec, folder, info = next(built)
        folder.mkdir(parents=True, exist_ok=True)
        names: list[str] = []
        alts: list[str] = []
        fonts: list[float] = []
        for index in range(spec.grid.frames):
            png, text, font = results[spec.name][index]
            names.append(f"f{index:03d}.png")
            alts.append(text)
            fonts.append(font)
            (folder / names[-1]).write_bytes(png)
        width, height = (round(x * spec.grid.dpi) for x in spec.grid.figsize)
        manifests[k] = {
            "format": FORMAT, "key": info["key"], "explorer": spec.name,
            "chapter": spec.chapter, "alt": spec.grid.alt, "size": [width, height],
            "pixel_ratio": PIXEL_RATIO, "dpi": spec.grid.dpi, "smallest_font_pt": min(fonts),
            "controls": info["controls"], "start": info["start"],
            "frames": names, "alts": alts,
        }
        (folder / "manifest.json").write_text(json.dumps(manifests[k], indent=1),
                                              encoding="utf-8")
    return [m for m in manifests if m is not None]
