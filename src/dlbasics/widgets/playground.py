"""The playground (chapter 8): train a small network on 2-D data and watch it learn.

:func:`playground` returns a :class:`Playground`: every setting of a small classifier as a
control, on three tabs (data, with a toggle for each of the network's inputs x₁, x₂, x₁², x₂²,
x₁x₂, sin x₁, sin x₂; network, with the width of each hidden layer on its own slider;
training), Play / Pause / Step / Reset buttons, and one figure with

* the **decision boundary**: each point of the plane shaded by the colour of its predicted
  class, paler where the network is unsure; training points as circles, validation points as
  triangles;
* **what each input and hidden unit computes**: a small picture of its value over the same
  plane for every input and every hidden unit, one column per layer, as in TensorFlow
  Playground;
* the **training and validation cost** after every step (log scale);
* a **health readout** per layer: gradient norm, dead or saturated units, update-to-weight
  ratio (the checks of chapter 6).

It is an :class:`~dlbasics.widgets._base.Explorer`: its training is the explorer's run
(:class:`PlaygroundTraining`, a chunk of ``STEPS_PER_CHUNK`` (20) steps at a time), Play is the
explorer's Play (an ``asyncio`` task on the kernel's event loop, so Pause and the other buttons
respond while it runs), its buttons are the explorer's actions and its tabs the explorer's
groups (:mod:`dlbasics.widgets.playground_controls`). The whole configuration travels as a
short JSON string (:meth:`Playground.to_json`, :meth:`Playground.load_json`).
``PLAYGROUND_PRESETS`` holds ready-made experiments and :func:`playground_twin` replays one as
an offline animation (:mod:`dlbasics.widgets.playground_presets`). The engine (configuration,
data, training) is in :mod:`dlbasics.widgets.playground_core`, the drawing in
``dlbasics.widgets.playground_view``.
"""

from __future__ import annotations

from functools import partial
from html import escape
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..plotting import PALETTE
from ._base import CHUNKS_WITHOUT_LOOP, PLAY_PAUSE_S, Action, Explorer, play_actions  # re-exported
from ._spec import ExplorerSpec
from .playground_controls import (  # re-exported: the panel's names
    FEATURE_CONTROLS,
    FEATURE_ROWS,
    GROUPS,
    HELP,
    INPUTS,
    SIDE,
    TRAINING_SETTINGS,
    UNIT_CONTROLS,
    config_of,
    control_values,
    greyed_out,
    make_controls,
    shown_value,
)
from .playground_core import (
    DEFAULTS,
    FEATURES,
    MAX_STEPS,
    MAX_UNITS,
    STEPS_PER_CHUNK,
    Run,
    check_custom_data,
    config_from_json,
    config_to_json,
    validate_config,
)
from .playground_presets import (  # re-exported: presets and twins
    DPI,
    FIGSIZE,
    PLAYGROUND_PRESETS,
    TWIN_CLASSES,
    TWIN_FIGSIZE,
    TWIN_GRID,
    TWIN_PRESET,
    TWIN_STEPS,
    TwinFrame,
    playground_frames,
    playground_twin,
    twin_result,
)
from .playground_view import Frame, PlaygroundView, boundary_grid, health_html, make_frame

__all__ = [
    "BACKGROUNDS_KEPT", "CHUNKS_WITHOUT_LOOP", "DPI", "FEATURE_CONTROLS", "FEATURE_ROWS",
    "FIGSIZE", "GROUPS", "GUIDE", "HELP", "INPUTS", "PLAYGROUND_PRESETS", "PLAY_PAUSE_S", "SIDE",
    "SPEC", "TRAINING_SETTINGS", "TWIN_CLASSES", "TWIN_FIGSIZE", "TWIN_GRID", "TWIN_PRESET",
    "TWIN_STEPS", "UNIT_CONTROLS", "Playground", "PlaygroundTraining", "TwinFrame",
    "config_of", "control_values", "draw_run", "greyed_out", "make_controls", "playground",
    "playground_frames", "playground_twin", "shown_value", "twin_result",
]

BACKGROUNDS_KEPT = 12  # saved figure backgrounds, by axis limits

GUIDE = ("each point of the plane is shaded with the colour of the class the network predicts "
         "there, paler where it is unsure; circles are training points, triangles validation "
         "points. Changing a setting starts a new run at step 0.")


