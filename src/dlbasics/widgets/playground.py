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

Play trains in chunks of ``STEPS_PER_CHUNK`` (20) steps
from an ``asyncio`` task on the kernel's event loop, so Pause and the other buttons respond
while it runs. The whole configuration travels as a short JSON string
(:meth:`Playground.to_json`, :meth:`Playground.load_json`). ``PLAYGROUND_PRESETS`` holds
ready-made experiments and :func:`playground_twin` replays one as an offline animation.
The engine (configuration, data, training) is in :mod:`dlbasics.widgets.playground_core`, the
drawing in ``dlbasics.widgets.playground_view``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import partial
from itertools import pairwise
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML

from ..plotting import PALETTE, new_figure, scrubbable_html
from ._base import PIXEL_RATIO, ControlPanel, arrange_controls, label_width, picture
from ._spec import ExplorerSpec
from .playground_core import (
    ACTIVATIONS,
    BATCH_SIZES,
    DATASETS,
    DEFAULTS,
    FEATURE_LABELS,
    FEATURES,
    INITS,
    MAX_LAYERS,
    MAX_STEPS,
    MAX_UNITS,
    OPTIMIZERS,
    PENALTIES,
    STEPS_PER_CHUNK,
    Run,
    check_custom_data,
    config_from_json,
    config_to_json,
    hidden_units,
    validate_config,
)
from .playground_view import (
    Frame,
    PlaygroundView,
    boundary_grid,
    health_html,
    make_frame,
)
from .twin_grid import TwinGrid

PLAY_PAUSE_S = 0.02  # between chunks, so button clicks are handled
CHUNKS_WITHOUT_LOOP = 50  # Play with no running event loop (a plain script)
FIGSIZE = (10.5, 3.9)  # the live panel's figure
TWIN_FIGSIZE = (10.5, 5.0)  # the twin's, with the health readout
BACKGROUNDS_KEPT = 12  # saved figure backgrounds, by axis limits
DPI = 80

GUIDE = ("each point of the plane is shaded with the colour of the class the network predicts "
         "there, paler where it is unsure; circles are training points, triangles validation "
         "points. Changing a setting starts a new run at step 0.")

#: Ready-made experiments: name → (what it shows, configuration).
PLAYGROUND_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "linear": (
        "Two Gaussian blobs are separated by a straight line, so a network with no hidden "
        "layer (logistic regression) is enough.",
        {"dataset": "blobs", "classes": 2, "noise": 0.2, "layers": 0, "lr": 0.1},
    ),
    "xor_no_hidden": (
        "With no hidden layer the boundary is a straight line, and no line separates XOR: the "
        "cost stays near log 2 ≈ 0.69.",
        {"dataset": "xor", "noise": 0.15, "layers": 0, "lr": 0.1},
    ),
    "xor_hidden": (
        "One hidden layer of 4 tanh units bends the boundary and solves XOR.",
        {"dataset": "xor", "noise": 0.15, "layers": 1, "units": 4, "lr": 0.1},
    ),
    "spirals_deep": (
        "Two interleaved spirals reward depth: three hidden layers of 16 units wind the "
        "boundary around the arms, while one layer of 16, trained as long, still cuts across "
        "some of them.",
        {"dataset": "spirals", "classes": 2, "noise": 0.05, "n_points": 400, "layers": 3,
         "units": 16, "activation": "leaky_relu", "lr": 0.02, "train_fraction": 0.7},
    ),
    "circles_squares": (
        "Given x₁² and x₂² as inputs, a network with no hidden layer separates the two "
        "circles, since a circle x₁² + x₂² = r² is a straight line in the squares; switch the "
        "squares off and it is back at chance, about 50 %.",
        {"dataset": "circles", "features": ["x1", "x2", "x1_sq", "x2_sq"], "layers": 0,
         "lr": 0.1},
    ),
    "spirals_sin": (
        "With sin x₁ and sin x₂ as extra inputs, one hidden layer of 8 units follows the two "
        "spirals (about 85 % of the validation points right after 600 steps), where x₁ and x₂ "
        "alone leave it near 60 %.",
        {"dataset": "spirals", "classes": 2, "noise": 0.05, "n_points": 400,
         "train_fraction": 0.7, "features": ["x1", "x2", "sin_x1", "sin_x2"], "layers": 1,
         "units": 8, "lr": 0.03},
    ),
    "blobs_five": (
        "Five classes: a softmax output gives one probability per class, and the plane splits "
        "into five regions.",
        {"dataset": "blobs", "classes": 5, "noise": 0.2, "layers": 1, "units": 8, "lr": 0.03},
    ),
    "lr_too_high": (
        "A learning rate of 1 with momentum overshoots further every step until the cost "
        "explodes; the playground stops and says which knob to turn.",
        {"dataset": "xor", "layers": 2, "units": 8, "activation": "leaky_relu",
         "optimizer": "momentum", "lr": 1.0},
    ),
    "overfit": (
        "Thirty noisy training points and three layers of 16 units: the training cost keeps "
        "falling while the validation cost rises (overfitting).",
        {"dataset": "moons", "noise": 0.35, "n_points": 60, "layers": 3, "units": 16,
         "activation": "relu", "lr": 0.01},
    ),
    "overfit_l2": (
        "The same small noisy set with an L2 penalty of 0.03: a smoother boundary, and the "
        "validation cost stays close to the training cost.",
        {"dataset": "moons", "noise": 0.35, "n_points": 60, "layers": 3, "units": 16,
         "activation": "relu", "lr": 0.01, "l2": 0.03},
    ),
}


