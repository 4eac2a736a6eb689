"""Neuron explorer (chapter 1): two weights, a bias and an activation over the logic gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure

from ..activations import get_activation
from ..datasets import logic_gate
from ..neuron import decision_line
from ..plotting import CLASS_COLORS, PALETTE, SURFACE_CMAP, half_ticks
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

GATES = ("and", "or", "nand", "xor")
NEURON_ACTIVATIONS = ("step", "sigmoid", "tanh", "relu")
LIMITS = (-0.5, 1.5)
_GRID = np.linspace(*LIMITS, 121)
#: The biases of the chapter's twin.
TWIN_BIASES = tuple(np.round(np.linspace(-2.5, 0.5, 13), 2))
_GRID_POINTS = np.stack(np.meshgrid(_GRID, _GRID), axis=-1).reshape(-1, 2)


@dataclass(frozen=True)
class NeuronResult:
    """Everything the neuron explorer shows for one setting of its controls."""

    w1: float
    w2: float
    b: float
    activation: str
    gate: str
    surface: np.ndarray  # (121, 121) neuron output a over the square [-0.5, 1.5]²
    surface_range: tuple[float, float]
    line: tuple[str, np.ndarray] | None  # see dlbasics.neuron.decision_line
    X: np.ndarray  # the four inputs
    y: np.ndarray  # the gate's truth table
    fires: np.ndarray  # z >= 0 at each point: the neuron's answer
    wrong: np.ndarray  # boolean mask of the points it gets wrong
    message: str


def compute_neuron(
    w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "step", gate: str = "and"
) -> NeuronResult:
    """The neuron :math:`a = g(w_1 x_1 + w_2 x_2 + b)` evaluated on a grid and on the gate's points.

    The neuron answers 1 where :math:`z \\ge 0`, the side of the decision line the weights point
    to; the activation changes the output surface, not where that line is.
    """
    g = get_activation(activation)
    w = np.array([w1, w2], dtype=float)
    X, y = logic_gate(gate)
    surface = g(_GRID_POINTS @ w + b).reshape(_GRID.size, _GRID.size)
    low, high = {"step": (0.0, 1.0), "sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(
        activation, (0.0, float(max(1.0, np.ceil(surface.max()))))  # whole numbers: the colour
    )  # bar is redrawn only when the ReLU's largest output passes one
    fires = (X @ w + b) >= 0
    wrong = fires != y.astype(bool)
    n_wrong = int(wrong.sum())
    if n_wrong == 0:
        message = f"All four {gate.upper()} points are on the right side of the line."
    else:
        message = f"{n_wrong} of 4 {gate.upper()} points are on the wrong side (ringed in orange)."
        if gate == "xor":
            message += " No single line separates XOR: at least one point is always wrong."
    return NeuronResult(
        float(w1), float(w2), float(b), activation, gate, surface, (low, high),
        decision_line(w, b), X, y, fires, wrong, message,
    )


class NeuronView:
    """Output surface, decision line and the four labelled points, redrawn in place."""

    def __init__(self, fig: Figure) -> None:
        self.ax = ax = fig.add_subplot()
        self.image = ax.imshow(
            np.zeros((2, 2)), origin="lower", extent=(*LIMITS, *LIMITS), cmap=SURFACE_CMAP,
            vmin=0, vmax=1, aspect="equal", alpha=0.55,  # pale, so the points stand out
        )
        self.colorbar = fig.colorbar(self.image, ax=ax)
        # Above the bar, not beside it: wider tick labels (tanh's −1.00) would push a side
        # label off the figure, whose layout is fixed after the first draw.
        self.colorbar.ax.set_title("output $a$", fontsize=9)
        (self.line,) = ax.plot([], [], color=PALETTE["black"], lw=2, label="decision line $z=0$")
        self.points = [
            ax.scatter([], [], s=150, color=CLASS_COLORS[k], edgecolor="black", linewidth=1.5,
                       zorder=3, marker="os"[k], label=f"target {k}")
            for k in (0, 1)
        ]
        self.wrong = ax.scatter([], [], s=420, facecolor="none", edgecolor=PALETTE["vermillion"],
                                linewidth=2.5, zorder=4, label="wrong")
        ax.set(xlim=LIMITS, ylim=LIMITS, xlabel="$x_1$", ylabel="$x_2$")
        half_ticks(ax)
        ax.set_title(" ", fontsize=10)
        # The colour bar is redrawn with the rest (about 20 ms) rather than kept in the static
        # background: its scale changes with the activation, and a full redraw costs ~150 ms.
        self.dynamic_artists = [self.image, self.line, *self.points, self.wrong, ax.title,
                                self.colorbar.ax]
        fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
        # Lay the figure out once for the widest tick labels (tanh's −1.00), then keep it.
        self.image.set_clim(-1.0, 1.0)
        fig.canvas.draw()
        fig.set_layout_engine("none")

    def update(self, r: NeuronResult) -> None:
        self.image.set_data(r.surface)
        self.image.set_clim(*r.surface_range)
        if r.line is None:
            self.line.set_data([], [])
        elif r.line[0] == "y":
            m, c = r.line[1]
            self.line.set_data(np.array(LIMITS), m * np.array(LIMITS) + c)
        else:
            x1 = r.line[1][0]
            self.line.set_data([x1, x1], list(LIMITS))
        for k, scatter in enumerate(self.points):
            scatter.set_offsets(r.X[r.y == k])
        self.wrong.set_offsets(r.X[r.wrong] if r.wrong.any() else np.empty((0, 2)))
        self.ax.title.set_text(
            f"{r.gate.upper()}, {r.activation}: $w_1$={r.w1:.1f}, $w_2$={r.w2:.1f}, $b$={r.b:.1f}"
            f"  ({int(r.wrong.sum())} wrong)"
        )


def neuron_explorer(
    w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "step", gate: str = "and"
) -> Explorer:
    """Move a neuron's two weights and bias, and see its decision line and output surface over
    the AND / OR / NAND / XOR points, with the points it gets wrong ringed."""
    slider = dict(min=-3.0, max=3.0, step=0.1, continuous_update=True, readout_format=".1f")
    controls = {
        "w1": widgets.FloatSlider(value=w1, description="w₁", **slider),
        "w2": widgets.FloatSlider(value=w2, description="w₂", **slider),
        "b": widgets.FloatSlider(value=b, description="bias b", **slider),
        "activation": widgets.Dropdown(options=NEURON_ACTIVATIONS, value=activation,
                                       description="activation"),
        "gate": widgets.Dropdown(options=GATES, value=gate, description="gate"),
    }
    return Explorer("Neuron explorer", controls, compute_neuron, NeuronView, figsize=(5.6, 4.6))


def neuron_twin(sweep: str = "b", values: Sequence[Any] | None = None,
                **fixed: Any) -> HTML:
    """Static twin of :func:`neuron_explorer`: the bias (by default) swept as an animation."""
    frames = TWIN_BIASES if values is None else values
    return static_twin(compute_neuron, NeuronView, sweep, frames, figsize=(5.6, 4.6), **fixed)


#: The website's twin: the gate, the bias and the second weight, with w1 = 1.
TWIN_GRID = TwinGrid(
    {"gate": GATES, "b": tuple(float(b) for b in np.arange(-3.0, 1.01, 0.5)),
     "w2": (-1.0, 0.0, 1.0)},
    fixed={"w1": 1.0, "activation": "step"}, figsize=(5.6, 4.6),
    alt="The neuron over the unit square: its output as shading, the decision line, the four "
        "inputs of the gate coloured by their target, and the wrong ones ringed.")

SPEC = ExplorerSpec("neuron", 1, neuron_explorer, compute_neuron, NeuronView, neuron_twin,
                    sweep="b", values=TWIN_BIASES, grid=TWIN_GRID)
