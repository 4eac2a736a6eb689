"""Activation explorer (chapter 2): an activation, its derivative, and what a network built
from it can fit.

Left, the chosen activation :math:`g(z)` and its derivative :math:`g'(z)` over an adjustable
range of :math:`z`, with the region where :math:`g'(z) < 0.01` (almost no gradient) shaded.
Right, a network with one hidden layer of that activation, ``1 → hidden → 1``, trained by
gradient descent (Adam, full batch) to fit a curve on :math:`x \\in [-3, 3]`: ReLU units give a
piecewise-linear fit, sigmoid and tanh a smooth one, the identity only a straight line, and
step units cannot be trained at all (their derivative is zero).

Softmax is not elementwise: the left panel shows its first output for the two logits
:math:`[z, 0]`, which is exactly :math:`\\sigma(z)`; it is an output activation, so nothing is
trained for it on the right.

Fitted networks are cached per (activation, slope, target, hidden units) in each explorer's
own :class:`FitCache`, so moving a control back is instant and two explorers never share state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any, cast

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..activations import Activation, get_activation, softmax, softmax_backward
from ..diagnostics import activation_stats
from ..layers import Dense
from ..network import mlp
from ..optim import Adam
from ..plotting import PALETTE, new_figure
from ..training import fit
from ._base import Explorer, static_twin
from ._cache import LRU
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

ELEMENTWISE = ("identity", "step", "sigmoid", "tanh", "relu", "leaky_relu")
"""Activations the explorer trains a hidden layer with."""
EXPLORER_ACTIVATIONS = (*ELEMENTWISE, "softmax")
"""Every choice in the explorer's activation menu."""
TARGETS = {"sine": "sin(x)", "step": "step at x = 1", "abs": "|x|"}
"""Curves the network can be asked to fit: key → label."""

X_RANGE = (-3.0, 3.0)
N_TRAIN = 64
FIT_STEPS = 400  # full-batch Adam steps: about 70 ms of training on one core
FIT_LR = 0.05
NO_GRADIENT = 0.01  # g'(z) below this is shaded as "almost no gradient"
CACHE_SIZE = 256

_RANGES = {
    "identity": "(−∞, ∞)", "step": "{0, 1}", "sigmoid": "(0, 1)", "tanh": "(−1, 1)",
    "relu": "[0, ∞)", "leaky_relu": "(−∞, ∞)", "softmax": "(0, 1)",
}
_Y_LIMITS = {"sine": (-1.6, 1.6), "step": (-0.6, 1.6), "abs": (-0.6, 3.6)}
_Y_TICKS = {"sine": (-1, 0, 1), "step": (0, 1), "abs": (0, 1, 2, 3)}


def target_curve(target: str, x: np.ndarray) -> np.ndarray:
    """The function the network is asked to fit: ``"sine"``, ``"step"`` (jump at 1) or ``"abs"``."""
    if target == "sine":
        return np.sin(x)
    if target == "step":
        return (x >= 1.0).astype(float)
    if target == "abs":
        return np.abs(x)
    raise ValueError(f"unknown target {target!r}; choose one of {sorted(TARGETS)}")


def _activation(name: str, slope: float) -> Activation:
    return get_activation(name, slope=slope) if name == "leaky_relu" else get_activation(name)


@dataclass(frozen=True)
class CurveResult:
    """An activation and its derivative sampled on ``z``."""

    activation: str
    slope: float | None  # the leaky-ReLU slope, None for the others
    z: np.ndarray
    g: np.ndarray  # g(z)
    dg: np.ndarray  # g'(z): the package's ``<name>_grad`` (softmax: ∂s₁/∂z for [z, 0])
    label: str  # e.g. "sigmoid, range (0, 1)"
    max_grad: float