UNIT_CONTROLS = tuple(f"units_{i}" for i in range(1, MAX_LAYERS + 1))
#: One toggle per input of :data:`~dlbasics.widgets.playground_core.FEATURES`, e.g.
#: ``feature_x1_sq`` for x₁²; the configuration's ``features`` lists those switched on.
FEATURE_CONTROLS = tuple(f"feature_{f}" for f in FEATURES)
#: Settings the untrained network does not depend on: changing one at step 0 leaves the
#: picture as it is, so the status line says what was set.
TRAINING_SETTINGS = ("optimizer", "lr", "batch_size", "l1", "l2", "dropout")
#: The panel's groups of controls, by name: one tab each. ``units`` has one slider per
#: hidden layer (``units_1`` … ``units_4``); those beyond ``layers`` are greyed out.
GROUPS: dict[str, tuple[str, ...]] = {
    "Data": ("dataset", "classes", "noise", "n_points", "train_fraction", "seed",
             *FEATURE_CONTROLS),
    "Network": ("layers", *UNIT_CONTROLS, "activation", "init", "batch_norm"),
    "Training": ("optimizer", "lr", "batch_size", "l1", "l2", "dropout"),
}
#: The controls in each tab's right-hand column (short sliders and menus); four rows a tab.
#: The input toggles take the last two rows of the data tab's.
SIDE = ("dataset", "seed", "layers", "activation", "init", "batch_norm", "optimizer",
        "batch_size", "l1", "l2", *FEATURE_CONTROLS)
FEATURE_ROWS = (FEATURE_CONTROLS[:4], FEATURE_CONTROLS[4:])
HELP = {  # tooltips
    "dataset": "the points to classify; 'custom' is your own X, y",
    "classes": "number of classes (blobs and spirals only; the others have 2)",
    "noise": "how far the points scatter from the clean pattern",
    "n_points": "training and validation points together",
    "train_fraction": "share of the points used for training; the rest (triangles) for validation",
    "seed": "random seed of the data, the initial weights and the mini-batches",
    "layers": "hidden layers between the inputs and the output",
    "activation": "activation function of the hidden layers (the output is a softmax)",
    "init": ("how the initial weights are drawn ('auto': He for ReLU and leaky ReLU, Xavier "
             "otherwise)"),
    "batch_norm": "batch normalization after each hidden Dense layer",
    "optimizer": "the update rule (chapter 5)",
    "lr": "learning rate: the size of each step",
    "batch_size": "training examples per step (one mini-batch update)",
    "l1": "L1 penalty strength (chapter 7)",
    "l2": "L2 penalty strength, weight decay (chapter 7)",
    "dropout": "share of hidden units switched off in each training step (chapter 7)",
    **{k: f"units in hidden layer {i}" for i, k in enumerate(UNIT_CONTROLS, 1)},
    "feature_x1": "x₁, the first coordinate (standardized), as an input",
    "feature_x2": "x₂, the second coordinate (standardized), as an input",
    "feature_x1_sq": "x₁² as an input: the square of the first coordinate",
    "feature_x2_sq": "x₂² as an input: the square of the second coordinate",
    "feature_x1_x2": "x₁x₂ as an input: the product of the coordinates",
    "feature_sin_x1": "sin x₁ as an input: the sine of the first coordinate",
    "feature_sin_x2": "sin x₂ as an input: the sine of the second coordinate",
}


