"""Classification-loss explorer (chapter 3): how cross-entropy and squared error treat a
confident wrong prediction.

One example with label :math:`y` and predicted probability
:math:`p = \\sigma(z)`: binary cross-entropy and squared error as functions of :math:`p`, and
their gradients with respect to the logit :math:`z`, where squared error's gradient vanishes
for a confident wrong prediction and cross-entropy's does not. Nothing is trained and
nothing is cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure

from ..activations import sigmoid, sigmoid_grad
from ..losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits_grad,
    squared_error,
    squared_error_grad,
)
from ..plotting import PALETTE
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

Z_LIMIT = 8.0  # the gradient panel shows z in [-Z_LIMIT, Z_LIMIT]
LOSS_LIMIT = 5.0  # the loss panel's top


@dataclass(frozen=True)
class ClassificationLossResult:
    """Cross-entropy and squared error for one example with label ``y``."""

    y: int
    p: float  # as set
    p_used: float  # p clipped to [ε, 1 − ε] (ε: machine epsilon), as the package does
    z: float  # the logit with σ(z) = p_used
    p_grid: np.ndarray
    ce_curve: np.ndarray  # binary cross-entropy against p
    se_curve: np.ndarray  # squared error (p − y)² against p
    z_grid: np.ndarray
    ce_grad_curve: np.ndarray  # ∂L/∂z = σ(z) − y
    se_grad_curve: np.ndarray  # ∂L/∂z = 2(σ(z) − y) σ'(z)
    ce: float
    se: float
    ce_grad: float
    se_grad: float
    headline: str
    message: str


@cache
def _curves(y: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             np.ndarray]:
    p = np.linspace(0.0, 1.0, 401)[1:-1]
    z = np.linspace(-Z_LIMIT, Z_LIMIT, 401)
    yp, yz = np.full_like(p, y), np.full_like(z, y)
    s = sigmoid(z)
    curves = (p, binary_cross_entropy(p, yp), squared_error(p, yp), z,
              binary_cross_entropy_with_logits_grad(z, yz),
              squared_error_grad(s, yz) * sigmoid_grad(z))
    for a in curves:
        a.flags.writeable = False
    return curves


def compute_classification_loss(p: float = 0.1, y: int = 1) -> ClassificationLossResult:
    """Losses and logit-gradients of one prediction ``p`` for the label ``y`` (0 or 1).

    ``p`` may be exactly 0 or 1: like ``binary_cross_entropy``, the logit and the values use
    ``p`` clipped to :math:`[\\epsilon, 1 - \\epsilon]`, so nothing is infinite.
    """
    if y not in (0, 1):
        raise ValueError(f"the label y must be 0 or 1, got {y!r}")
    eps = np.finfo(float).eps
    p_used = float(np.clip(p, eps, 1.0 - eps))
    z = float(np.log(p_used) - np.log1p(-p_used))
    arr_p, arr_y, arr_z = np.array([p_used]), np.array([float(y)]), np.array([z])
    ce = float(binary_cross_entropy(arr_p, arr_y)[0])
    se = float(squared_error(arr_p, arr_y)[0])
    ce_grad = float(binary_cross_entropy_with_logits_grad(arr_z, arr_y)[0])
    se_grad = float(squared_error_grad(sigmoid(arr_z), arr_y)[0] * sigmoid_grad(arr_z)[0])
    wrong = abs(p_used - y)
    headline = (f"label y = {y}, predicted p = {p:g}, logit z = {z:.2f}\n"
                f"cross-entropy {ce:.3g} (∂L/∂z = {ce_grad:+.3g});  "
                f"squared error {se:.3g} (∂L/∂z = {se_grad:+.3g})")
    note = ""
    if p != p_used:
        note = (f"p = {p:g} exactly: one of log p and log(1 − p) would be log 0 = −∞, so the "
                f"package clips p to [ε, 1 − ε] with ε = {eps:.1e} and the loss stays finite. ")
    ratio = abs(ce_grad) / abs(se_grad) if se_grad != 0 else np.inf
    grads = (f"cross-entropy's gradient with respect to the logit is {ce_grad:+.3g}, squared "
             f"error's {se_grad:+.3g}, {ratio:.3g} times smaller")
    if wrong >= 0.9:
        note += (f"A confidently wrong prediction: {grads}. Squared error barely corrects the "
                 "mistake; cross-entropy corrects it at full strength.")
    elif wrong > 0.5:
        note += f"A wrong prediction: {grads}."
    elif wrong == 0.5:
        note += f"p = 0.5, undecided: {grads}."
    else:
        note += f"A prediction on the right side: both losses are small; {grads}."
    return ClassificationLossResult(y, float(p), p_used, z, *_curves(y), ce, se, ce_grad,
                                    se_grad, headline, note)


class ClassificationLossView:
    """Left: the two losses against p. Right: their gradients with respect to the logit z."""

    def __init__(self, fig: Figure) -> None:
        fig.set_layout_engine(None)
        grid = fig.add_gridspec(1, 2, left=0.07, right=0.985, bottom=0.13, top=0.8,
                                wspace=0.22)
        self.ax_loss, self.ax_grad = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        ce_color, se_color = PALETTE["vermillion"], PALETTE["blue"]
        a = self.ax_loss
        (self.ce_line,) = a.plot([], [], color=ce_color, lw=2.2, label="cross-entropy")
        (self.se_line,) = a.plot([], [], color=se_color, lw=2.2, ls="--",
                                 label="squared error $(p - y)^2$")
        (self.ce_dot,) = a.plot([], [], "o", color=ce_color, ms=8)
        (self.se_dot,) = a.plot([], [], "s", color=se_color, ms=7)
        a.set(xlim=(0, 1), ylim=(0, LOSS_LIMIT))
        a.set_xlabel("predicted probability p", labelpad=1)
        a.set_ylabel("loss")
        a.legend(loc="upper center", fontsize=8, frameon=False)
        self.loss_title = a.text(0.0, 1.02, "", transform=a.transAxes, fontsize=9)
        g = self.ax_grad
        g.axhline(0, color="0.8", lw=0.8, zorder=0)
        (self.ce_grad_line,) = g.plot([], [], color=ce_color, lw=2.2,
                                      label="cross-entropy: $\\sigma(z) - y$")
        (self.se_grad_line,) = g.plot([], [], color=se_color, lw=2.2, ls="--",
                                      label="squared error: $2(\\sigma(z) - y)\\,\\sigma'(z)$")
        (self.ce_grad_dot,) = g.plot([], [], "o", color=ce_color, ms=8)
        (self.se_grad_dot,) = g.plot([], [], "s", color=se_color, ms=7)
        g.set(xlim=(-Z_LIMIT, Z_LIMIT), ylim=(-1.15, 1.15))
        g.set_xlabel("logit z (p = σ(z))", labelpad=1)
        g.set_ylabel("∂L/∂z")
        g.set_title("∂L/∂z: cross-entropy σ(z) − y;\nsquared error 2(σ(z) − y)σ′(z)",
                    loc="left", fontsize=8.5)
        self.headline = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=9.5)
        dots = [self.ce_dot, self.se_dot, self.ce_grad_dot, self.se_grad_dot]
        # Everything that depends on the label is redrawn each time (four lines are cheap), so
        # the axes, ticks and legend are drawn once, whichever label is chosen.
        self.dynamic_artists = [self.ce_line, self.se_line, self.ce_grad_line, self.se_grad_line,
                                *dots, self.loss_title, self.headline]
        for dot in dots:
            dot.set_clip_on(False)  # a marker at the panel's edge is drawn whole

    def update(self, r: ClassificationLossResult) -> None:
        self.ce_line.set_data(r.p_grid, r.ce_curve)
        self.se_line.set_data(r.p_grid, r.se_curve)
        self.ce_grad_line.set_data(r.z_grid, r.ce_grad_curve)
        self.se_grad_line.set_data(r.z_grid, r.se_grad_curve)
        self.loss_title.set_text(f"loss of one example with label y = {r.y}")
        self.ce_dot.set_data([r.p_used], [min(r.ce, LOSS_LIMIT * 0.98)])
        self.se_dot.set_data([r.p_used], [r.se])
        zc = float(np.clip(r.z, -Z_LIMIT, Z_LIMIT))  # off the panel: drawn at its edge
        self.ce_grad_dot.set_data([zc], [r.ce_grad])
        self.se_grad_dot.set_data([zc], [r.se_grad])
        self.headline.set_text(r.headline)


CLASSIFICATION_FIGSIZE = (9.0, 3.8)


def classification_loss_explorer(p: float = 0.1, y: int = 1) -> Explorer:
    """Pick a predicted probability and a label; compare cross-entropy and squared error."""
    controls = {
        "p": widgets.FloatSlider(value=p, min=0.0, max=1.0, step=0.01,
                                 description="predicted p", readout_format=".2f"),
        "y": widgets.Dropdown(options=[0, 1], value=y, description="true label y"),
    }
    return Explorer("Classification-loss explorer", controls, compute_classification_loss,
                    ClassificationLossView, figsize=CLASSIFICATION_FIGSIZE)


#: The probabilities of the chapter's twin.
CLASSIFICATION_TWIN_VALUES = (0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.99)


def classification_loss_twin(values: Sequence[float] | None = None, y: int = 1) -> HTML:
    """Static twin of :func:`classification_loss_explorer`: p swept from 0.01 to 0.99."""
    values = list(CLASSIFICATION_TWIN_VALUES if values is None else values)
    alt = (f"Animation, {len(values)} frames: the predicted probability p of an example with "
           f"label {y} goes from {values[0]:g} to {values[-1]:g}. Left, cross-entropy rises "
           "steeply as p moves away from the label while squared error stays below 1. Right, "
           "the gradients with respect to the logit: cross-entropy's is close to ±1 for a "
           "confident wrong prediction, squared error's falls towards 0 there.")
    return static_twin(compute_classification_loss, ClassificationLossView, "p", values,
                       figsize=CLASSIFICATION_FIGSIZE, interval_ms=600, alt=alt, y=y)


#: The website's twin is 7.9 inches wide, not 9: shown in the 688 px text column, its
#: 8-point labels stay at least 9 CSS pixels tall.
TWIN_WIDTH = 7.9

#: The website's classification-loss twin: p from exactly 0 to exactly 1, for either label.
CLASSIFICATION_LOSS_TWIN_GRID = TwinGrid(
    {"p": (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
           1.0),
     "y": (0, 1)},
    start={"p": 0.1, "y": 1}, figsize=(TWIN_WIDTH, CLASSIFICATION_FIGSIZE[1]),
    alt="Left, the cross-entropy and squared-error losses of one example against the predicted "
        "probability p, with a marker at the chosen p. Right, their gradients with respect to "
        "the logit z, with markers at z for that p. The line above gives p, z, both losses "
        "and both gradients.")

CLASSIFICATION_LOSS_SPEC = ExplorerSpec(
    "classification loss", 3, classification_loss_explorer, compute_classification_loss,
    ClassificationLossView, classification_loss_twin, sweep="p",
    values=CLASSIFICATION_TWIN_VALUES, grid=CLASSIFICATION_LOSS_TWIN_GRID)
