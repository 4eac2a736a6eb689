"""The playground's controls (chapter 8): one per setting, on three tabs, and the mapping
between the controls' values and a configuration.

A configuration (:data:`~dlbasics.widgets.playground_config.DEFAULTS`) has one key per control,
except ``units`` (one slider per hidden layer, :data:`UNIT_CONTROLS`) and ``features`` (one
toggle per input, :data:`FEATURE_CONTROLS`): :func:`control_values` and :func:`config_of` turn
one into the other.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ._layout import Block
from .playground_core import (
    ACTIVATIONS,
    BATCH_SIZES,
    DATASETS,
    DEFAULTS,
    FEATURE_LABELS,
    FEATURES,
    INITS,
    MAX_LAYERS,
    MAX_UNITS,
    OPTIMIZERS,
    PENALTIES,
    hidden_units,
)

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
#: The input toggles take the last two rows of the data tab's (the block :data:`INPUTS`).
SIDE = ("dataset", "seed", "layers", "activation", "init", "batch_norm", "optimizer",
        "batch_size", "l1", "l2", *FEATURE_CONTROLS)
FEATURE_ROWS = (FEATURE_CONTROLS[:4], FEATURE_CONTROLS[4:])
#: The input toggles, in two rows under one label.
INPUTS = Block(FEATURE_ROWS, tooltip="the network's inputs: switch extra ones on, as in "
              "TensorFlow Playground")
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


def make_controls(custom: bool) -> dict[str, widgets.ValueWidget]:
    penalty_options = [(f"{v:g}", v) for v in PENALTIES]
    """One control per setting (``custom``: the data set menu offers your own arrays), each
    with its tooltip from :data:`HELP`."""
    kw = {"continuous_update": False}  # widths and labels: the explorer's layout
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


def shown_value(control: widgets.ValueWidget) -> str:
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


def greyed_out(values: dict[str, Any]) -> set[str]:
    """The controls the settings ``values`` ignore: the width of hidden layers beyond
    ``layers``, classes of the 2-class data sets, noise and points of your own data, dropout
    and batch normalization with no hidden layer; and the toggle of the only input left (the
    network needs one)."""
    off = {k for i, k in enumerate(UNIT_CONTROLS) if i >= values["layers"]}
    on = [k for k in FEATURE_CONTROLS if values[k]]
    if len(on) == 1:
        off.add(on[0])
    if values["dataset"] not in ("blobs", "spirals"):
        off.add("classes")
    if values["dataset"] == "custom":
        off |= {"noise", "n_points"}
    if values["layers"] == 0:
        off |= {"dropout", "batch_norm"}
    return off
