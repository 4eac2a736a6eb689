"""The explorer pattern shared by every chapter.

An explorer joins three things that can each be tested alone:

* ``compute(**settings) -> result``: a pure function of the control values (no drawing);
* a *view*: an object that builds its axes once from a figure, and whose ``update(result)``
  redraws them (reusing the artists, which keeps an update fast);
* the controls: ipywidgets whose values are the settings.

The same compute function and view produce the **static twin** for the book: a sweep of one
setting rendered as a scrubbable animation that plays with no kernel and no network.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

import ipywidgets as widgets
from IPython.display import HTML

from ..plotting import figure_png, new_figure, scrubbable_html
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

#: Explorers draw their pictures with this many pixels per screen pixel, so they stay sharp on
#: high-density ("retina", 2×) screens; the picture is shown at its natural size, ``figsize``
#: times ``dpi`` screen pixels.
PIXEL_RATIO = 2

#: Track length of a main slider, in pixels: a few pixels per step, so a drag is precise.
TRACK_PX = 260
#: A label's width per character (JupyterLab's 13 px sans-serif), to fit the longest label.
LABEL_PX_PER_CHAR = 7.5
READOUT_PX = 100  # the number beside a slider, with its margins
SIDE_CONTROL_PX = 200  # a side control after its label: a menu, or a short slider

#: The line under every explorer's controls.
CONTROLS_HINT = ("Drag a slider, or click it and step with the ← → arrow keys; click a "
                 "slider's number to type a value.")


def label_width(controls: Iterable[widgets.Widget]) -> int:
    """Pixels that fit the longest description of ``controls`` (at least ipywidgets' 80)."""
    longest = max((len(getattr(c, "description", "") or "") for c in controls), default=0)
    return max(80, round(longest * LABEL_PX_PER_CHAR) + 12)


def is_slider(control: widgets.Widget) -> bool:
    return isinstance(control, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider,
                                widgets.SelectionSlider))


def arrange_controls(controls: Sequence[widgets.Widget],
                     side: Sequence[widgets.Widget] | None = None,
                     foot: Sequence[widgets.Widget] = ()) -> widgets.Widget:
    """The controls in two columns: the main sliders on the left, each with a ``TRACK_PX``
    track, and the ``side`` controls (by default every control that is not a slider) on the
    right, with ``foot`` (buttons) at the foot of the right-hand column. Every label is as wide
    as the longest, so none is cut off. Returns the box, with ``CONTROLS_HINT`` under it."""
    controls = list(controls)
    if side is None:
        side = [c for c in controls if not is_slider(c)]
    side_ids = {id(c) for c in side}
    main = [c for c in controls if id(c) not in side_ids]
    side = [c for c in controls if id(c) in side_ids]
    for column, wide in ((main, True), (side, False)):
        label = label_width(column)
        for control in column:
            if not hasattr(control, "description"):  # a labelled block of its own
                continue
            control.style.description_width = f"{label}px"
            if wide:
                control.layout.width = f"{label + TRACK_PX + READOUT_PX}px"
            elif is_slider(control) or isinstance(control, (widgets.Dropdown, widgets.Text)):
                control.layout.width = f"{label + SIDE_CONTROL_PX}px"
    columns = [widgets.VBox(column, layout=widgets.Layout(margin="0 16px 0 0"))
               for column in (main, [*side, *foot]) if column]
    hint = widgets.HTML(f'<span style="color:var(--jp-ui-font-color2, #555);font-size:0.9em">'
                        f"{CONTROLS_HINT}</span>")
    return widgets.VBox([widgets.HBox(columns, layout=widgets.Layout(flex_flow="row wrap")),
                         hint])


def picture(figsize: tuple[float, float], dpi: int) -> widgets.Image:
    """An empty PNG image widget shown at ``figsize`` × ``dpi`` screen pixels (its bitmap is
    drawn at ``PIXEL_RATIO`` times that), shrinking with a narrow notebook."""
    width = round(figsize[0] * dpi)
    return widgets.Image(format="png", layout=widgets.Layout(
        width=f"{width}px", max_width="100%", height="auto", object_fit="contain"))


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


@dataclass(frozen=True)
class Action:
    """A button of an explorer: what it does, and how it looks.

    ``run(explorer)`` is called when the button is pressed (and by ``Explorer.press``)."""

    run: Callable[[Any], Any]
    icon: str = ""
    tooltip: str = ""