def activation_curve(activation: str, slope: float = 0.1, z_max: float = 6.0,
                     n: int = 401) -> CurveResult:
    """Sample ``g`` and ``g'`` on ``n`` points of ``[-z_max, z_max]``.

    For ``"softmax"`` the curve is the first entry of ``softmax([z, 0])``, which equals
    :math:`\\sigma(z)`, and the derivative is its entry of the softmax Jacobian-vector product.
    """
    z = np.linspace(-float(z_max), float(z_max), n)
    if activation == "softmax":
        s = softmax(np.stack([z, np.zeros_like(z)], axis=1))
        upstream = np.broadcast_to([1.0, 0.0], s.shape)  # pick ∂s₁/∂z₁
        g, dg = s[:, 0], softmax_backward(upstream, s)[:, 0]
        label = "softmax([z, 0])₁ = σ(z)"
    else:
        act = _activation(activation, slope)
        if act.grad is None:  # pragma: no cover - every elementwise activation has one
            raise ValueError(f"activation {activation!r} has no elementwise derivative")
        g, dg = act.fn(z), act.grad(z)
        label = activation if activation != "leaky_relu" else f"leaky ReLU, slope {slope:g}"
    return CurveResult(activation, float(slope) if activation == "leaky_relu" else None, z, g,
                       dg, f"{label}, range {_RANGES[activation]}", float(dg.max()))


@dataclass(frozen=True)
class FitResult:
    """A ``1 → hidden → 1`` network fitted to a target curve (or why it was not)."""

    activation: str
    slope: float | None
    target: str
    hidden: int
    x_train: np.ndarray
    y_train: np.ndarray
    x: np.ndarray  # a fine grid for drawing
    y_target: np.ndarray
    y_before: np.ndarray | None  # the untrained network on x (None: nothing trained)
    y_after: np.ndarray | None  # the trained network on x
    cost_before: float | None  # the training cost (None: nothing trained)
    cost_after: float | None
    switch_points: np.ndarray  # x = -b/w where a hidden unit's z = 0 (none for the identity)
    hidden_change: float  # largest change of a hidden-layer weight or bias during training
    dead_units: int  # ReLU units that output 0 for every training x after training
    message: str  # the full explanation, shown under the live explorer
    headline: str  # its gist in one line, drawn on the figure (and so in the static twin)


def fit_curve(activation: str, slope: float = 0.1, target: str = "sine", hidden: int = 8, *,
              steps: int = FIT_STEPS, lr: float = FIT_LR, seed: int = 0) -> FitResult:
    """Train ``mlp([1, hidden, 1])`` with ``activation`` on ``target`` (squared error, Adam).

    The training inputs are 64 seeded random points of [−3, 3] (not a symmetric grid, which
    would trap odd activations such as tanh at a symmetric saddle on ``|x|``).
    """
    rng = np.random.default_rng(seed)
    x_train = np.sort(rng.uniform(*X_RANGE, N_TRAIN)).reshape(-1, 1)
    y_train = target_curve(target, x_train)
    x = np.linspace(*X_RANGE, 241).reshape(-1, 1)
    y_target = target_curve(target, x).ravel()
    common: dict[str, Any] = dict(
        activation=activation, target=target, hidden=int(hidden), x_train=x_train,
        y_train=y_train, x=x.ravel(), y_target=y_target,
        slope=float(slope) if activation == "leaky_relu" else None)
    if activation not in ELEMENTWISE:
        return FitResult(
            **common, y_before=None, y_after=None, cost_before=None, cost_after=None,
            switch_points=np.empty(0), hidden_change=0.0, dead_units=0,
            headline=_headline(activation, int(hidden), 0, False),
            message="Softmax is an output activation: it turns a row of scores into "
            "probabilities that sum to 1, so it is not used for hidden units and nothing is "
            "trained here. Pick another activation to fit the curve.",
        )
    net = mlp([1, int(hidden), 1], activation=_activation(activation, slope), rng=seed)
    first = cast(Dense, net.layers[0])  # mlp starts with a Dense layer
    w0, b0 = first.W.value.copy(), first.b.value.copy()
    y_before = net.predict(x).ravel()
    cost_before = float(np.mean((net.predict(x_train) - y_train) ** 2))
    history = fit(net, x_train, y_train, loss="squared_error",
                  optimizer=Adam(net.parameters(), lr=lr), epochs=steps, batch_size=None,
                  rng=seed, progress=False, shuffle=False)
    y_after = net.predict(x).ravel()
    cost_after = float(np.mean((net.predict(x_train) - y_train) ** 2))
    change = float(max(np.abs(first.W.value - w0).max(), np.abs(first.b.value - b0).max()))
    w, b = first.W.value.ravel(), first.b.value
    with np.errstate(divide="ignore", invalid="ignore"):
        points = np.where(w != 0, -b / w, np.nan)
    inside = np.isfinite(points) & (points >= X_RANGE[0]) & (points <= X_RANGE[1])
    points = np.sort(points[inside]) if activation != "identity" else np.empty(0)
    dead = 0
    if activation == "relu":
        _, trace = net.forward(x_train, trace=True)
        dead = round(activation_stats(trace)[0]["dead"] * int(hidden))
    message = _fit_message(activation, int(hidden), steps, cost_before, cost_after, change, dead,
                           history.diverged)
    return FitResult(**common, y_before=y_before, y_after=y_after, cost_before=cost_before,
                     cost_after=cost_after, switch_points=points, hidden_change=change,
                     dead_units=dead, message=message,
                     headline=_headline(activation, int(hidden), dead, history.diverged))


