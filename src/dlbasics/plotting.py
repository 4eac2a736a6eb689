"""Figures for the course: a colour-blind-safe palette and scrubbable animations.

Core modules never import this one; widgets and notebooks do. Figures are plain
:class:`matplotlib.figure.Figure` objects (not pyplot), so an explorer can redraw its own
figure without it also appearing in the notebook.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import matplotlib as mpl
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

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


def _offline_html(html: str) -> str:
    """Remove the CDN stylesheet from a ``to_jshtml`` page and draw its icons as characters."""
    html = _CDN_LINK.sub("", html)
    return _ICON.sub(lambda m: f'<span aria-hidden="true">{_ICONS.get(m.group(1), "?")}</span>',
                     html)


def new_figure(width: float = 6.4, height: float = 4.0, dpi: int = 80) -> Figure:
    """A figure with its own Agg canvas, detached from pyplot (nothing is shown by itself)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (what an explorer shows after each update)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def scrubbable_html(
    fig: Figure,
    update: Callable[[int], Any],
    n_frames: int,
    *,
    interval_ms: int = 400,
) -> str:
    """A self-contained HTML animation with a slider and play buttons (matplotlib's ``to_jshtml``).

    ``update(i)`` redraws ``fig`` for frame ``i``. The frames are embedded as PNG images and the
    buttons' icons are plain characters, so the result plays in a static web page with no
    Python kernel and no network.
    """
    if n_frames < 1:
        raise ValueError(f"an animation needs at least one frame, got {n_frames}")
    with mpl.rc_context({"animation.embed_limit": 40.0}):
        anim = FuncAnimation(fig, update, frames=n_frames, interval=interval_ms, blit=False)
        html = anim.to_jshtml(default_mode="once")
    return _offline_html(html)