def _resolve(config: str | dict | None, custom: bool) -> dict[str, Any]:
    """A preset name, a dict or a JSON string → a checked configuration."""
    if config is None:
        config = {}
    if isinstance(config, dict):  # your own arrays are the data unless config names a data set
        return validate_config({"dataset": "custom", **config} if custom else config,
                               custom=custom)
    if isinstance(config, str):
        if config in PLAYGROUND_PRESETS:
            return validate_config(PLAYGROUND_PRESETS[config][1], custom=custom)
        if config.lstrip().startswith("{"):
            settings = config_from_json(config, custom=custom)
            if custom and '"dataset"' not in config:
                settings["dataset"] = "custom"
            return settings
        raise ValueError(f"playground: {config!r} is neither a preset nor JSON; the presets "
                         f"are {', '.join(PLAYGROUND_PRESETS)}")
    raise ValueError(f"playground: config must be a preset name, a dict or the JSON text of "
                     f"to_json(), got {type(config).__name__}")



class PlaygroundTraining:
    """The playground's run (a :class:`~dlbasics.widgets._base.ChunkedRun`): the current
    training run (``current``, a :class:`~dlbasics.widgets.playground_core.Run`) and the grid
    its picture is drawn on. Each ``advance`` trains one chunk of ``STEPS_PER_CHUNK`` steps; a
    changed control starts a new run at step 0."""

    def __init__(self, config: dict[str, Any], custom: Any = None) -> None:
        self.custom = custom
        self.start(config)

    def start(self, config: dict[str, Any]) -> None:
        """A new run of the checked configuration ``config``, at step 0."""
        self.current = Run(config, self.custom)
        self.grid = boundary_grid(self.current)

    def settings(self) -> dict[str, Any]:
        return {"run": self.current, "grid": self.grid}

    def restart(self, values: dict[str, Any]) -> None:
        self.start(validate_config(config_of(values), custom=self.custom is not None))

    def advance(self, _result: Any = None) -> bool:
        return self.current.advance(STEPS_PER_CHUNK) > 0

    @property
    def finished(self) -> bool:
        """True once the run diverged or reached the step limit."""
        return self.current.diverged or self.current.step >= MAX_STEPS


def draw_run(run: Run, grid: Any, **_controls: Any) -> Frame:
    """The playground's ``compute``: the picture's data of the run its controls set up."""
    return make_frame(run, grid)


