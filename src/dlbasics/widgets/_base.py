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

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import ipywidgets as widgets
from IPython.display import HTML

from ..plotting import new_figure, scrubbable_html
from ._layout import (  # re-exported: the layout's names, as before
    CONTROLS_HINT,
    LABEL_PX_PER_CHAR,
    PIXEL_RATIO,
    READOUT_PX,
    SIDE_CONTROL_PX,
    TRACK_PX,
    Block,
    arrange_controls,
    arrange_groups,
    arrange_names,
    is_slider,
    label_width,
    picture,
)
from ._panel import (  # re-exported
    LIVE_NOTE,
    MAX_BACKGROUNDS,
    RUN_NOTE,
    ControlPanel,
    View,
    blit_png,
    live_bundle,
)

__all__ = [
    "CHUNKS_WITHOUT_LOOP", "CONTROLS_HINT", "LABEL_PX_PER_CHAR", "LIVE_NOTE", "MAX_BACKGROUNDS",
    "PIXEL_RATIO", "PLAY_PAUSE_S", "READOUT_PX", "RUN_NOTE", "SIDE_CONTROL_PX", "TRACK_PX",
    "Action", "Block", "ChunkedRun", "ControlPanel", "Explorer", "View", "arrange_controls",
    "arrange_groups", "arrange_names", "blit_png", "is_slider", "label_width", "live_bundle",
    "picture", "play_actions", "static_twin",
]

#: Play waits this long between chunks, so that clicks (Pause, a control) are handled.
PLAY_PAUSE_S = 0.02
#: Play with no running event loop (a plain script) trains this many chunks at once.
CHUNKS_WITHOUT_LOOP = 50


@dataclass(frozen=True)
class Action:
    """A button of an explorer: what it does, and how it looks.

    ``run(explorer)`` is called when the button is pressed (and by ``Explorer.press``).
    ``enabled(explorer)``, if given, greys the button out while it is False (checked after
    every update and when Play starts or stops); ``style`` is an ipywidgets ``button_style``
    (``"success"`` is green) and ``width`` a CSS width such as ``"100px"``."""

    run: Callable[[Any], Any]
    icon: str = ""
    tooltip: str = ""
    enabled: Callable[[Any], bool] | None = None
    style: str = ""
    width: str = ""


def play_actions(width: str = "") -> dict[str, Action]:
    """The Play and Pause buttons of an explorer with a run (:meth:`Explorer.play`): Play is
    greyed out while it plays, Pause while it does not."""
    return {
        "Play": Action(lambda explorer: explorer.play(), icon="play",
                       tooltip="train chunk after chunk until Pause",
                       enabled=lambda explorer: not explorer.playing, style="success",
                       width=width),
        "Pause": Action(lambda explorer: explorer.pause(), icon="pause",
                        tooltip="stop after the current chunk",
                        enabled=lambda explorer: explorer.playing, width=width),
    }


