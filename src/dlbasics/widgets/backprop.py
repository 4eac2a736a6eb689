"""Backprop stepper (chapter 4): one sigmoid neuron with a squared-error loss, as a graph.

The graph computes, for one example with two inputs,

.. math:: m_1 = w_1 x_1,\\quad m_2 = w_2 x_2,\\quad z = m_1 + m_2 + b,\\quad
          a = \\sigma(z),\\quad L = (a - y)^2,

and the stepper walks through it one node at a time: the forward pass fills in the values, the
loss is computed, the backward pass fills in :math:`\\partial L/\\partial(\\text{node})` from
the loss back to the weights (upstream gradient times local gradient), and a last stage applies
the gradient-descent update :math:`w \\leftarrow w - \\eta\\, \\partial L/\\partial w`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..activations import sigmoid, sigmoid_grad
from ..plotting import PALETTE
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

#: The forward nodes in the order they are computed (stages 1, 2, ...).
FORWARD = ("m1", "m2", "z", "a")
#: The backward nodes in the order their gradients are computed, after the loss.
BACKWARD = ("a", "z", "m1", "m2", "b", "w1", "w2")
#: The stages of the stepper: 0 = the inputs, each forward node, the loss, each backward node,
#: then the update.
STAGES: tuple[str, ...] = (
    "inputs", *(f"forward {n}" for n in FORWARD), "loss",
    *(f"backward {n}" for n in BACKWARD), "update",
)
N_STAGES = len(STAGES)
LEAVES = ("x1", "w1", "x2", "w2", "b", "y")
PARAMS = ("w1", "w2", "b")

# What each node computes, as shown in its box.
_LABELS = {
    "x1": "$x_1$", "w1": "$w_1$", "x2": "$x_2$", "w2": "$w_2$", "b": "$b$", "y": "$y$",
    "m1": r"$m_1 = w_1 x_1$", "m2": r"$m_2 = w_2 x_2$", "z": r"$z = m_1{+}m_2{+}b$",
    "a": r"$a = \sigma(z)$", "L": r"$L = (a - y)^2$",
}
# Box centres in the graph's axes (x from -0.3 to 10.9, y from 0.1 to 6), and half-sizes. The
# leaves are wide enough for an update's "-0.300→-0.382", and the gaps from a leaf to m1 or m2
# and from m1, m2 or b to z hold a gradient's label clear of the boxes.
_POS = {
    # b sits under m2, so its edge to z passes below m2's box, not through it.
    "w1": (0.55, 5.3), "x1": (0.55, 4.3), "w2": (0.55, 3.2), "x2": (0.55, 2.2), "b": (3.1, 1.0),
    "m1": (3.1, 4.8), "m2": (3.1, 2.7), "z": (5.7, 2.9), "a": (7.85, 2.9), "y": (7.85, 0.9),
    "L": (10.0, 2.9),
}
_HALF = {n: (0.77, 0.4) for n in LEAVES} | {
    "m1": (0.7, 0.45), "m2": (0.7, 0.45), "z": (1.0, 0.45), "a": (0.7, 0.45),
    "L": (0.85, 0.45),
}
# Edges child -> parent, in drawing order.
EDGES = (("w1", "m1"), ("x1", "m1"), ("w2", "m2"), ("x2", "m2"), ("m1", "z"), ("m2", "z"),
         ("b", "z"), ("z", "a"), ("a", "L"), ("y", "L"))
_PARENT = {"a": "L", "z": "a", "m1": "z", "m2": "z", "b": "z", "w1": "m1", "w2": "m2"}


@dataclass(frozen=True)
class NodeRow:
    """One row of the backprop table: a node, its value and how its gradient is formed.

    ``grad`` = ``upstream`` × ``local``: the gradient of the loss with respect to the node's
    parent (``upstream``) times the derivative of the parent with respect to this node
    (``local``). For the loss node itself, ``grad`` is 1.
    """

    name: str
    value: float
    local: float | None
    upstream: float | None
    grad: float | None


@dataclass(frozen=True)
class BackpropResult:
    """Everything the stepper shows at one stage."""

    stage: int
    stage_name: str
    current: str | None  # the node highlighted at this stage
    values: dict[str, float]  # forward value of every node (all computed; shown by stage)
    grads: dict[str, float]  # dL/d(node) for every node that has one, and the loss (1.0)
    rows: tuple[NodeRow, ...]  # the table, in backward order from the loss
    shown_values: frozenset[str]  # nodes whose value is visible at this stage
    shown_grads: frozenset[str]  # nodes whose gradient is visible at this stage
    lr: float
    updated: dict[str, float]  # w1, w2, b after one gradient-descent step
    loss_after: float  # the loss with the updated parameters
    table: str  # the table as monospace text, up to this stage
    message: str


def neuron_graph(x1: float, x2: float, w1: float, w2: float, b: float, y: float
                 ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Forward values, local gradients and loss gradients of the neuron's graph.

    Returns ``(values, local, grads)``: ``values[n]`` is node ``n``'s forward value;
    ``local[n]`` = ∂(parent of n)/∂n; ``grads[n]`` = ∂L/∂n (``grads["L"]`` = 1).
    """
    m1, m2 = w1 * x1, w2 * x2
    z = m1 + m2 + b
    a = float(sigmoid(np.asarray(z)))
    L = (a - y) ** 2
    values = {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b, "y": y,
              "m1": m1, "m2": m2, "z": z, "a": a, "L": L}
    local = {"a": 2.0 * (a - y), "z": float(sigmoid_grad(np.asarray(z))), "m1": 1.0,
             "m2": 1.0, "b": 1.0, "w1": x1, "w2": x2}
    grads = {"L": 1.0}
    for node in BACKWARD:  # upstream gradient times local gradient, from the loss backwards
        grads[node] = grads[_PARENT[node]] * local[node]
    return values, local, grads


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:+.4f}" if abs(v) >= 1e-4 or v == 0 else f"{v:+.2e}"