def _controls(custom: bool) -> dict[str, widgets.ValueWidget]:
    penalty_options = [(f"{v:g}", v) for v in PENALTIES]
    kw = {"continuous_update": False}  # widths and labels: arrange_controls
    controls: dict[str, widgets.ValueWidget] = {
        "dataset": widgets.Dropdown(options=DATASETS + (("custom",) if custom else ()),
                                    description="data set"),
        "classes": widgets.IntSlider(min=2, max=5, description="classes", **kw),
        "noise": widgets.FloatSlider(min=0.0, max=0.5, step=0.05, description="noise", **kw),
        "n_points": widgets.IntSlider(min=40, max=400, step=20, description="points", **kw),
        "train_fraction": widgets.FloatSlider(min=0.1, max=0.9, step=0.1,
                                              description="training share", **kw),
        "layers": widgets.IntSlider(min=0, max=MAX_LAYERS, description="hidden layers", **kw),
        **{k: widgets.IntSlider(min=1, max=MAX_UNITS, description=f"layer {i} units", **kw)
           for i, k in enumerate(UNIT_CONTROLS, 1)},
        "activation": widgets.Dropdown(options=ACTIVATIONS, description="activation"),
        "init": widgets.Dropdown(options=INITS, description="initialization"),
        "lr": widgets.FloatLogSlider(base=10, min=-4, max=1, step=0.1, readout_format=".2g",
                                     description="learning rate", **kw),
        "optimizer": widgets.Dropdown(options=OPTIMIZERS, description="optimizer"),
        "batch_size": widgets.Dropdown(options=BATCH_SIZES, description="batch size"),
        "l1": widgets.Dropdown(options=penalty_options, description="L1 penalty"),
        "l2": widgets.Dropdown(options=penalty_options, description="L2 penalty"),
        "dropout": widgets.FloatSlider(min=0.0, max=0.5, step=0.05, description="dropout", **kw),
        "batch_norm": widgets.Dropdown(options=[("off", False), ("on", True)],
                                       description="batch norm"),
        "seed": widgets.IntSlider(min=0, max=99, description="seed", **kw),
        **{k: widgets.ToggleButton(description=FEATURE_LABELS[f],
                                   layout=widgets.Layout(width="44px", padding="0"))
           for f, k in zip(FEATURES, FEATURE_CONTROLS, strict=True)},
    }
    for name, control in controls.items():
        control.tooltip = HELP[name]
    return controls


def _inputs_row(controls: dict[str, widgets.ValueWidget], label_px: int) -> widgets.Widget:
    """The input toggles under one label, in the rows of ``FEATURE_ROWS``."""
    label = widgets.HTML('<div style="text-align:right;margin-right:8px;line-height:28px" '
                         'title="the network\'s inputs: switch extra ones on, as in TensorFlow '
                         'Playground">inputs</div>', layout=widgets.Layout(width=f"{label_px}px"))
    rows = [widgets.HBox([controls[k] for k in row]) for row in FEATURE_ROWS]
    return widgets.HBox([label, widgets.VBox(rows)])


def _tab(controls: dict[str, widgets.ValueWidget], names: tuple[str, ...]) -> widgets.Widget:
    """One tab's controls in two columns (``arrange_controls``); the input toggles, if the
    tab has them, as one labelled block at the foot of the right-hand column."""
    plain = [n for n in names if n not in FEATURE_CONTROLS]
    side = [controls[n] for n in plain if n in SIDE]
    if len(plain) < len(names):
        label_px = label_width(side)
        side.append(_inputs_row(controls, label_px))
    return arrange_controls([controls[n] for n in plain if n not in SIDE] + side, side)


