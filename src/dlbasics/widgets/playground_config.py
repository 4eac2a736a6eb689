"""The playground's configuration (chapter 8): every setting, its default and its range.

A configuration is a plain dict
(:data:`~dlbasics.widgets.playground_config.DEFAULTS` lists every key and its default);
:func:`validate_config` checks one and :func:`config_to_json` / :func:`config_from_json` turn
it into a short JSON string and back. ``units`` is one number (every hidden layer that wide)
or a list with one number per hidden layer, e.g. ``{"layers": 3, "units": [8, 8, 4]}``;
:func:`hidden_units` gives the list either way. ``features`` names the network's inputs
(:data:`~dlbasics.widgets.playground_config.FEATURES`). :mod:`dlbasics.widgets.playground_core`
trains a configuration.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

DATASETS = ("xor", "circles", "moons", "spirals", "blobs")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
INITS = ("auto", "he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "normal", "zeros")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PENALTIES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
MAX_LAYERS, MAX_UNITS, MAX_CLASSES = 4, 16, 5
#: The inputs the network can be given, computed from the standardized coordinates x₁, x₂.
FEATURES = ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2")
#: How each input is written on the controls and pictures.
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1_sq": "x₁²", "x2_sq": "x₂²", "x1_x2": "x₁x₂",
                  "sin_x1": "sin x₁", "sin_x2": "sin x₂"}
LR_RANGE = (1e-4, 10.0)
STEPS_PER_CHUNK = 20
MAX_STEPS = 20_000  # Play stops here
HUGE_COST = 1e3  # a cross-entropy this large means the logits have blown up

#: Every configuration key with its default value (the order of the panel's controls).
DEFAULTS: dict[str, Any] = {
    "dataset": "circles",
    "classes": 3,
    "noise": 0.1,
    "n_points": 200,
    "train_fraction": 0.5,
    "features": ("x1", "x2"),
    "layers": 2,
    "units": 6,
    "activation": "tanh",
    "init": "auto",
    "lr": 0.03,
    "optimizer": "adam",
    "batch_size": 16,
    "l1": 0.0,
    "l2": 0.0,
    "dropout": 0.0,
    "batch_norm": False,
    "seed": 0,
}

#: What each key means, for error messages and the API page.
DESCRIPTIONS: dict[str, str] = {
    "dataset": f"data set: one of {', '.join(DATASETS)} (or 'custom' for your own X, y)",
    "classes": "number of classes of blobs and spirals (2 to 5)",
    "noise": "standard deviation of the noise added to the points (0 to 0.5)",
    "n_points": "number of points, training and validation together (40 to 400)",
    "train_fraction": ("fraction of the points used for training (0.1 to 0.9); "
                       "the rest for validation"),
    "features": ("list of the network's inputs, at least one of "
                 + ", ".join(f"{f} ({FEATURE_LABELS[f]})" for f in FEATURES)
                 + ", computed from the standardized coordinates"),
    "layers": "number of hidden layers (0 to 4)",
    "units": ("number of units per hidden layer (1 to 16): one number for every layer, or a "
              "list with one number per layer, e.g. [8, 4] for layers=2"),
    "activation": f"hidden activation: one of {', '.join(ACTIVATIONS)}",
    "init": f"weight initialization: one of {', '.join(INITS)}",
    "lr": "learning rate (1e-4 to 10)",
    "optimizer": f"optimizer: one of {', '.join(OPTIMIZERS)}",
    "batch_size": f"examples per step: one of {', '.join(map(str, BATCH_SIZES))}",
    "l1": f"L1 strength: one of {', '.join(f'{v:g}' for v in PENALTIES)}",
    "l2": f"L2 strength: one of {', '.join(f'{v:g}' for v in PENALTIES)}",
    "dropout": "dropout rate after each hidden layer (0 to 0.5)",
    "batch_norm": "batch normalization after each hidden Dense layer (true or false)",
    "seed": "random seed of the data, the initial weights and the shuffling (0 to 99)",
}

_RANGES: dict[str, tuple[float, float]] = {
    "classes": (2, MAX_CLASSES), "noise": (0.0, 0.5), "n_points": (40, 400),
    "train_fraction": (0.1, 0.9), "layers": (0, MAX_LAYERS), "units": (1, MAX_UNITS),
    "lr": LR_RANGE, "dropout": (0.0, 0.5), "seed": (0, 99),
}
_CHOICES: dict[str, tuple] = {
    "activation": ACTIVATIONS, "init": INITS, "optimizer": OPTIMIZERS,
    "batch_size": BATCH_SIZES, "l1": PENALTIES, "l2": PENALTIES,
}
_INTEGER = {"classes", "n_points", "layers", "units", "seed", "batch_size"}


# --- configuration ------------------------------------------------------------------------------
def _bad(key: str, value: Any, why: str) -> ValueError:
    return ValueError(f"playground: {key}={value!r} {why}. {key} is the {DESCRIPTIONS[key]}.")


def validate_config(config: dict[str, Any] | None = None, *, custom: bool = False,
                    base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete, checked configuration: ``base`` (default
    :data:`~dlbasics.widgets.playground_config.DEFAULTS`) updated with ``config``. Unknown
    keys and out-of-range values raise :class:`ValueError` naming the valid keys or values.
    ``custom`` says whether the learner's own ``X, y`` are available."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValueError(f"playground: a configuration is a dict of settings, got "
                         f"{type(config).__name__}; valid keys: {', '.join(DEFAULTS)}")
    unknown = [k for k in config if k not in DEFAULTS]
    if unknown:
        raise ValueError(f"playground: unknown setting(s) {', '.join(map(repr, unknown))}; the "
                         f"valid keys are: {', '.join(DEFAULTS)}")
    out = dict(DEFAULTS if base is None else base)
    for key, value in config.items():
        out[key] = _check_value(key, value, custom)
    units, layers = out["units"], out["layers"]
    if isinstance(units, list):
        if len(units) != layers:
            entries = f"{len(units)} entr{'y' if len(units) == 1 else 'ies'}"
            if layers:
                example = (units + [units[-1]] * MAX_LAYERS)[:layers] if units else [8] * layers
                fix = (f"give one width per hidden layer (units={example}) or one number for "
                       "every layer (units=8)")
            else:
                fix = "with no hidden layer, leave units out"
            raise ValueError(f"playground: units={units} has {entries} but layers is {layers}; "
                             f"{fix}. units is the {DESCRIPTIONS['units']}.")
        # the shortest form: one number when every layer has the same width
        if not units:
            out["units"] = DEFAULTS["units"]
        elif len(set(units)) == 1:
            out["units"] = units[0]
    return out


def hidden_units(config: dict[str, Any]) -> list[int]:
    """The width of each hidden layer, e.g. ``[8, 8, 4]`` (empty with no hidden layer)."""
    units = config["units"]
    return list(units) if isinstance(units, list) else [units] * config["layers"]


def _check_value(key: str, value: Any, custom: bool) -> Any:
    if key == "dataset":
        valid = DATASETS + (("custom",) if custom else ())
        if value not in valid:
            hint = (" ('custom' needs your arrays: playground(X=..., y=...))"
                    if value == "custom" else "")
            raise _bad(key, value, f"is not a data set here{hint}; choose one of "
                       f"{', '.join(valid)}")
        return value
    if key == "units" and isinstance(value, (list, tuple)):
        if len(value) > MAX_LAYERS:
            raise _bad(key, value, f"has {len(value)} entries, but there are at most "
                       f"{MAX_LAYERS} hidden layers")
        widths = []
        for i, v in enumerate(value, 1):
            ok = (not isinstance(v, (bool, np.bool_)) and isinstance(v, (int, float, np.integer,
                  np.floating)) and math.isfinite(float(v)) and float(v) == round(float(v)))
            if not ok:
                raise _bad(key, value, f"has entry {i} = {v!r}, which is not a whole number")
            if not 1 <= round(float(v)) <= MAX_UNITS:
                raise _bad(key, value, f"has entry {i} = {v!r}, out of range; each layer has "
                           f"between 1 and {MAX_UNITS} units")
            widths.append(round(float(v)))
        return widths
    if key == "features":
        return _check_features(value)
    if key == "batch_norm":
        if not isinstance(value, (bool, np.bool_)):
            raise _bad(key, value, "must be true or false")
        return bool(value)
    if key in ("activation", "init", "optimizer"):
        if value not in _CHOICES[key]:
            raise _bad(key, value, f"is not an option; choose one of "
                       f"{', '.join(_CHOICES[key])}")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise _bad(key, value, "must be a number")
    if key in _CHOICES:
        for c in _CHOICES[key]:
            if math.isclose(float(value), c, rel_tol=1e-9, abs_tol=1e-12):
                return c
        raise _bad(key, value, "is not an option; choose one of "
                   + ", ".join(f"{c:g}" for c in _CHOICES[key]))
    low, high = _RANGES[key]
    v = float(value)
    if not math.isfinite(v) or not low <= v <= high:
        raise _bad(key, value, f"is out of range; it must be between {low:g} and {high:g}")
    if key in _INTEGER:
        if v != round(v):
            raise _bad(key, value, "must be a whole number")
        return round(v)
    return float(f"{v:.6g}")  # slider steps such as 0.30000000000000004 become 0.3


def _check_features(value: Any) -> tuple[str, ...]:
    """A list of input names → a tuple in
    :data:`~dlbasics.widgets.playground_config.FEATURES` order, each name once."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _bad("features", value, 'must be a list of input names, e.g. ["x1", "x2", '
                   '"x1_sq"]')
    unknown = [v for v in value if not isinstance(v, str) or v not in FEATURES]
    if unknown:
        raise _bad("features", value, f"names {', '.join(map(repr, unknown))}, which "
                   f"{'is' if len(unknown) == 1 else 'are'} not an input; the inputs are "
                   f"{', '.join(FEATURES)}")
    if not value:
        raise _bad("features", value, "switches every input off; the network needs at least "
                   "one")
    return tuple(f for f in FEATURES if f in value)


def config_to_json(config: dict[str, Any]) -> str:
    """The configuration as short JSON: only the keys that differ from
    :data:`~dlbasics.widgets.playground_config.DEFAULTS`, in a fixed order, with compact
    separators."""
    diff = {k: list(config[k]) if isinstance(config[k], tuple) else config[k]
            for k in DEFAULTS if config[k] != DEFAULTS[k]}
    return json.dumps(diff, separators=(",", ":"))


def config_from_json(text: str, *, custom: bool = False) -> dict[str, Any]:
    """Parse and check a string from :func:`config_to_json` (missing keys take their
    defaults); bad JSON, unknown keys and out-of-range values raise :class:`ValueError`."""
    if not isinstance(text, str):
        raise ValueError(f"playground: expected the JSON text from to_json(), got "
                         f"{type(text).__name__}")
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"playground: this is not valid JSON ({exc.msg} at character "
                         f"{exc.pos}); paste the text that to_json() gave, e.g. "
                         '{"dataset":"xor","lr":0.1}') from None
    if not isinstance(data, dict):
        raise ValueError("playground: the JSON must be an object of settings such as "
                         '{"dataset":"xor","lr":0.1}; valid keys: ' + ", ".join(DEFAULTS))
    return validate_config(data, custom=custom)