def compute_backprop(x1: float = 1.0, x2: float = -2.0, w1: float = 0.5, w2: float = -0.3,
                     b: float = 0.1, y: float = 1.0, lr: float = 0.5, stage: int = N_STAGES - 1
                     ) -> BackpropResult:
    """The backprop stepper at one stage: pure, no drawing.

    Parameters
    ----------
    x1, x2, w1, w2, b, y : float
        Inputs, weights, bias and target of the neuron :math:`a = \\sigma(w_1x_1 + w_2x_2 + b)`
        with loss :math:`L = (a - y)^2`.
    lr : float
        Learning rate of the update stage.
    stage : int
        0 to ``N_STAGES - 1``, see ``STAGES`` in this module; values outside are clipped.
    """
    stage = int(min(max(int(stage), 0), N_STAGES - 1))
    values, local, grads = neuron_graph(float(x1), float(x2), float(w1), float(w2), float(b),
                                        float(y))
    name = STAGES[stage]
    n_fwd = len(FORWARD)
    shown_values = set(LEAVES)
    shown_values.update(FORWARD[:min(stage, n_fwd)])
    if stage >= n_fwd + 1:
        shown_values.add("L")
    n_back = max(0, min(stage - (n_fwd + 1), len(BACKWARD)))
    shown_grads = set(BACKWARD[:n_back])
    if stage >= n_fwd + 1:
        shown_grads.add("L")
    if name in ("inputs", "update"):
        current = None
    else:
        current = "L" if name == "loss" else name.split()[-1]
    updated = {p: values[p] - lr * grads[p] for p in PARAMS}
    after, _, _ = neuron_graph(values["x1"], values["x2"], updated["w1"], updated["w2"],
                               updated["b"], values["y"])
    loss_after = after["L"]

    rows = [NodeRow("L", values["L"], None, None, 1.0)]
    rows += [NodeRow(n, values[n], local[n], grads[_PARENT[n]], grads[n]) for n in BACKWARD]
    header = f"{'node':<5}{'value':>10}{'local':>10}{'upstream':>10}{'dL/dnode':>11}"
    lines = [header, "-" * len(header)]
    for row in rows:
        has_value = row.name in shown_values
        has_grad = row.name in shown_grads
        line = (
            f"{row.name:<5}{_fmt(row.value) if has_value else '':>10}"
            f"{_fmt(row.local) if has_grad else '':>10}"
            f"{_fmt(row.upstream) if has_grad else '':>10}"
            f"{_fmt(row.grad) if has_grad else '':>11}"
        )
        lines.append(line.rstrip())
    if name == "update":
        lines.append(
            f"update (lr {lr:.3g}): w1 {updated['w1']:+.4f}, w2 {updated['w2']:+.4f}, "
            f"b {updated['b']:+.4f}; loss {values['L']:.4f} -> {loss_after:.4f}"
        )
    message = _message(name, values, local, lr, loss_after)
    return BackpropResult(
        stage, name, current, values, grads, tuple(rows), frozenset(shown_values),
        frozenset(shown_grads), float(lr), updated, float(loss_after), "\n".join(lines), message,
    )