class Playground(Explorer):
    """A small classifier with every setting on a control, trained chunk by chunk: an
    :class:`~dlbasics.widgets._base.Explorer` whose run (:class:`PlaygroundTraining`) a
    changed setting restarts at step 0.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        One per configuration key (see :data:`~dlbasics.widgets.playground_config.DEFAULTS`),
        except ``units``: one slider per hidden layer, ``units_1`` … ``units_4``, greyed out
        beyond ``layers``; and ``features``: one toggle per input, ``feature_x1`` …
        ``feature_sin_x2``. ``GROUPS`` arranges them on tabs (data, network, training).
    buttons : dict of str to ipywidgets Button
        Play, Pause, Step and Reset under the tabs; Export and Import beside ``json_box``.
    widget : ipywidgets.VBox
        The whole panel.
    run : Run
        The current training run (network, data, history).
    figure : matplotlib.figure.Figure
    task : asyncio.Task or None
        The Play task while it runs.
    """

    title = "Playground"
    more = "step()"

    def __init__(self, config: str | dict | None = None, *, X: Any = None, y: Any = None):
        if (X is None) != (y is None):
            raise ValueError("playground: give both X (points, shape (n, 2)) and y (their "
                             "class labels), or neither")
        self._custom = check_custom_data(X, y) if X is not None else None
        config = _resolve(config, self._custom is not None)
        controls = make_controls(self._custom is not None)
        for name, value in control_values(config).items():
            controls[name].value = value
        self._setting_note = ""  # names a training setting just changed, until it trains
        self._training = PlaygroundTraining(config, self._custom)
        self.health = widgets.HTML()
        self.json_box = widgets.Text(placeholder='{"dataset":"xor","layers":1}',
                                     description="settings",
                                     tooltip="Export writes the settings here as JSON; paste "
                                     "JSON here and press Import to load them",
                                     layout=widgets.Layout(width="520px"))
        actions = {
            **play_actions(width="100px"),
            "Step": Action(lambda pg: pg.step(), icon="step-forward", width="100px",
                           tooltip=f"train one chunk of {STEPS_PER_CHUNK} steps"),
            "Reset": Action(lambda pg: pg.reset(), icon="undo", width="100px",
                            tooltip="back to step 0 with the same settings and seed"),
            "Export": Action(lambda pg: pg._export(), icon="download", width="90px",
                             tooltip="write the settings in the box"),
            "Import": Action(lambda pg: pg._import(), icon="upload", width="90px",
                             tooltip="load the settings in the box"),
        }
        super().__init__(self.title, controls, draw_run, PlaygroundView, figsize=FIGSIZE,
                         dpi=DPI, side=SIDE, actions=actions, inactive=greyed_out,
                         run=self._training, groups=GROUPS, blocks={"inputs": INPUTS},
                         guide=GUIDE, foot=(self.health, (self.json_box, "Export", "Import")),
                         kept=BACKGROUNDS_KEPT)
        self.view: PlaygroundView

    # -- state ----------------------------------------------------------------------------------
    @property
    def run(self) -> Run:
        """The current training run (network, data, history)."""
        return self._training.current

    @property
    def config(self) -> dict[str, Any]:
        """The checked configuration of the current run."""
        return self.run.config

    @property
    def history(self) -> dict[str, list[float]]:
        """``{"train": [...], "test": [...]}``: the cost after each step (index 0 = untrained)."""
        return self.run.history

    @property
    def message(self) -> str:
        """What happened, in words (divergence, health warnings, Play notes)."""
        run_message = self.run.message
        if self._setting_note:  # the note says it: once is enough
            run_message = run_message.replace(" Press Play or Step to train.", "")
        return " ".join(s for s in (run_message, self._setting_note, self.note) if s)

    @property
    def steps(self) -> int:
        """Training steps (mini-batch updates) taken since the last reset."""
        return self.run.step

    @property
    def export_button(self) -> widgets.Button:
        return self.buttons["Export"]

    @property
    def import_button(self) -> widgets.Button:
        return self.buttons["Import"]

    # -- controls -----------------------------------------------------------------------------
    def _on_change(self, change: Any) -> None:
        if self._holding:
            super()._on_change(change)
            return
        self._setting_note = ""
        try:
            super()._on_change(change)
        except ValueError as exc:  # pragma: no cover - the controls only offer valid values
            self.note = str(exc)
            self._show_status()
            return
        name = next((n for n, c in self.controls.items() if c is change.owner), None)
        if name in TRAINING_SETTINGS:  # the untrained picture does not show it: say so
            self._setting_note = (f"{self.controls[name].description.capitalize()} set to "
                                  f"{shown_value(self.controls[name])}: press Play or Step to "
                                  "train with it.")
            self._show_status()

    def set(self, **values: Any) -> None:
        """Change controls by name, as a learner would, then restart at step 0 once.

        Besides the controls (``units_1`` … ``units_4`` for the width of each hidden layer,
        ``feature_x1`` … ``feature_sin_x2`` to switch an input on or off), ``units`` sets the
        widths at once: one number for every layer or a list, one number per layer; and
        ``features`` the inputs at once, e.g. ``features=["x1_sq", "x2_sq"]``."""
        unknown = [k for k in values
                   if k not in self.controls and k not in ("units", "features")]
        if unknown:
            raise ValueError(f"playground: no control named {', '.join(map(repr, unknown))}; "
                             f"the controls are: {', '.join(self.controls)} (or units, one "
                             "number or a list of widths; or features, a list of inputs)")
        custom = self._custom is not None
        sliders = self.values()
        for k in UNIT_CONTROLS:
            if k in values:
                try:
                    validate_config({"layers": 1, "units": [values[k]]})
                except ValueError:
                    raise ValueError(f"playground: {k}={values[k]!r}: the width of hidden "
                                     f"layer {k[-1]} is a whole number from 1 to {MAX_UNITS}"
                                     ) from None
                sliders[k] = round(values[k])
        plain = {k: v for k, v in values.items() if k in DEFAULTS}
        toggles = {k: values[k] for k in FEATURE_CONTROLS if k in values}
        for k, v in toggles.items():
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"playground: {k}={v!r}: an input is switched on (True) or "
                                 "off (False)")
        if toggles and "features" not in plain:
            on = {k: f in self.config["features"]
                  for f, k in zip(FEATURES, FEATURE_CONTROLS, strict=True)}
            on.update(toggles)
            plain["features"] = [f for f, k in zip(FEATURES, FEATURE_CONTROLS, strict=True)
                                 if on[k]]
        keep_sliders = "units" not in plain
        if keep_sliders:  # the hidden layers take their widths from the sliders
            layers = validate_config({"layers": plain.get("layers", self.config["layers"]),
                                      "units": 1})["layers"]
            plain["units"] = [sliders[k] for k in UNIT_CONTROLS[:layers]]
        config = validate_config(plain, custom=custom, base=self.config)
        self._apply(config, sliders if keep_sliders else None)

    def _apply(self, config: dict[str, Any], sliders: dict[str, Any] | None = None) -> None:
        """Set every control to ``config`` (the hidden layers' sliders to ``sliders``, if
        given) and start again at step 0, even if nothing changed (as Reset does)."""
        values = control_values(config, self.values())
        if sliders is not None:
            values.update({k: sliders[k] for k in UNIT_CONTROLS})
        self._setting_note = ""
        with self.hold():
            for name, control in self.controls.items():
                control.value = values[name]
            self._changed = True

    def to_json(self) -> str:
        """The whole configuration as short JSON (only the settings that differ from the
        defaults), e.g. ``{"dataset":"xor","layers":1}``."""
        return config_to_json(self.config)

    def load_json(self, text: str) -> None:
        """Set every control from :meth:`to_json` text (missing keys take their defaults) and
        restart; bad JSON, unknown keys or values out of range raise ValueError."""
        self._apply(config_from_json(text, custom=self._custom is not None))

    def _export(self) -> None:
        self.json_box.value = self.to_json()

    def _import(self) -> None:
        try:
            self.load_json(self.json_box.value)
        except ValueError as exc:
            self.note = str(exc)
            self._show_status()

    # -- training -----------------------------------------------------------------------------
    def step(self, n_chunks: int = 1) -> None:
        """Train ``n_chunks`` chunks of ``STEPS_PER_CHUNK`` steps, then redraw once."""
        n_chunks = int(n_chunks)
        if n_chunks < 1:
            raise ValueError(f"step: n_chunks must be at least 1, got {n_chunks}")
        self._setting_note = ""
        self.advance(n_chunks, each=False)

    def play(self) -> None:
        """Train chunk after chunk until Pause, divergence or the step limit (the explorer's
        Play: see :meth:`~dlbasics.widgets.Explorer.play`)."""
        if not (self.playing or self.finished):
            self._setting_note = ""
        super().play()

    def reset(self) -> None:
        """Pause, and start again at step 0 with the current settings (same seed, same run)."""
        self.pause()
        self.note, self._setting_note = "", ""
        self._training.start(self.config)
        self.update()

    # -- drawing ------------------------------------------------------------------------------
    def frame(self) -> Frame:
        """The current picture's data."""
        return make_frame(self.run, self._training.grid)

    def update(self) -> None:
        """Redraw the picture, the status line and the health readout."""
        super().update()
        self.health.value = health_html(self.run)

    def _status_html(self) -> str:
        color = PALETTE["vermillion"] if self.run.diverged or "Error" in self.note else "black"
        return f'<span style="color:{color}">{escape(self.message)}</span>'

    # -- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Playground {self.to_json()} at step {self.run.step}>"


def playground(config: str | dict | None = None, *, X: Any = None, y: Any = None) -> Playground:
    """The chapter 8 playground: a small classifier on 2-D data, every setting a control.

    Parameters
    ----------
    config : str, dict or None
        A name from ``PLAYGROUND_PRESETS``, a dict of settings (keys of
        ``dlbasics.widgets.playground_config.DEFAULTS``) or the JSON text of
        :meth:`Playground.to_json`. Missing settings take their defaults.
    X, y : arrays, optional
        Your own points, shape ``(n, 2)``, and integer class labels ``0 … K−1`` (2 ≤ K ≤ 5):
        the data set ``"custom"``.
    """
    return Playground(config, X=X, y=y)


SPEC = ExplorerSpec("playground", 8, playground, make_frame, PlaygroundView,
                    partial(playground_twin, TWIN_PRESET), sweep="step", grid=TWIN_GRID)