class ChunkedRun(Protocol):
    """Training that an explorer advances a chunk at a time (its *run*).

    ``settings()``
        the extra keywords ``compute`` gets, e.g. ``{"epochs": 90}``;
    ``restart(values)``
        called when a control changes: start the run of the new settings (or resume one kept
        in the cache);
    ``advance(result)``
        one more chunk after ``result``; False when there is nothing more to train.
    """

    def settings(self) -> dict[str, Any]: ...

    def restart(self, values: dict[str, Any]) -> None: ...

    def advance(self, result: Any) -> bool: ...


class ControlPanel:
    """What every explorer shares, whatever drives it: named controls, a figure redrawn by
    blitting into a PNG picture, controls greyed out where they do nothing, and the display
    (the widget, or the note to run the cell). :class:`Explorer` and the playground
    (:class:`~dlbasics.widgets.playground.Playground`) are control panels."""

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
        enable every other."""
        off = set(names)
        for name, control in self.controls.items():
            if control.disabled != (name in off):
                control.disabled = name in off

    def _picture(self, key: Any = None) -> bytes:
        """PNG of the figure; with dynamic artists, only they are drawn on the background saved
        for the static ``key``."""
        if not self._dynamic:
            return figure_png(self.figure)
        return blit_png(self.figure, self._dynamic, self._backgrounds, key, self._kept)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return live_bundle(self.widget._repr_mimebundle_(**kwargs), self.title)


class Explorer(ControlPanel):
    """Controls wired to a pure ``compute`` function and a reusable view.

    Parameters
    ----------
    title : str
        Shown above the controls.
    controls : dict of str to ipywidgets widget
        Keyword name for ``compute`` → the widget whose ``value`` is passed.
    compute : callable
        ``compute(**values) -> result``; must not draw and must not raise for any value the
        controls allow (it reports problems in its result instead).
    make_view : callable
        ``make_view(figure) -> view`` with ``view.update(result)``.
    figsize : (float, float)
        Figure size in inches; shown at ``dpi`` screen pixels per inch (drawn at
        ``PIXEL_RATIO`` times as many, so it stays sharp on high-density screens).
    side : sequence of str, optional
        The controls shown in the right-hand column; by default every control that is not a
        slider (menus, toggles). The others are the main sliders, on the left, with long
        tracks.
    cache : object, optional
        What ``compute`` keeps between updates (fitted networks, paths, runs), kept as
        ``explorer.cache`` for tests and benchmarks to inspect.
    actions : dict of str to Action, optional
        Buttons by label, at the foot of the right-hand column; ``explorer.buttons`` holds
        them and ``explorer.press(label)`` does what a click does.
    inactive : callable, optional
        ``inactive(values) -> names``: the controls that do nothing for these settings (the
        momentum of plain SGD); they are greyed out after every update.
    run : ChunkedRun, optional
        Training that advances a chunk at a time: ``compute`` gets ``run.settings()`` too,
        a changed control calls ``run.restart(values)``, and :meth:`advance` trains chunks,
        redrawing after each.

    Attributes
    ----------
    result
        The latest output of ``compute``; tests read it.
    cache
        The ``cache`` given, or None.
    figure : matplotlib.figure.Figure
        The explorer's own figure, reused across updates.
    image : ipywidgets.Image
        The rendered figure (PNG) shown in the notebook.
    panel : ipywidgets.VBox
        The controls in their columns, with the hint under them (``arrange_controls``).
    """

    def __init__(
        self,
        title: str,
        controls: Mapping[str, widgets.ValueWidget],
        compute: Callable[..., Any],
        make_view: Callable[[Any], View],
        *,
        figsize: tuple[float, float] = (6.4, 4.0),
        dpi: int = 80,
        side: Sequence[str] | None = None,
        cache: Any = None,
        actions: Mapping[str, Action] | None = None,
        inactive: Callable[[dict[str, Any]], Iterable[str]] | None = None,
        run: ChunkedRun | None = None,
    ) -> None:
        self.title = title
        self.cache = cache
        self.run = run
        self.controls = dict(controls)
        self._compute = compute
        self._inactive = inactive
        self._changed = False
        figure = new_figure(*figsize, dpi=dpi * PIXEL_RATIO)
        self._drawing(figure, make_view(figure))
        self.image = picture(figsize, dpi)
        self.message = widgets.HTML()
        self.result: Any = None
        self._holding = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.actions = dict(actions or {})
        self.buttons = {label: self._button(label, action)
                        for label, action in self.actions.items()}
        self.panel = arrange_controls(
            list(self.controls.values()),
            None if side is None else [self.controls[name] for name in side],
            foot=list(self.buttons.values()))
        self.widget = widgets.VBox(
            [widgets.HTML(f"<b>{title}</b>"), self.panel, self.image, self.message]
        )
        self.update()

    # -- state -------------------------------------------------------------------------
    @contextmanager
    def hold(self) -> Iterator[Explorer]:
        """Change several controls and update once at the end."""
        self._holding = True
        try:
            yield self
        finally:
            self._holding = False
        self._settings_changed()

    def set(self, **values: Any) -> Any:
        """Set controls by name (as a learner would move them) and return the new result."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"{self.title}: no control named {sorted(unknown)}; "
                f"the controls are {sorted(self.controls)}"
            )
        with self.hold():
            for name, value in values.items():
                self.controls[name].value = value
        return self.result

    # -- drawing -----------------------------------------------------------------------
    def _on_change(self, _change: Any) -> None:
        self._changed = True
        if not self._holding:
            self._settings_changed()

    def _settings_changed(self) -> None:
        """A control moved: restart the run (if the explorer has one) and update."""
        if self._changed and self.run is not None:
            self.run.restart(self.values())
        self._changed = False
        self.update()

    def update(self) -> None:
        """Recompute, redraw the reused figure and show it."""
        extra = self.run.settings() if self.run is not None else {}
        self.result = self._compute(**self.values(), **extra)
        self.view.update(self.result)
        self.image.value = self._render()
        note = getattr(self.result, "message", "") or ""
        self.message.value = f"<span>{note}</span>"
        if self._inactive is not None:
            self.grey_out(self._inactive(self.values()))

    # -- actions and runs ----------------------------------------------------------------
    def _button(self, label: str, action: Action) -> widgets.Button:
        button = widgets.Button(description=label, icon=action.icon, tooltip=action.tooltip)
        button.on_click(lambda _button: self.press(label))
        return button

    def press(self, label: str) -> Any:
        """Do what the button ``label`` does (as a click would); returns what it returns."""
        if label not in self.actions:
            raise ValueError(f"{self.title}: no button {label!r}; the buttons are "
                             f"{sorted(self.actions)}")
        return self.actions[label].run(self)

    def advance(self, chunks: int = 1) -> Any:
        """Train ``chunks`` more chunks of the run, redrawing after each; stops early when the
        run has nothing more to train. Returns the latest result."""
        if self.run is None:
            raise ValueError(f"{self.title}: this explorer has no run to advance")
        for _ in range(int(chunks)):
            if not self.run.advance(self.result):
                break
            self.update()
        return self.result

    def _render(self) -> bytes:
        """PNG of the figure; with dynamic artists, only they are drawn on the saved background."""
        key_of = getattr(self.view, "static_key", None)
        return self._picture(key_of(self.result) if key_of is not None else None)

    # -- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"<{self.title} explorer: {settings}>"