def _shown_value(control: widgets.ValueWidget) -> str:
    """A control's value as the learner reads it: a menu's label, a slider's number."""
    if isinstance(control, widgets.Dropdown):
        return str(control.label)
    value = control.value
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def control_values(config: dict[str, Any], current: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """The value of every control for a configuration. The sliders of the hidden layers a
    list of ``units`` does not name keep their ``current`` value (a uniform ``units`` sets
    them all), so adding a layer back gives it the width it had."""
    values = {k: config[k] for k in config if k not in ("units", "features")}
    values.update({k: f in config["features"]
                   for f, k in zip(FEATURES, FEATURE_CONTROLS, strict=True)})
    widths = hidden_units(config)
    if not isinstance(config["units"], list):
        widths = [config["units"]] * MAX_LAYERS
    for i, k in enumerate(UNIT_CONTROLS):
        values[k] = widths[i] if i < len(widths) else (
            current[k] if current else DEFAULTS["units"])
    return values


def config_of(values: dict[str, Any]) -> dict[str, Any]:
    """The configuration the controls' ``values`` describe (not yet checked): ``units`` from
    the first ``layers`` unit sliders, ``features`` from the input toggles switched on."""
    config = {k: v for k, v in values.items()
              if k not in UNIT_CONTROLS and k not in FEATURE_CONTROLS}
    config["units"] = [values[k] for k in UNIT_CONTROLS[:values["layers"]]]
    config["features"] = [f for f, k in zip(FEATURES, FEATURE_CONTROLS, strict=True)
                          if values[k]]
    return config


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


class Playground(ControlPanel):
    """A small classifier with every setting on a control, trained chunk by chunk: a
    :class:`~dlbasics.widgets._base.ControlPanel` (controls, picture, greying out, display)
    whose settings restart a training run.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        One per configuration key (see :data:`dlbasics.widgets.playground_core.DEFAULTS`),
        except ``units``: one slider per hidden layer, ``units_1`` … ``units_4``, greyed out
        beyond ``layers``; and ``features``: one toggle per input, ``feature_x1`` …
        ``feature_sin_x2``. ``GROUPS`` arranges them on tabs (data, network, training).
    widget : ipywidgets.VBox
        The whole panel.
    run : Run
        The current training run (network, data, history).
    figure : matplotlib.figure.Figure
    task : asyncio.Task or None
        The Play task while it runs.
    """

    title = "Playground"

    def __init__(self, config: str | dict | None = None, *, X: Any = None, y: Any = None):
        if (X is None) != (y is None):
            raise ValueError("playground: give both X (points, shape (n, 2)) and y (their "
                             "class labels), or neither")
        self._custom = check_custom_data(X, y) if X is not None else None
        self.config = _resolve(config, self._custom is not None)
        self.controls = _controls(self._custom is not None)
        for name, value in control_values(self.config).items():
            self.controls[name].value = value
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._sync_enabled()
        figure = new_figure(*FIGSIZE, dpi=DPI * PIXEL_RATIO)
        self._drawing(figure, PlaygroundView(figure), BACKGROUNDS_KEPT)
        self.view: PlaygroundView
        self._holding = False
        self._playing = False
        self._note = ""
        self._setting_note = False  # the note only names a setting just changed
        self.task: asyncio.Task | None = None
        self.image = picture(FIGSIZE, DPI)
        self._message = widgets.HTML()
        self.health = widgets.HTML()
        tips = {"Play": "train chunk after chunk until Pause",
                "Pause": "stop after the current chunk",
                "Step": f"train one chunk of {STEPS_PER_CHUNK} steps",
                "Reset": "back to step 0 with the same settings and seed"}
        icons = {"Play": "play", "Pause": "pause", "Step": "step-forward", "Reset": "undo"}
        self.buttons = {name: widgets.Button(description=name, icon=icons[name], tooltip=tip,
                                             layout=widgets.Layout(width="100px"))
                        for name, tip in tips.items()}
        self.buttons["Play"].on_click(lambda _b: self.play())
        self.buttons["Pause"].on_click(lambda _b: self.pause())
        self.buttons["Step"].on_click(lambda _b: self.step())
        self.buttons["Reset"].on_click(lambda _b: self.reset())
        self.buttons["Play"].button_style = "success"
        self.buttons["Pause"].disabled = True
        self.json_box = widgets.Text(placeholder='{"dataset":"xor","layers":1}',
                                     description="settings",
                                     tooltip="Export writes the settings here as JSON; paste "
                                     "JSON here and press Import to load them",
                                     layout=widgets.Layout(width="520px"))
        self.export_button = widgets.Button(description="Export", icon="download",
                                            tooltip="write the settings in the box",
                                            layout=widgets.Layout(width="90px"))
        self.import_button = widgets.Button(description="Import", icon="upload",
                                            tooltip="load the settings in the box",
                                            layout=widgets.Layout(width="90px"))
        self.export_button.on_click(lambda _b: self._export())
        self.import_button.on_click(lambda _b: self._import())
        self.tabs = widgets.Tab([_tab(self.controls, names) for names in GROUPS.values()],
                                titles=list(GROUPS))
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>{self.title}</b>: {GUIDE}"),
            self.tabs,
            widgets.HBox(list(self.buttons.values())), self._message, self.image, self.health,
            widgets.HBox([self.json_box, self.export_button, self.import_button]),
        ])
        self._grid: Any = None
        self.run = self._new_run()
        self._redraw()

    # -- state ----------------------------------------------------------------------------------
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
        return " ".join(s for s in (run_message, self._note) if s)

    @property
    def steps(self) -> int:
        """Training steps (mini-batch updates) taken since the last reset."""
        return self.run.step

    @property
    def result(self) -> Frame:
        """The current picture's data (:meth:`frame`), as an explorer's ``result``."""
        return self.frame()

    @property
    def playing(self) -> bool:
        return self._playing

    def _new_run(self) -> Run:
        run = Run(self.config, self._custom)
        self._grid = None
        return run

    # -- controls -----------------------------------------------------------------------------
    def _on_change(self, change: Any) -> None:
        if self._holding:
            return
        try:
            self.config = validate_config(config_of(self.values()),
                                          custom=self._custom is not None)
        except ValueError as exc:  # pragma: no cover - the controls only offer valid values
            self._note = str(exc)
            self._show_message()
            return
        self._sync_enabled()
        self.reset()
        name = next((n for n, c in self.controls.items() if c is change.owner), None)
        if name in TRAINING_SETTINGS:  # the untrained picture does not show it: say so
            self._note = (f"{self.controls[name].description.capitalize()} set to "
                          f"{_shown_value(self.controls[name])}: press Play or Step to train "
                          "with it.")
            self._setting_note = True
            self._show_message()

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
        values = control_values(config, self.values())
        if sliders is not None:
            values.update({k: sliders[k] for k in UNIT_CONTROLS})
        self._holding = True
        try:
            for name, control in self.controls.items():
                control.value = values[name]
        finally:
            self._holding = False
        self.config = config
        self._sync_enabled()
        self.reset()

    def _sync_enabled(self) -> None:
        """Grey out the controls the current settings ignore: the width of hidden layers
        beyond ``layers``, classes of the 2-class data sets, noise and points of your own
        data, dropout and batch normalization with no hidden layer; and the toggle of the only
        input left (the network needs one)."""
        c = self.config
        off = {k for i, k in enumerate(UNIT_CONTROLS) if i >= c["layers"]}
        if len(c["features"]) == 1:
            off.add(f"feature_{c['features'][0]}")
        if c["dataset"] not in ("blobs", "spirals"):
            off.add("classes")
        if c["dataset"] == "custom":
            off |= {"noise", "n_points"}
        if c["layers"] == 0:
            off |= {"dropout", "batch_norm"}
        self.grey_out(off)

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
            self._note = str(exc)
            self._show_message()

    # -- training -----------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """True once the run diverged or reached the step limit."""
        return self.run.diverged or self.run.step >= MAX_STEPS

    def step(self, n_chunks: int = 1) -> None:
        """Train ``n_chunks`` chunks of ``STEPS_PER_CHUNK`` steps, then redraw once."""
        n_chunks = int(n_chunks)
        if n_chunks < 1:
            raise ValueError(f"step: n_chunks must be at least 1, got {n_chunks}")
        self._clear_setting_note()
        for _ in range(n_chunks):
            if not self.run.advance(STEPS_PER_CHUNK):
                break
        self._redraw()

    def play(self) -> None:
        """Train chunk after chunk until Pause, divergence or the step limit.

        In JupyterLab this starts an ``asyncio`` task on the kernel's event loop (see
        ``task``) that awaits between chunks, so Pause and the other controls respond.
        With no running event loop (a plain script) it trains
        ``CHUNKS_WITHOUT_LOOP`` chunks at once and returns.
        """
        if self._playing or self.finished:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self._note = ""
        self._setting_note = False
        if loop is None:
            self.step(CHUNKS_WITHOUT_LOOP)
            self._note = (f"(No running event loop, as in a plain script: Play trained "
                          f"{CHUNKS_WITHOUT_LOOP} chunks at once; call step() to train more.)")
            self._show_message()
            return
        self._set_playing(True)
        self.task = loop.create_task(self._play_loop())

    async def _play_loop(self) -> None:
        me = asyncio.current_task()
        try:
            # a Play pressed again after a Pause starts a new task: this one then stops
            while self._playing and self.task is me and not self.finished:
                self.step()
                await asyncio.sleep(PLAY_PAUSE_S)
        except Exception as exc:  # pragma: no cover - shown instead of lost in the task
            self._note = f"Play stopped by an error: {exc!r}"
            self._show_message()
        finally:
            if self.task is me:
                self._set_playing(False)

    def _clear_setting_note(self) -> None:
        if self._setting_note:
            self._note, self._setting_note = "", False

    def pause(self) -> None:
        """Stop Play after the current chunk."""
        self._set_playing(False)

    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.buttons["Play"].disabled = playing
        self.buttons["Pause"].disabled = not playing

    def reset(self) -> None:
        """Pause, and start again at step 0 with the current settings (same seed, same run)."""
        self.pause()
        self._note, self._setting_note = "", False
        self.run = self._new_run()
        self._redraw()

    # -- drawing ------------------------------------------------------------------------------
    def frame(self) -> Frame:
        """The current picture's data."""
        if self._grid is None:
            self._grid = boundary_grid(self.run)
        return make_frame(self.run, self._grid)

    def _redraw(self) -> None:
        f = self.frame()
        self.view.update(f)
        self.image.value = self._render(f)
        self.health.value = health_html(self.run)
        self._show_message()

    def _show_message(self) -> None:
        from html import escape

        color = PALETTE["vermillion"] if self.run.diverged or "Error" in self._note else "black"
        self._message.value = f'<span style="color:{color}">{escape(self.message)}</span>'

    def _render(self, f: Frame) -> bytes:
        """Blit: the dynamic artists drawn on a saved background of everything else. The
        backgrounds are kept by their ``static_key`` (axis limits), so going back to limits
        seen before (a reset to step 0) needs no full redraw."""
        return self._picture(self.view.static_key(f))

    # -- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Playground {self.to_json()} at step {self.run.step}>"


