"""Figures for the course: a colour-blind-safe palette and scrubbable animations.

Core modules never import this one; widgets and notebooks do. Figures are plain
:class:`matplotlib.figure.Figure` objects (not pyplot), so an explorer can redraw its own
figure without it also appearing in the notebook.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import tempfile
import zlib
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import numpy as np
from matplotlib.animation import HTMLWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MultipleLocator

#: The Okabe–Ito palette: distinguishable with every common form of colour blindness.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Colours for class 0, 1, 2, … in scatter plots.
CLASS_COLORS: tuple[str, ...] = (
    PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"], PALETTE["sky"],
)

#: One colour per optimizer, the same in every chapter-5 figure.
OPTIMIZER_COLORS: dict[str, str] = {"sgd": PALETTE["blue"], "momentum": PALETTE["orange"],
                                    "rmsprop": PALETTE["green"], "adam": PALETTE["purple"]}

#: A diverging map from class-0 blue through white to class-1 orange, for output surfaces.
SURFACE_CMAP = LinearSegmentedColormap.from_list(
    "dlbasics_surface", [PALETTE["blue"], "#FFFFFF", PALETTE["orange"]]
)


# to_jshtml draws its buttons with Font Awesome icons fetched from a CDN, which show as blank
# buttons offline. These plain characters replace them (each button keeps its aria-label).
_ICONS = {
    "fa-minus": "\u2212",  # − slower
    "fa-fast-backward": "\u21e4",  # ⇤ first frame
    "fa-step-backward": "\u2039",  # ‹ previous frame
    "fa-play fa-flip-horizontal": "\u25c0",  # ◀ play backwards
    "fa-pause": "\u275a\u275a",  # ❚❚ pause
    "fa-play": "\u25b6",  # ▶ play
    "fa-step-forward": "\u203a",  # › next frame
    "fa-fast-forward": "\u21e5",  # ⇥ last frame
    "fa-plus": "+",  # faster
}
_ICON = re.compile(r'<i class="fa ([a-z\- ]+)"></i>')
_CDN_LINK = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*"\s*/?>')
_FRAME_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)">')
_FIRST_FRAME = re.compile(r'frames\[0\] = "(data:image/png;base64,[A-Za-z0-9+/=\\\s]*)"')
# to_jshtml fixes the slider at 374 px and shows frames at their natural size: on a phone the
# figure and the last buttons spilled out of the text column. Let them shrink to fit it.
_FIT_CSS = (
    "<style>.animation { max-width: 100%; } .animation img { max-width: 100%; height: auto; }"
    " input[type=range].anim-slider { max-width: 100%; }</style>\n"
)


def _offline_html(html: str, alt: str) -> str:
    """Remove the CDN stylesheet from a ``to_jshtml`` page, draw its icons as characters, give
    the frame its alt text and the first frame as its source, and let it shrink to fit a
    narrow screen."""
    html = _CDN_LINK.sub("", html)
    # The first frame is also the image's source, so the twin shows a picture where its
    # script does not run (an untrusted notebook in JupyterLab, a printed page).
    first = _FIRST_FRAME.search(html)
    src = f' src="{re.sub(r"[^A-Za-z0-9+/=:;,a-z]", "", first.group(1))}"' if first else ""
    html = _FRAME_IMG.sub(
        lambda m: f'<img id="{m.group(1)}" alt="{escape(alt, quote=True)}"{src}>', html)
    html = _FIT_CSS + html
    return _ICON.sub(lambda m: f'<span aria-hidden="true">{_ICONS.get(m.group(1), "?")}</span>',
                     html)


def new_figure(width: float = 6.4, height: float = 4.0, dpi: float = 80) -> Figure:
    """A figure with its own Agg canvas, detached from pyplot (nothing is shown by itself)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def smallest_font_pt(fig: Figure) -> float:
    """The size in points of the smallest visible text of ``fig`` (tick labels, legends,
    annotations, titles); 0 when it has none."""
    sizes = [float(t.get_fontsize()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=0.0)


def palette_png(png: bytes) -> bytes:
    """The same opaque picture in at most 256 colours, as a PNG a third the size.

    A plot has few colours besides the anti-aliased edges of its lines and letters, so the
    median-cut palette (no dithering) changes a pixel by 0.2 of 255 on average and the picture
    looks the same. A picture with transparency, or one that would not get smaller, is kept.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if "A" in image.getbands() and np.asarray(image.getchannel("A")).min() < 255:
        return png
    small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                          dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def _book_png(fig: Figure) -> tuple[str, dict[str, Any]] | None:
    """A notebook figure as a 2× PNG (base64) and its metadata: the size to show it at in CSS
    pixels (half its pixels) and what the book's legibility test needs (dpi, smallest text)."""
    from IPython.core.pylabtools import retina_figure

    result = retina_figure(fig, base64=False, bbox_inches="tight")
    if result is None:  # an empty figure
        return None
    png, metadata = result
    metadata["dlbasics"] = {"dpi": float(fig.dpi), "smallest_font_pt": smallest_font_pt(fig)}
    return base64.b64encode(palette_png(png)).decode("ascii"), metadata


def sharp_figures() -> None:
    """Show the notebook's figures at twice their resolution: sharp on high-density screens
    and in the book's full-size view, at the same size on the page. Their colours go into a
    palette (:func:`palette_png`), so a 2× figure weighs less than the 1× one did.

    Like ``%config InlineBackend.figure_formats = ["retina"]``; the output's metadata also
    records each figure's dpi and smallest font size, from which ``tests/test_site.py``
    checks that the book shows every figure's text at a legible size. Outside IPython it does
    nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None:
        return
    if "inline" in mpl.get_backend():
        # Importing the inline backend configures its own figure formats: do it first, or it
        # would replace this one when the first figure is drawn.
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(Figure, _book_png)


def png_bytes(pixels: np.ndarray) -> bytes:
    """An RGBA image, shape ``(height, width, 4)``, as PNG bytes, encoded for speed.

    No row filters and zlib's fastest level: a plot's flat areas compress well as they are,
    and this takes a third of the time of Pillow's adaptive filtering, at a similar size.
    """
    height, width, _ = pixels.shape
    rows = np.empty((height, 4 * width + 1), np.uint8)
    rows[:, 0] = 0  # filter type "none" for every row
    rows[:, 1:] = pixels.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


def figure_png(fig: Figure, *, draw: bool = True) -> bytes:
    """Render ``fig`` to PNG bytes (what an explorer shows after each update).

    The canvas is encoded directly (:func:`png_bytes`): several times faster than
    ``savefig``, which lays the figure out and draws it twice. With ``draw=False`` the canvas
    is encoded as it is (after an explorer has blitted its changing artists onto it).
    """
    if draw:
        fig.canvas.draw()
    canvas = cast(FigureCanvasAgg, fig.canvas)  # the course draws with Agg (new_figure)
    return png_bytes(np.asarray(canvas.buffer_rgba()))


def scrubbable_html(
    fig: Figure,
    update: Callable[[int], Any],
    n_frames: int,
    *,
    interval_ms: int = 400,
    alt: str = "An animation; the slider and the buttons below it step through its frames.",
) -> str:
    """A self-contained HTML animation with a slider and play buttons (as ``Animation.to_jshtml``).

    ``update(i)`` redraws ``fig`` for frame ``i``. The frames are embedded as PNG images and the
    buttons' icons are plain characters, so the result plays in a static web page with no
    Python kernel and no network. ``alt`` describes the frames for screen readers; the
    animation shrinks to fit a phone's screen.
    """
    if n_frames < 1:
        raise ValueError(f"an animation needs at least one frame, got {n_frames}")
    # matplotlib's HTMLWriter (what Animation.to_jshtml uses), fed one frame at a time: each
    # frame is drawn once, with the layout fixed after the first, instead of the three draws
    # per frame of FuncAnimation.
    update(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")
    with tempfile.TemporaryDirectory() as tmp, mpl.rc_context({"animation.embed_limit": 40.0}):
        path = Path(tmp) / "animation.html"
        # matplotlib's type stub says int, but the writer takes any frame rate: 1200 ms is 0.83
        writer = HTMLWriter(fps=1000 / interval_ms,  # type: ignore[arg-type]
                            embed_frames=True, default_mode="once")
        with writer.saving(fig, str(path), dpi=fig.dpi):
            for i in range(n_frames):
                update(i)
                writer.grab_frame()
        html = path.read_text()
    return _offline_html(html, alt)


def draw_points(ax: Any, X: Any, y: Any, *, size: float = 110) -> None:
    """Scatter 2-D points coloured and shaped by class (circle, square, triangle, …)."""
    X, y = np.asarray(X), np.asarray(y).ravel()
    for k in np.unique(y):
        ax.scatter(*X[y == k].T, s=size, color=CLASS_COLORS[int(k) % len(CLASS_COLORS)],
                   marker="os^Dv"[int(k) % 5], edgecolor="black", linewidth=1.2, zorder=3,
                   label=f"class {k}")


def draw_line(
    ax: Any, w: Any, b: float, *, label: str | None = None, style: str = "-",
    limits: tuple[float, float] = (-0.5, 1.5),
) -> None:
    """Draw the line :math:`w_1 x_1 + w_2 x_2 + b = 0` across ``limits`` on both axes."""
    w1, w2 = (float(v) for v in np.ravel(w))
    xs = np.array(limits, dtype=float)
    if w2 != 0.0:
        ax.plot(xs, -(w1 * xs + b) / w2, style, color=PALETTE["black"], lw=2, label=label)
    elif w1 != 0.0:
        ax.plot([-b / w1] * 2, xs, style, color=PALETTE["black"], lw=2, label=label)
    ax.set(xlim=limits, ylim=limits)
    half_ticks(ax)


def half_ticks(ax: Any) -> None:
    """Ticks every 0.5 on both axes: the default quarter steps of a small square plot run
    their labels together ("−0.50−0.25")."""
    ax.xaxis.set_major_locator(MultipleLocator(0.5))
    ax.yaxis.set_major_locator(MultipleLocator(0.5))


class SourceListing:
    """The source of one function or method, shown as a highlighted Python block.

    A Markdown output (a fenced ``python`` block), so JupyterLab, Colab and the book all
    highlight it; anywhere else, and for nbval, it is the plain source text. Made by
    :func:`source_listing`.
    """

    def __init__(self, obj: Callable[..., Any]) -> None:
        import inspect
        import textwrap

        self.name = getattr(obj, "__qualname__", repr(obj))
        try:
            self.code = textwrap.dedent(inspect.getsource(obj)).rstrip()
        except (OSError, TypeError) as error:
            raise TypeError(f"source_listing needs a function or method written in Python, "
                            f"with its source file; {self.name} has none ({error})") from None

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.code}\n```"

    def __repr__(self) -> str:
        return self.code


def source_listing(obj: Callable[..., Any]) -> SourceListing:
    """The package's own code for ``obj``, to show in a chapter:
    ``source_listing(Dense.backward)`` as the last line of a cell. The listing is read from the
    installed package when the cell runs, so it is always the code that runs."""
    return SourceListing(obj)