def static_twin(
    compute: Callable[..., Any],
    make_view: Callable[[Any], View],
    sweep: str,
    values: Sequence[Any] | Iterable[Any],
    *,
    figsize: tuple[float, float] = (6.4, 4.0),
    dpi: int = 80,
    interval_ms: int = 500,
    alt: str | None = None,
    **fixed: Any,
) -> HTML:
    """The book's stand-in for an explorer: ``compute`` swept over one setting, as a scrubbable
    animation (slider, play and step buttons) that works on a static page with no kernel.

    Parameters
    ----------
    compute, make_view
        The explorer's own compute function and view, so the twin shows exactly what the
        live explorer would.
    sweep : str
        The keyword of ``compute`` to vary.
    values : sequence
        The values it takes, one frame each.
    alt : str, optional
        What the frames show, for screen readers; by default the swept setting and its range.
    **fixed
        The other keywords of ``compute``, held constant.
    """
    values = list(values)
    results = [compute(**{**fixed, sweep: v}) for v in values]
    fig = new_figure(*figsize, dpi=dpi)
    view = make_view(fig)
    if alt is None:
        alt = (f"Animation, {len(values)} frames: the figure as {sweep} goes from {values[0]} to "
               f"{values[-1]}. The slider and the buttons below it step through the frames.")
    return HTML(scrubbable_html(fig, lambda i: view.update(results[i]), len(results),
                                interval_ms=interval_ms, alt=alt))