class ChunkedRun(Protocol):
    """Training that an explorer advances a chunk at a time (its *run*).

    ``settings()``
        the extra keywords ``compute`` gets, e.g. ``{"epochs": 90}``;
    ``restart(values)``
        called when a control changes: start the run of the new settings (or resume one kept
        in the cache);
    ``advance(result)``
        one more chunk after ``result``; False when there is nothing more to train.

    A run may also have a ``finished`` attribute, True when ``advance`` would train nothing
    (Play then does not start).
    """

    def settings(self) -> dict[str, Any]: ...

    def restart(self, values: dict[str, Any]) -> None: ...

    def advance(self, result: Any) -> bool: ...


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
        Buttons by label, at the foot of the right-hand column (in a row under the tabs, with
        ``groups``); ``explorer.buttons`` holds them and ``explorer.press(label)`` does what a
        click does. ``play_actions()`` gives Play and Pause (see :meth:`play`).
    inactive : callable, optional
        ``inactive(values) -> names``: the controls that do nothing for these settings (the
        momentum of plain SGD); they are greyed out after every update.
    run : ChunkedRun, optional
        Training that advances a chunk at a time: ``compute`` gets ``run.settings()`` too,
        a changed control calls ``run.restart(values)``, and :meth:`advance` trains chunks,
        redrawing after each; :meth:`play` advances chunk after chunk until paused.
    groups : dict of str to sequence of str, optional
        The controls on tabs: tab name → the names of its controls, each tab laid out in two
        columns as above; every control on exactly one tab. With groups, the buttons and the
        status line sit between the tabs and the picture.
    blocks : dict of str to Block, optional
        Small toggles shown in rows under one label (the block's name), at the foot of the
        right-hand column.
    guide : str, optional
        A sentence after the title: how to read the picture.
    foot : sequence, optional
        What is shown under the picture: widgets, or rows (tuples) of widgets and action
        labels (that action's button sits in the row instead of with the others).
    kept : int
        Saved figure backgrounds (one per static key of the view).

    Attributes
    ----------
    result
        The latest output of ``compute``; tests read it.
    cache
        The ``cache`` given, or None.
    training : ChunkedRun or None
        The ``run`` given.
    figure : matplotlib.figure.Figure
        The explorer's own figure, reused across updates.
    image : ipywidgets.Image
        The rendered figure (PNG) shown in the notebook.
    panel : ipywidgets.Widget
        The controls in their columns, with the hint under them (``arrange_controls``), or
        their tabs (``arrange_groups``).
    note : str
        The explorer's own line after the result's ``message`` (what Play did).
    task : asyncio.Task or None
        The Play task, once Play started one.
    """

    #: What Play's note (with no running event loop) tells the reader to call for more.
    more = "advance()"

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
        groups: Mapping[str, Sequence[str]] | None = None,
        blocks: Mapping[str, Block] | None = None,
        guide: str = "",
        foot: Sequence[Any] = (),
        kept: int = MAX_BACKGROUNDS,
    ) -> None:
        self.title = title
        self.cache = cache
        self.training = run
        self.controls = dict(controls)
        self._compute = compute
        self._inactive = inactive
        self._changed = False
        self._playing = False
        self.task: asyncio.Task | None = None
        self.note = ""
        figure = new_figure(*figsize, dpi=dpi * PIXEL_RATIO)
        self._drawing(figure, make_view(figure), kept)
        self.image = picture(figsize, dpi)
        self.status = widgets.HTML()
        self.result: Any = None
        self._holding = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.actions = dict(actions or {})
        self.buttons = {label: self._button(label, action)
                        for label, action in self.actions.items()}
        rows = [tuple(self.buttons[p] if isinstance(p, str) else p for p in item)
                if isinstance(item, tuple) else item for item in foot]
        in_rows = {p for item in foot if isinstance(item, tuple) for p in item
                   if isinstance(p, str)}
        placed = [button for label, button in self.buttons.items() if label not in in_rows]
        under = [widgets.HBox(list(row)) if isinstance(row, tuple) else row for row in rows]
        head = widgets.HTML(f"<b>{title}</b>" + (f": {guide}" if guide else ""))
        if groups is None:
            self.panel = arrange_names(self.controls, list(self.controls), side, blocks,
                                       foot=placed)
            shown = [head, self.panel, self.image, self.status, *under]
        else:
            self.panel = arrange_groups(self.controls, groups, side, blocks)
            shown = [head, self.panel, widgets.HBox(placed), self.status, self.image, *under]
        self.widget = widgets.VBox(shown)
        self.update()

    @property
    def message(self) -> Any:
        """The status line under the picture (an ipywidgets HTML)."""
        return self.status

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
        """A control moved: pause Play and restart the run (if the explorer has one), then
        update."""
        if self._changed and self.training is not None:
            self.pause()
            self.note = ""
            self.training.restart(self.values())
        self._changed = False
        self.update()

    def update(self) -> None:
        """Recompute, redraw the reused figure and show it."""
        extra = self.training.settings() if self.training is not None else {}
        self.result = self._compute(**self.values(), **extra)
        self.view.update(self.result)
        self.image.value = self._render()
        self._show_status()
        if self._inactive is not None:
            self.grey_out(self._inactive(self.values()))
        self._sync_buttons()

    def _status_html(self) -> str:
        """The status line: the result's ``message``, then :attr:`note`."""
        said = getattr(self.result, "message", "") or ""
        return f"<span>{' '.join(s for s in (said, self.note) if s)}</span>"

    def _show_status(self) -> None:
        self.status.value = self._status_html()

    # -- actions and runs ----------------------------------------------------------------
    def _button(self, label: str, action: Action) -> widgets.Button:
        button = widgets.Button(description=label, icon=action.icon, tooltip=action.tooltip,
                                button_style=action.style)
        if action.width:
            button.layout.width = action.width
        button.on_click(lambda _button: self.press(label))
        return button

    def _sync_buttons(self) -> None:
        for label, action in self.actions.items():
            if action.enabled is not None:
                self.buttons[label].disabled = not action.enabled(self)

    def press(self, label: str) -> Any:
        """Do what the button ``label`` does (as a click would); returns what it returns."""
        if label not in self.actions:
            raise ValueError(f"{self.title}: no button {label!r}; the buttons are "
                             f"{sorted(self.actions)}")
        return self.actions[label].run(self)

    def _run(self) -> ChunkedRun:
        if self.training is None:
            raise ValueError(f"{self.title}: this explorer has no run to advance")
        return self.training

    def advance(self, chunks: int = 1, *, each: bool = True) -> Any:
        """Train ``chunks`` more chunks of the run, redrawing after each (``each=False``: once,
        at the end, for a run whose ``advance`` trains by itself); stops early when the run has
        nothing more to train. Returns the latest result."""
        self._advance(int(chunks), each)
        return self.result

    def _advance(self, chunks: int, each: bool = True) -> int:
        """:meth:`advance`; returns how many chunks were trained."""
        run, done = self._run(), 0
        for _ in range(chunks):
            if not run.advance(self.result):
                break
            done += 1
            if each:
                self.update()
        if not each:
            self.update()
        return done

    # -- Play ------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while Play trains chunk after chunk."""
        return self._playing

    @property
    def finished(self) -> bool:
        """True when the run has nothing more to train (its ``finished``, if it has one)."""
        return bool(getattr(self._run(), "finished", False))

    def play(self) -> None:
        """Advance chunk after chunk until :meth:`pause`, a changed control, or the end of
        the run.

        In JupyterLab this starts an ``asyncio`` task on the kernel's event loop (``task``)
        that waits ``PLAY_PAUSE_S`` between chunks, so Pause and the controls respond while it
        runs. With no running event loop (a plain script) it trains ``CHUNKS_WITHOUT_LOOP``
        chunks at once, redraws and returns.
        """
        if self._playing or self.finished:
            return
        self.note = ""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.advance(CHUNKS_WITHOUT_LOOP, each=False)
            self.note = (f"(No running event loop, as in a plain script: Play trained "
                         f"{CHUNKS_WITHOUT_LOOP} chunks at once; call {self.more} to train "
                         "more.)")
            self._show_status()
            return
        self._set_playing(True)
        self.task = loop.create_task(self._play_loop())

    async def _play_loop(self) -> None:
        me = asyncio.current_task()
        try:
            # a Play pressed again after a Pause starts a new task: this one then stops
            while self._playing and self.task is me and not self.finished:
                if not self._advance(1):
                    break
                await asyncio.sleep(PLAY_PAUSE_S)
        except Exception as exc:  # pragma: no cover - shown instead of lost in the task
            self.note = f"Play stopped by an error: {exc!r}"
            self._show_status()
        finally:
            if self.task is me:
                self._set_playing(False)

    def pause(self) -> None:
        """Stop Play after the current chunk."""
        self._set_playing(False)

    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        self._sync_buttons()

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
    shows: str = "",
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
        What the frames show, for screen readers; by default the swept setting and its range,
        followed by ``shows`` (what the figure shows) when it is given.
    **fixed
        The other keywords of ``compute``, held constant.
    """
    values = list(values)
    results = [compute(**{**fixed, sweep: v}) for v in values]
    fig = new_figure(*figsize, dpi=dpi)
    view = make_view(fig)
    if alt is None and shows:
        alt = (f"Animation, {len(values)} frames, as {sweep} goes from {values[0]} to "
               f"{values[-1]}: {shows}")
    elif alt is None:
        alt = (f"Animation, {len(values)} frames: the figure as {sweep} goes from {values[0]} to "
               f"{values[-1]}. The slider and the buttons below it step through the frames.")
    return HTML(scrubbable_html(fig, lambda i: view.update(results[i]), len(results),
                                interval_ms=interval_ms, alt=alt))