def playground(config: str | dict | None = None, *, X: Any = None, y: Any = None) -> Playground:
    """The chapter 8 playground: a small classifier on 2-D data, every setting a control.

    Parameters
    ----------
    config : str, dict or None
        A name from ``PLAYGROUND_PRESETS``, a dict of settings (keys of
        ``dlbasics.widgets.playground_core.DEFAULTS``) or the JSON text of
        :meth:`Playground.to_json`. Missing settings take their defaults.
    X, y : arrays, optional
        Your own points, shape ``(n, 2)``, and integer class labels ``0 … K−1`` (2 ≤ K ≤ 5):
        the data set ``"custom"``.
    """
    return Playground(config, X=X, y=y)


def playground_frames(preset: str, *, frames: int = 10, steps: int = 600,
                      values: Sequence[int] | None = None) -> list[Frame]:
    """The pictures of :func:`playground_twin`: ``frames`` snapshots of a preset's run at
    evenly spaced steps from 0 to ``steps``, or at the steps ``values`` (in increasing order);
    fewer steps if it diverges."""
    if preset not in PLAYGROUND_PRESETS:
        raise ValueError(f"playground_twin: unknown preset {preset!r}; choose one of "
                         f"{', '.join(PLAYGROUND_PRESETS)}")
    if values is None:
        if int(frames) < 2:
            raise ValueError(f"playground_twin: frames must be at least 2, got {frames}")
        values = [int(t) for t in
                  (np.linspace(0, int(steps), int(frames)) / 10).round().astype(int) * 10]
    elif len(values) < 2 or any(b < a for a, b in pairwise(values)):
        raise ValueError(f"playground_twin: values must be at least two steps in increasing "
                         f"order, got {list(values)}")
    run = Run(validate_config(PLAYGROUND_PRESETS[preset][1]))
    grid = boundary_grid(run)
    shots = []
    for target in values:
        while run.step < target and not run.diverged:
            run.advance(min(STEPS_PER_CHUNK, int(target) - run.step))
        shots.append(make_frame(run, grid))
    return shots