def _message(name: str, values: dict[str, float], local: dict[str, float], lr: float,
             loss_after: float) -> str:
    notes = []
    if name == "inputs":
        notes.append("Stage 0: only the inputs, weights, bias and target are known.")
    elif name.startswith("forward"):
        notes.append(f"Forward pass: computing {name.split()[-1]} from its inputs.")
    elif name == "loss":
        notes.append(f"Loss L = (a - y)^2 = {values['L']:.4f}; its gradient dL/dL = 1 starts "
                     "the backward pass.")
    elif name.startswith("backward"):
        node = name.split()[-1]
        notes.append(f"Backward pass: dL/d{node} = upstream gradient x local gradient.")
    else:
        if abs(loss_after - values["L"]) < 5e-5:
            notes.append(f"This step barely changes the loss ({values['L']:.4f} -> "
                         f"{loss_after:.4f}).")
        elif loss_after > values["L"]:
            notes.append(f"This step raised the loss ({values['L']:.4f} -> {loss_after:.4f}): "
                         "the learning rate is too large for this point.")
        else:
            notes.append(f"One gradient-descent step lowers the loss from {values['L']:.4f} "
                         f"to {loss_after:.4f}.")
    if local["z"] < 0.01:
        notes.append(f"The sigmoid is saturated (sigma'(z) = {local['z']:.1e}): almost no "
                     "gradient reaches the weights.")
    return " ".join(notes)


_BOX = "round,pad=0.02,rounding_size=0.12"  # the boxstyle of every node