def _headline(activation: str, hidden: int, dead: int, diverged: bool) -> str:
    if diverged:
        return "Training diverged."
    if dead:
        return (f"ReLU: {dead} of {hidden} units dead (0 for every x, so no gradient); "
                "the fit is piecewise linear")
    return {
        "identity": "Identity: the network is linear, so the best fit is a straight line",
        "step": "Step: g′(z) = 0, so no gradient reaches the hidden layer, which cannot be trained",
        "sigmoid": "Sigmoid: a smooth fit, a sum of shifted and scaled S-curves",
        "tanh": "Tanh: a smooth fit, a sum of shifted and scaled S-curves",
        "relu": "ReLU: a piecewise-linear fit, with a kink where each unit switches on",
        "leaky_relu": "Leaky ReLU: a piecewise-linear fit, with a kink at each unit's z = 0",
        "softmax": "Softmax is an output activation: shown for the logits [z, 0], not trained",
    }[activation]


def _fit_message(activation: str, hidden: int, steps: int, before: float, after: float,
                 change: float, dead: int, diverged: bool) -> str:
    costs = f"cost {before:.3g} → {after:.3g} after {steps} Adam steps"
    if diverged:
        return f"Training diverged ({costs})."
    if activation == "step":
        return (f"Step units cannot be trained by gradients: g′(z) = 0 everywhere, so the hidden "
                f"layer gets zero gradient and its weights never moved (largest change "
                f"{change:.3g}). Its jumps stay where initialization put them (x = −b/w = 0, "
                f"since biases start at 0); only the output layer learned ({costs}).")
    if activation == "identity":
        return (f"With the identity the whole network is one linear function, so the best it "
                f"can do is a straight line, whatever the number of units ({costs}).")
    shape = {"relu": "piecewise linear, with a kink where each unit switches on",
             "leaky_relu": "piecewise linear, with a kink where each unit switches",
             "sigmoid": "smooth: a sum of shifted, scaled S-curves",
             "tanh": "smooth: a sum of shifted, scaled S-curves"}[activation]
    text = f"{hidden} {activation} unit{'s' if hidden > 1 else ''}: the fit is {shape} ({costs})."
    if dead:
        text += (f" {dead} of {hidden} units are dead (0 for every x): they no longer get any "
                 "gradient.")
    return text