def playground_twin(preset: str, *, frames: int = 10, steps: int = 600,
                    values: Sequence[int] | None = None) -> HTML:
    """A preset's training as a scrubbable animation that plays offline (no kernel, no
    network): ``frames`` pictures from step 0 to ``steps``, or one at each step of
    ``values``."""
    shots = playground_frames(preset, frames=frames, steps=steps, values=values)
    description = PLAYGROUND_PRESETS[preset][0]
    fig = new_figure(*TWIN_FIGSIZE, dpi=DPI)
    last = int(steps) if values is None else int(values[-1])
    view = PlaygroundView(fig, health=True, fixed_steps=last)
    alt = (f"Animation, {len(shots)} frames, of the playground preset {preset!r} training from "
           f"step 0 to {shots[-1].step}: {description} Left, a small picture of what each "
           "input and hidden unit computes over the plane, one column per layer; middle, the "
           "decision regions with the training points (circles) and validation points "
           "(triangles); right, the training and validation cost per step; below, the health "
           "of each layer.")
    return HTML(scrubbable_html(fig, lambda i: view.update(shots[i]), len(shots),
                                interval_ms=700, alt=alt))


#: The chapter's twin: the deep network on the two spirals, step 0 to 600.
TWIN_PRESET = "spirals_deep"