class BackpropView:
    """The graph (boxes with values, edges with gradients), and below it the stage's table.

    The grey arrows, the boxes and their labels are drawn once (the static background); each
    update draws only the highlight, the vermillion arrows of the backward pass and the text.
    ``with_table=False`` leaves the table out of the figure (the live explorer shows it as
    text under the figure instead, which is much faster than drawing it).
    """

    def __init__(self, fig: Figure, with_table: bool = True) -> None:
        fig.set_layout_engine("none")  # the axes are placed by hand
        self.with_table = with_table
        graph = (0.0, 0.34, 1.0, 0.60) if with_table else (0.0, 0.0, 1.0, 0.90)
        self.ax = ax = fig.add_axes(graph)
        ax.set(xlim=(-0.3, 10.9), ylim=(0.1, 6.0))
        ax.set_axis_off()
        self.boxes, self.value_text, self.edge_text, self.back_arrows = {}, {}, {}, {}
        for child, parent in EDGES:
            (x0, y0), (x1, y1) = _POS[child], _POS[parent]
            start = (x0 + _HALF[child][0], y0)
            end = (x1 - _HALF[parent][0], y1)
            ax.annotate("", xy=end, xytext=start, arrowprops=dict(
                arrowstyle="-|>", color="0.55", lw=1.2, shrinkA=0, shrinkB=0), zorder=1)
            if child in _PARENT:  # the gradient dL/dchild travels back along this edge
                self.back_arrows[child] = ax.annotate("", xy=end, xytext=start, arrowprops=dict(
                    arrowstyle="-|>", color=PALETTE["vermillion"], lw=2.0, shrinkA=0,
                    shrinkB=0), zorder=2)
                mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
                if y0 == y1:  # a short horizontal edge: label above the boxes
                    my += 0.62
                elif child == "b":  # near its own start, clear of m2's label above it
                    mx, my = start[0] + 0.25 * (end[0] - start[0]) + 0.45, start[1] + 0.25 * (
                        end[1] - start[1])
                self.edge_text[child] = ax.text(
                    mx, my, "", ha="center", va="center", fontsize=8.5,
                    color=PALETTE["vermillion"], fontweight="bold",
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.6), zorder=5,
                )
        for node, (x, y) in _POS.items():
            hw, hh = _HALF[node]
            patch = FancyBboxPatch((x - hw, y - hh), 2 * hw, 2 * hh, boxstyle=_BOX,
                                   facecolor="white", edgecolor="0.3", lw=1.2, zorder=3)
            ax.add_patch(patch)
            self.boxes[node] = patch
            ax.text(x, y + 0.15, _LABELS[node], ha="center", va="center", fontsize=9, zorder=4)
            self.value_text[node] = ax.text(x, y - 0.2, "", ha="center", va="center",
                                            fontsize=9, color=PALETTE["blue"], zorder=5)
        # The current node: a translucent yellow box with an orange rim, over the white one.
        self.highlight = FancyBboxPatch((0, 0), 1, 1, boxstyle=_BOX, facecolor=PALETTE["yellow"],
                                        alpha=0.45, edgecolor=PALETTE["orange"], lw=2.8,
                                        visible=False, zorder=3.5)
        ax.add_patch(self.highlight)
        self.title = ax.text(5.3, 5.95, "", ha="center", va="top", fontsize=11)
        fig.text(0.99, 0.99, "blue: forward value   vermillion: gradient dL/dnode   "
                 "green: updated", ha="right", va="top", fontsize=8, color="0.3")
        dynamic = [*self.back_arrows.values(), self.highlight, *self.value_text.values(),
                   *self.edge_text.values(), self.title]
        if with_table:
            table_ax = fig.add_axes((0.02, 0.0, 0.96, 0.33))
            table_ax.set_axis_off()
            self.table = table_ax.text(0.0, 1.0, "", family="monospace", fontsize=8.5,
                                       va="top", ha="left", transform=table_ax.transAxes)
            dynamic.append(self.table)
        self.dynamic_artists = dynamic

    def update(self, r: BackpropResult) -> None:
        if r.current is None:
            self.highlight.set_visible(False)
        else:
            (x, y), (hw, hh) = _POS[r.current], _HALF[r.current]
            self.highlight.set_bounds(x - hw, y - hh, 2 * hw, 2 * hh)
            self.highlight.set_visible(True)
        for node, label in self.value_text.items():
            text, color = "", PALETTE["blue"]
            if r.stage_name == "update" and node in PARAMS:  # old -> new value
                text, color = f"{r.values[node]:.3f}\u2192{r.updated[node]:.3f}", PALETTE["green"]
            elif node in r.shown_values:
                text = f"= {r.values[node]:.4f}"
            label.set_text(text)
            label.set_color(color)
        for child, label in self.edge_text.items():
            shown = child in r.shown_grads
            label.set_text(f"{r.grads[child]:+.4f}" if shown else "")
            label.set_visible(shown)
            self.back_arrows[child].set_visible(shown)
        self.title.set_text(f"stage {r.stage} of {N_STAGES - 1}: {r.stage_name}")
        if self.with_table:
            self.table.set_text(r.table)


def _live_view(fig: Figure) -> BackpropView:
    return BackpropView(fig, with_table=False)


def _compute_live(**settings: Any) -> BackpropResult:
    """:func:`compute_backprop`, with the table added to the note under the figure."""
    r = compute_backprop(**settings)
    note = (f"{escape(r.message)}<pre style='font-size: 12px; line-height: 1.25'>"
            f"{escape(r.table)}</pre>")
    return replace(r, message=note)


LR_EXPONENTS = (math.log10(0.05), math.log10(5.0))  # the learning rate's slider