class FitCache:
    """Fitted networks by (activation, slope, target, hidden units), oldest dropped first.

    ``n_fits`` counts the networks actually trained; a cached setting does not add to it.
    """

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        self._fits: LRU[FitResult] = LRU(maxsize)

    @property
    def n_fits(self) -> int:
        return self._fits.computed

    @staticmethod
    def key(activation: str, slope: float, target: str, hidden: int) -> tuple:
        """Settings that change the fit: the slope only matters for leaky ReLU."""
        return (activation, round(float(slope), 6) if activation == "leaky_relu" else None,
                target, int(hidden))

    def get(self, activation: str, slope: float, target: str, hidden: int) -> FitResult:
        return self._fits.get_or_compute(self.key(activation, slope, target, hidden),
                                         partial(fit_curve, activation, slope, target, hidden))

    def __len__(self) -> int:
        return len(self._fits)


@dataclass(frozen=True)
class ActivationResult:
    """What the activation explorer shows: the curve panel, the fit panel and a note."""

    curve: CurveResult
    fit: FitResult
    message: str


def compute_activation(activation: str = "relu", slope: float = 0.1, z_max: float = 6.0,
                       target: str = "sine", hidden: int = 8, *,
                       cache: FitCache | None = None) -> ActivationResult:
    """Everything the activation explorer draws for one setting of its controls.

    Parameters
    ----------
    activation : str
        One of ``EXPLORER_ACTIVATIONS``.
    slope : float
        The leaky-ReLU slope α in [0, 1); ignored by the other activations.
    z_max : float
        The left panel shows :math:`z \\in [-z_{max}, z_{max}]`.
    target : str
        A key of ``TARGETS``: the curve the network fits.
    hidden : int
        Hidden units.
    cache : FitCache, optional
        Reuse fits already trained (the explorer passes its own); without one, every call
        trains afresh. Either way the result is the same: training is seeded.
    """
    if activation not in EXPLORER_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r} for this explorer; choose one of "
                         f"{list(EXPLORER_ACTIVATIONS)}")
    curve = activation_curve(activation, slope, z_max)
    fitted = (cache.get if cache is not None else fit_curve)(activation, slope, target, hidden)
    note = f"Left: {curve.label}; largest g′(z) = {curve.max_grad:.3g}. Right: {fitted.message}"
    return ActivationResult(curve, fitted, note)