#: The website's twin: the data set, the hidden layers and the activation, every other setting
#: as in :data:`TWIN_PRESET` (16 units a layer, learning rate 0.02, 400 points with noise 0.05),
#: each network trained :data:`TWIN_STEPS` steps. The spirals have two arms, as in the preset;
#: the blobs five classes (:data:`TWIN_CLASSES`), as in ``"blobs_five"``.
TWIN_STEPS = 2000
TWIN_CLASSES = {"blobs": 5}


@dataclass(frozen=True)
class TwinFrame(Frame):
    """A :class:`Frame` with the note of the website twin's picture (its text for readers who
    do not see it): accuracy, costs and the health of each layer."""

    message: str = ""


def _twin_note(run: Run) -> str:
    shape = " → ".join(str(n) for n in [len(run.features), *(d.n_out for d in run.dense)])
    if run.diverged:
        head = f"Diverged at step {run.diverged_at}."
    else:
        head = (f"After {run.step} steps: validation accuracy {run.accuracy():.0%}, training "
                f"cost {run.history['train'][-1]:.3f}, validation cost "
                f"{run.history['test'][-1]:.3f}.")
    layers = []
    for h in run.health:
        off = (f", {h.dead:.0%} dead" if h.dead is not None else
               f", {h.saturated:.0%} saturated" if h.saturated is not None else "")
        layers.append(f"{h.name} ({h.units} {h.activation}): gradient norm "
                      f"{h.grad_norm:.2g}{off}")
    return (f"{run.config['dataset'].capitalize()}, {run.n_classes} classes; network {shape}. "
            f"{head} Health of each layer: {'; '.join(layers)}.")


def twin_result(**settings: Any) -> TwinFrame:
    """The website twin's picture of the playground's control ``settings``: a run trained
    :data:`TWIN_STEPS` steps, chunk by chunk as Play trains it (the blobs with the classes of
    :data:`TWIN_CLASSES`)."""
    values = {**settings, "classes": TWIN_CLASSES.get(settings["dataset"], settings["classes"])}
    run = Run(validate_config(config_of(values)))
    while run.step < TWIN_STEPS and run.advance(min(STEPS_PER_CHUNK, TWIN_STEPS - run.step)):
        pass
    frame = make_frame(run, boundary_grid(run))
    return TwinFrame(**{f.name: getattr(frame, f.name) for f in fields(frame)},
                     message=_twin_note(run))


TWIN_GRID = TwinGrid(
    {"dataset": ("xor", "spirals", "blobs"), "layers": (0, 1, 2, 3), "activation": ACTIVATIONS},
    fixed={k: v for k, v in
           control_values(validate_config(PLAYGROUND_PRESETS[TWIN_PRESET][1])).items()
           if k not in ("dataset", "layers", "activation")},
    start={"dataset": "spirals", "layers": 3, "activation": "leaky_relu"},
    figsize=FIGSIZE, result=twin_result,
    alt=f"The playground after {TWIN_STEPS} training steps. Left: a small picture of what each "
        "input and hidden unit computes over the plane, one column per layer (red high, blue "
        "low, white at 0). Middle: the decision regions shaded by the predicted class, paler "
        "where the network is unsure, with the training points (circles) and validation points "
        "(triangles), titled with the validation accuracy. Right: the training and validation "
        "cost per step, log scale.")

SPEC = ExplorerSpec("playground", 8, playground, make_frame, PlaygroundView,
                    partial(playground_twin, TWIN_PRESET), sweep="step", grid=TWIN_GRID)
