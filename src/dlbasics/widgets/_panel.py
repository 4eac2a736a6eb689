"""What every explorer shows, whatever drives it (:class:`ControlPanel`): named controls, a
figure redrawn by blitting into a PNG picture, controls greyed out where they do nothing, and
the display (the widget, or the note to run the cell)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Protocol

import ipywidgets as widgets

from ..plotting import figure_png
from ._cache import LRU

LIVE_NOTE = (
    "This is a live explorer: its controls run Python, so they respond in JupyterLab, "
    "Binder or Colab (open this chapter there with the rocket button). On the website, use "
    "its twin above instead: the same pictures, precomputed for a few of its settings."
)
RUN_NOTE = "Run this cell (Shift+Enter) to start the live explorer."


def live_bundle(widget_bundle: dict[str, Any], title: str) -> dict[str, Any]:
    """An explorer's display: the widget, and what shows where the widget cannot.

    A saved notebook keeps no widget state, so before its cell runs an explorer shows its
    ``text/html`` (an untrusted notebook in JupyterLab, Colab, the website): there a reader is
    asked to run the cell. The website's note (:data:`LIVE_NOTE`, which points at the static
    twin) sits beside it with the ``hidden`` attribute; the book's CSS
    (``book/_static/book.css``) shows it and hides the request to run the cell, which no
    notebook front end loads. ``text/plain`` (a terminal) says both.
    """
    bundle = dict(widget_bundle)
    bundle["text/html"] = (
        '<div class="dlb-live-note">'
        f'<p class="dlb-live-note-run"><strong>{escape(title)}</strong>: {RUN_NOTE}</p>'
        # hidden="hidden", not a bare hidden: JupyterLab's HTML sanitizer drops the bare one
        f'<p class="dlb-live-note-web" hidden="hidden"><strong>{escape(title)}</strong>. '
        f"{LIVE_NOTE}</p>"
        "</div>"
    )
    bundle["text/plain"] = f"{title}. {RUN_NOTE} {LIVE_NOTE}"
    return bundle

#: How many static backgrounds an explorer keeps (each is one RGBA copy of its figure).
MAX_BACKGROUNDS = 8


def blit_png(figure: Any, dynamic: Sequence[Any], backgrounds: OrderedDict[Any, Any], key: Any,
             kept: int = MAX_BACKGROUNDS) -> bytes:
    """PNG of ``figure`` drawn by blitting: the ``dynamic`` artists (set animated, so full draws
    leave them out) drawn on a saved background of everything else.

    ``backgrounds`` maps a static key to its saved background, the most recently used last; a
    key seen before needs no full draw, and beyond ``kept`` keys the least recently used goes
    (an :class:`~dlbasics.widgets._cache.LRU` over this dict).
    """
    canvas = figure.canvas

    def draw_background() -> Any:
        engine = figure.get_layout_engine()
        if not backgrounds and engine is not None:  # the layout engine runs once …
            engine.execute(figure)
            figure.set_layout_engine("none")  # … then the layout stays put
        canvas.draw()  # everything but the dynamic artists
        return canvas.copy_from_bbox(figure.bbox)

    saved = key in backgrounds
    background = LRU(kept, backgrounds).get_or_compute(key, draw_background)
    if saved:
        canvas.restore_region(background)
    for artist in dynamic:
        figure.draw_artist(artist)
    return figure_png(figure, draw=False)


class View(Protocol):
    """What an explorer draws with: axes built once, then redrawn for each result.

    A view may also offer, to make updates fast (*blitting*):

    ``dynamic_artists``
        the artists that change from one result to the next (lines, images, titles); the rest
        of the figure (axes, ticks, legends: most of the drawing time is text) is drawn once
        and reused;
    ``static_key(result)``
        a value that changes whenever the static part must be redrawn too (for example new
        axis limits or colour limits).
    """

    def update(self, result: Any) -> None:
        """Redraw the figure for ``result``."""


class ControlPanel:
    """What every explorer shows, whatever drives it: named controls, a figure redrawn by
    blitting into a PNG picture, controls greyed out where they do nothing, and the display
    (the widget, or the note to run the cell). :class:`Explorer` is one."""

    title: str
    controls: dict[str, widgets.ValueWidget]
    widget: widgets.Widget

    def _drawing(self, figure: Any, view: Any, kept: int = MAX_BACKGROUNDS) -> None:
        """Draw ``view`` on ``figure``: its ``dynamic_artists`` (if any) are left out of full
        draws and blitted onto one of ``kept`` saved backgrounds, one per static key."""
        self.figure, self.view = figure, view
        # The figure's static part for blitting, one per static key (a learner going back to
        # an earlier activation, say, reuses its background instead of drawing everything).
        self._backgrounds: OrderedDict[Any, Any] = OrderedDict()
        self._kept = kept
        self._dynamic = list(getattr(view, "dynamic_artists", ()))
        for artist in self._dynamic:
            artist.set_animated(True)  # left out of full draws; drawn on top of the background

    def values(self) -> dict[str, Any]:
        """The current value of every control, by keyword name."""
        return {name: control.value for name, control in self.controls.items()}

    def grey_out(self, names: Iterable[str]) -> None:
        """Grey out the controls ``names`` (they do nothing for the current settings) and
        enable every other. A greyed-out slider hides its number too, which would otherwise
        read as a setting in use (a "3" of classes on a 2-class data set)."""
        off = set(names)
        readouts: dict[str, bool] = self.__dict__.setdefault("_readouts", {})
        for name, control in self.controls.items():
            if control.disabled != (name in off):
                control.disabled = name in off
                if hasattr(control, "readout") and readouts.setdefault(name, control.readout):
                    control.readout = name not in off

    def _picture(self, key: Any = None) -> bytes:
        """PNG of the figure; with dynamic artists, only they are drawn on the background saved
        for the static ``key``."""
        if not self._dynamic:
            return figure_png(self.figure)
        return blit_png(self.figure, self._dynamic, self._backgrounds, key, self._kept)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return live_bundle(self.widget._repr_mimebundle_(**kwargs), self.title)