class ActivationView:
    """g(z) above g′(z) on the left, the fitted network on the right; redrawn in place.

    Drawing is most of an update's time, so the layout is fixed (no constrained layout), the
    axis labels have fixed positions and the titles are plain text artists: matplotlib then
    skips measuring every tick label on each redraw.
    """

    def __init__(self, fig: Figure) -> None:
        fig.set_layout_engine(None)
        grid = fig.add_gridspec(2, 2, left=0.075, right=0.985, bottom=0.2, top=0.86,
                                wspace=0.22, hspace=0.42, width_ratios=[1, 1.3])
        self.ax_g, self.ax_dg = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0])
        self.ax_fit = ax = fig.add_subplot(grid[:, 1])
        self.ax_g.sharex(self.ax_dg)
        self.ax_g.tick_params(labelbottom=False)
        for a in (self.ax_g, self.ax_dg):
            a.axhline(0, color="0.8", lw=0.8, zorder=0)
            a.axvline(0, color="0.8", lw=0.8, zorder=0)
        (self.g_line,) = self.ax_g.plot([], [], color=PALETTE["blue"], lw=2)
        (self.dg_line,) = self.ax_dg.plot([], [], color=PALETTE["orange"], lw=2)
        self.shade = PolyCollection([], color="0.88", zorder=0, linewidth=0,
                                    transform=self.ax_dg.get_xaxis_transform())
        self.ax_dg.add_collection(self.shade, autolim=False)
        self.data = ax.scatter([], [], s=10, color=PALETTE["black"], zorder=3,
                               label="target (training points)")
        (self.target_line,) = ax.plot([], [], color="0.7", lw=1, zorder=1)
        (self.before,) = ax.plot([], [], color=PALETTE["sky"], lw=1.5, ls="--",
                                 label="untrained network")
        (self.after,) = ax.plot([], [], color=PALETTE["vermillion"], lw=2.2,
                                label="trained network")
        (self.switch,) = ax.plot([], [], ls="none", marker="|", ms=14, mew=2,
                                 color=PALETTE["green"], transform=ax.get_xaxis_transform(),
                                 label="where a unit's z = 0")
        ax.set_xlim(*X_RANGE)
        labels = ((self.ax_g, None, "g(z)"), (self.ax_dg, "z", "g′(z)"), (ax, "x", "y"))
        for a, xlabel, ylabel in labels:
            a.set_ylabel(ylabel)
            a.yaxis.set_label_coords(-0.1 if a is ax else -0.14, 0.5)
            if xlabel:
                a.set_xlabel(xlabel, labelpad=1)
                a.xaxis.set_label_coords(0.5, -0.2 if a is self.ax_dg else -0.09)
        self.titles = {a: a.text(0.0, 1.03, "", transform=a.transAxes, fontsize=9)
                       for a in (self.ax_g, self.ax_dg, ax)}
        self.headline = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=10,
                                 color=PALETTE["black"])
        _paste_legend(fig, [self.data, self.before, self.after, self.switch])
        # Few tick labels: each one is a text to lay out and draw on every update.
        for a in (self.ax_g, self.ax_dg):
            a.yaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2.5, 5, 10]))
        self.ax_dg.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
        ax.set_xticks([-3, 0, 3])
        ax.set_xticks(np.arange(-2, 3), minor=True)

    def update(self, r: ActivationResult) -> None:
        c, f = r.curve, r.fit
        self.g_line.set_data(c.z, c.g)
        self.dg_line.set_data(c.z, c.dg)
        for a, y in ((self.ax_g, c.g), (self.ax_dg, c.dg)):
            low, high = min(float(y.min()), 0.0), max(float(y.max()), 1.0)
            pad = 0.08 * (high - low)
            a.set_ylim(low - pad, high + pad)
        self.ax_dg.set_xlim(c.z[0], c.z[-1])
        self.shade.set_verts([[(a, 0), (b, 0), (b, 1), (a, 1)]
                              for a, b in _runs(c.z, c.dg < NO_GRADIENT)])
        self.titles[self.ax_g].set_text(c.label)
        self.titles[self.ax_dg].set_text(f"its derivative (shaded: g′(z) < {NO_GRADIENT})")
        self.data.set_offsets(np.column_stack([f.x_train.ravel(), f.y_train.ravel()]))
        self.target_line.set_data(f.x, f.y_target)
        trained = f.y_after is not None
        for line, curve in ((self.before, f.y_before), (self.after, f.y_after)):
            if trained and curve is not None:
                line.set_data(f.x, curve)
            else:
                line.set_data([], [])
        self.switch.set_data(f.switch_points, np.full(f.switch_points.shape, 0.03))
        self.headline.set_text(f.headline)
        self.ax_fit.set_ylim(*_Y_LIMITS[f.target])
        self.ax_fit.set_yticks(_Y_TICKS[f.target])
        units = f"{f.hidden} {f.activation} unit{'s' if f.hidden > 1 else ''}"
        self.titles[self.ax_fit].set_text(
            f"fit {TARGETS[f.target]} with {units}: cost {f.cost_before:.3g} → "
            f"{f.cost_after:.3g}" if trained else f"target {TARGETS[f.target]}: nothing trained")


