"""The playground's ready-made experiments and its twins (chapter 8).

``PLAYGROUND_PRESETS`` holds ready-made experiments; :func:`playground_twin` replays one as an
offline animation (the chapter's twin), and :data:`TWIN_GRID` is the website's twin: the
playground trained :data:`TWIN_STEPS` steps for each combination of data set, hidden layers and
activation (:func:`twin_result`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import Any

import numpy as np
from IPython.display import HTML

from ..plotting import new_figure, scrubbable_html
from .playground_controls import config_of, control_values
from .playground_core import ACTIVATIONS, STEPS_PER_CHUNK, Run, validate_config
from .playground_view import Frame, PlaygroundView, boundary_grid, make_frame
from .twin_grid import TwinGrid

FIGSIZE = (10.5, 3.9)  # the live panel's figure
TWIN_FIGSIZE = (10.5, 5.0)  # the twin's, with the health readout
DPI = 80

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