def backprop_explorer(x1: float = 1.0, x2: float = -2.0, w1: float = 0.5, w2: float = -0.3,
                      b: float = 0.1, y: float = 1.0, lr: float = 0.5, stage: int = 0
                      ) -> Explorer:
    """Step through the forward and backward pass of one sigmoid neuron with squared error,
    node by node, with its inputs, weights, bias, target and learning rate on sliders (the
    learning rate is greyed out until the last stage, the update, the only one it acts in)."""
    slider = dict(min=-3.0, max=3.0, step=0.1, continuous_update=True, readout_format=".1f")
    controls = {
        "stage": widgets.IntSlider(value=stage, min=0, max=N_STAGES - 1, step=1,
                                   description="stage", continuous_update=True),
        "x1": widgets.FloatSlider(value=x1, description="x₁", **slider),
        "x2": widgets.FloatSlider(value=x2, description="x₂", **slider),
        "w1": widgets.FloatSlider(value=w1, description="w₁", **slider),
        "w2": widgets.FloatSlider(value=w2, description="w₂", **slider),
        "b": widgets.FloatSlider(value=b, description="bias b", **slider),
        "y": widgets.FloatSlider(value=y, min=0.0, max=1.0, step=0.05, description="target y",
                                 continuous_update=True, readout_format=".2f"),
        # a log scale: 0.05 to 5, a decade per third of the track
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=LR_EXPONENTS[0],
                                     max=LR_EXPONENTS[1], step=0.05,
                                     description="learning rate", continuous_update=True,
                                     readout_format=".3g"),
    }
    return Explorer("Backprop stepper", controls, _compute_live, _live_view,
                    figsize=(9.0, 3.8), side=("w1", "w2", "b", "y"), inactive=_inactive)


def _inactive(values: dict[str, Any]) -> set[str]:
    """The learning rate acts in the last stage only, the update: greyed out before it."""
    return set() if values["stage"] == N_STAGES - 1 else {"lr"}


def backprop_twin(sweep: str = "stage", values: Sequence[Any] | None = None,
                  **fixed: Any) -> HTML:
    """Static twin of :func:`backprop_explorer`: every stage, from the inputs through the
    forward pass, the loss and the backward pass to the update."""
    if values is None:
        values = range(N_STAGES)
    values = list(values)
    alt = (f"Animation, {len(values)} frames: a computational graph of one sigmoid neuron with "
           "squared-error loss. Frame by frame the forward pass fills in each node's value "
           "(m1, m2, z, a, then the loss L), then the backward pass fills in the gradient of "
           "the loss along each edge from L back to the weights and the bias, and the last "
           "frame shows the gradient-descent update; a table under the graph lists each node's "
           "value, local gradient, upstream gradient and their product.")
    return static_twin(compute_backprop, BackpropView, sweep, values, figsize=(9.0, 5.6),
                       alt=alt, interval_ms=900, **fixed)


def _compute_twin(**settings: Any) -> BackpropResult:
    """:func:`compute_backprop`, with the numbers the picture shows added to the note in words
    (each picture's text on the website, for readers who do not see it)."""
    r = compute_backprop(**settings)
    shown = [n for n in (*LEAVES, *FORWARD, "L") if n in r.shown_values]
    parts = [r.message]
    if shown:
        parts.append("Values: " + ", ".join(f"{n} = {r.values[n]:.4f}" for n in shown) + ".")
    grads = [n for n in BACKWARD if n in r.shown_grads]
    if grads:
        parts.append("Gradients: " + ", ".join(f"dL/d{n} = {r.grads[n]:+.4f}" for n in grads)
                     + ".")
    if r.stage_name == "update":
        parts.append("Updated: " + ", ".join(f"{p} {r.values[p]:.3f} to {r.updated[p]:.3f}"
                                             for p in PARAMS) + ".")
    return replace(r, message=" ".join(parts))


#: The website's twin: every stage, for three values of the first input and four targets (the
#: other inputs, the weights, the bias and the learning rate at the live explorer's start).
TWIN_GRID = TwinGrid(
    {"stage": tuple(range(N_STAGES)), "x1": (-1.0, 0.0, 1.0), "y": (0.0, 0.5, 0.75, 1.0)},
    start={"stage": 0, "x1": 1.0, "y": 1.0}, figsize=(9.0, 3.8), result=_compute_twin,
    alt="The computational graph of one sigmoid neuron with squared-error loss, m1 = w1 x1, "
        "m2 = w2 x2, z = m1 + m2 + b, a = sigma(z), L = (a - y)^2, at one stage of the "
        "stepper: each node's forward value written in its box, the gradient of the loss "
        "written on each edge of the backward pass, the current node highlighted, and at the "
        "last stage the update of w1, w2 and b.")

SPEC = ExplorerSpec("backprop", 4, backprop_explorer, _compute_live, _live_view, backprop_twin,
                    sweep="stage", values=tuple(range(N_STAGES)), grid=TWIN_GRID)