def _runs(z: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The stretches of ``z`` where ``mask`` holds, as (start, end), with each edge halfway
    between the samples on either side."""
    if not mask.any():
        return []
    edges = np.concatenate([[z[0]], (z[1:] + z[:-1]) / 2, [z[-1]]])
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(mask.astype(np.int8))) + 1, [z.size]])
    return [(float(edges[a]), float(edges[b]))
            for a, b in pairwise(bounds) if mask[a]]


def _paste_legend(fig: Figure, handles: Sequence[Artist]) -> None:
    """Draw the legend once, on a strip of its own, and paste it at the bottom of ``fig`` as
    an image: it never changes, and laying out its text again on every update would cost
    about a third of the redraw."""
    strip = new_figure(fig.get_figwidth(), 0.3, dpi=fig.dpi)
    strip.legend(handles=handles, loc="center", ncols=len(handles), fontsize=8,
                 frameon=False)
    strip.canvas.draw()
    pixels = np.asarray(cast(FigureCanvasAgg, strip.canvas).buffer_rgba()).copy()
    fig.figimage(pixels, xo=0, yo=0, origin="upper", zorder=3)


FIGSIZE = (9.0, 4.2)


def activation_explorer(activation: str = "relu", slope: float = 0.1, z_max: float = 6.0,
                        target: str = "sine", hidden: int = 8) -> Explorer:
    """Pick an activation (and leaky slope), see it with its derivative, and see what a
    one-hidden-layer network of it can fit. ``explorer.cache`` holds its fitted networks."""
    cache = FitCache()
    train = dict(continuous_update=False)  # these controls retrain: update on release
    controls = {
        "activation": widgets.Dropdown(options=EXPLORER_ACTIVATIONS, value=activation,
                                       description="activation"),
        "slope": widgets.FloatSlider(value=slope, min=0.0, max=0.9, step=0.01,
                                     description="leaky slope α", readout_format=".2f",
                                     disabled=activation != "leaky_relu", **train),
        "z_max": widgets.FloatSlider(value=z_max, min=1.0, max=20.0, step=0.5,
                                     description="z range ±", readout_format=".1f"),
        "target": widgets.Dropdown(options=[(label, key) for key, label in TARGETS.items()],
                                   value=target, description="fit target"),
        "hidden": widgets.IntSlider(value=hidden, min=1, max=16, description="hidden units",
                                    **train),
    }

    def toggle_slope(change: Any) -> None:
        controls["slope"].disabled = change["new"] != "leaky_relu"

    controls["activation"].observe(toggle_slope, names="value")
    return Explorer("Activation explorer", controls, partial(compute_activation, cache=cache),
                    ActivationView, cache=cache, figsize=FIGSIZE)


def activation_twin(sweep: str = "activation", values: Sequence[Any] | None = None,
                    **fixed: Any) -> HTML:
    """Static twin of :func:`activation_explorer`: by default every elementwise activation
    fitting sin(x) with 8 units, one frame each."""
    if values is None:
        values = ELEMENTWISE if sweep == "activation" else list(np.round(np.linspace(0, 0.9, 10),
                                                                         2))
    settings: dict[str, Any] = {"activation": "relu", "slope": 0.1, "z_max": 6.0,
                                "target": "sine", "hidden": 8}
    settings.update(fixed)
    settings.pop(sweep, None)
    return static_twin(compute_activation, ActivationView, sweep, list(values), figsize=FIGSIZE,
                       interval_ms=1200, **settings)


#: The website's twin: every activation, every target and a few hidden-layer sizes, with the
#: live explorer's z range (±6) and leaky slope (0.1).
TWIN_GRID = TwinGrid(
    {"activation": EXPLORER_ACTIVATIONS, "target": tuple(TARGETS), "hidden": (1, 2, 3, 8, 16)},
    fixed={"slope": 0.1, "z_max": 6.0}, figsize=FIGSIZE,
    alt="Left, the activation g(z) for z from −6 to 6 above its derivative g′(z), shaded where "
        "g′(z) < 0.01. Right, the target curve's training points and a network with one hidden "
        "layer of that activation, before (dashed) and after 400 Adam steps, with its cost and "
        "green ticks where a hidden unit's z = 0.")

SPEC = ExplorerSpec("activation", 2, activation_explorer, compute_activation, ActivationView,
                    activation_twin, sweep="activation", values=ELEMENTWISE, grid=TWIN_GRID)
