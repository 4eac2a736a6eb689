"""Gradient-flow explorer (chapter 6): how large is the gradient in each layer of a deep network?

A deep network of equal-width hidden layers (``Dense → [BatchNorm] → activation``, optionally
wrapped in residual blocks ``x + F(x)``) is built with a chosen depth, activation and
initialization, run forward and backward **once** on a fixed, seeded batch (no training), and
measured:

- the norm of each layer's weight gradient, :math:`\\lVert \\partial J/\\partial W_l \\rVert`
  (:func:`dlbasics.diagnostics.gradient_norms`), from the first layer to the output;
- the spread of each hidden layer's activations and their histogram, with the fraction of
  saturated sigmoid/tanh units or dead ReLU units (:func:`dlbasics.diagnostics.unit_health`);
- the spread (standard deviation) of each hidden layer's output, the signal the next layer
  sees: the activations themselves, or :math:`x + F(x)` for a residual block.

:func:`dlbasics.gradflow.classify_gradients` turns these into a verdict: exploding, vanishing,
signal fades, signal grows or healthy (its docstring states the rule).

The result states the verdict in words in its ``message`` and the figure in its title. Every
explorer keeps its own :class:`GradflowCache` of results, so returning to a setting costs
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..diagnostics import gradient_norms, unit_health
from ..gradflow import (
    ACTIVATIONS,
    EXPLODE_RATIO,
    INITS,
    VANISH_RATIO,
    build_network,
    classify_gradients,
    probe_batch,
    signal_ratio,
)
from ..layers import ActivationLayer, Dense, Residual, iter_layers
from ..network import Network
from ..plotting import PALETTE
from ._base import Explorer, static_twin
from ._cache import LRU
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

MIN_DEPTH, MAX_DEPTH = 2, 20
#: The histogram range of each activation; ReLU outputs above 4 are counted in the last bin.
HIST_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 4.0)}
N_BINS = 40
CACHE_SIZE = 128


@dataclass(frozen=True)
class GradflowResult:
    """One measurement of the gradient-flow explorer."""

    depth: int
    activation: str
    init: str
    batch_norm: bool
    residual: bool
    grad_norms: np.ndarray  # ‖∂J/∂W‖ of every Dense layer, first hidden … output (depth + 1)
    weight_norms: np.ndarray  # ‖W‖ of the same layers
    act_std: np.ndarray  # std of each hidden layer's activations (depth)
    signal_std: np.ndarray  # std of each hidden layer's output: act_std, or x + F(x) of a block
    signal_ratio: float  # signal_std of the last hidden layer over the first's
    saturated: np.ndarray  # fraction saturated (sigmoid/tanh) or dead (ReLU) per hidden layer
    hist: np.ndarray  # (depth, N_BINS): fraction of each hidden layer's outputs in each bin
    edges: np.ndarray  # the N_BINS + 1 bin edges
    ratio: float  # first / last hidden layer's gradient norm
    verdict: str  # one of VERDICTS
    message: str


def _hidden_outputs(trace: list) -> list[np.ndarray]:
    """The output of every hidden layer in a traced forward pass, the signal the next layer
    sees: an activation layer's output, or a residual block's :math:`x + F(x)`."""
    return [t.output for t in trace[:-1] if isinstance(t.kind, str)
            and (t.kind == "residual" or t.kind in ACTIVATIONS)]


def _hidden_activations(net: Network) -> list[np.ndarray]:
    """The output ``A = g(Z)`` of every hidden activation layer of the last forward pass,
    including those inside residual blocks, from the first layer on."""
    out = []
    for layer, cache in zip(net.layers, net.caches or [], strict=True):
        if isinstance(layer, ActivationLayer):
            out.append(cache[1])
        elif isinstance(layer, Residual):
            for inner, inner_cache in zip(layer.layers, cache, strict=True):
                if isinstance(inner, ActivationLayer):
                    out.append(inner_cache[1])
    return out


def _fmt(v: float) -> str:
    return f"{v:.1e}" if math.isfinite(v) else "inf"


def _advice(verdict: str, activation: str, init: str, batch_norm: bool, residual: bool,
            signal_std: np.ndarray, off: float) -> str:
    """What to try next, naming only remedies the setting does not use yet."""
    if verdict == "healthy":
        healthy = ("The first and the last hidden layer get gradients within a factor of 100 of "
                   "each other, and the signal keeps its size going forward within a factor of "
                   "10: every layer can learn.")
        if activation != "relu" and off > 0.25:
            healthy += (" But many outputs are saturated: their units pass back little gradient "
                        "and learn slowly.")
        return healthy
    if verdict == "signal fades":
        if activation == "relu" and init == "xavier":
            return ("Xavier weights have half the variance ReLU needs: each ReLU layer then "
                    "halves the variance of the signal, so the deep layers see almost nothing "
                    "of the input, and their weight gradients, which scale with that signal, "
                    "are small everywhere. Remedy: He initialization, or batch normalization.")
        if init == "small":
            return ("Weights this small shrink the signal in every layer; the gradients have "
                    "not yet fallen apart, but they will in a deeper network. Remedy: an "
                    "initialization matched to the activation (Xavier for tanh and sigmoid, He "
                    "for ReLU), or batch normalization or skip connections.")
        return ("The deep layers see almost nothing of the input. Remedies: an initialization "
                "matched to the activation, batch normalization, skip connections.")
    if verdict == "signal grows":
        if residual and not batch_norm:
            what = (" The sigmoid's outputs are all positive, so they pile up." if
                    activation == "sigmoid" else "")
            return ("Each skip connection adds its block's output to the signal, so the signal "
                    f"grows from block to block.{what} Remedy: batch normalization inside the "
                    "blocks.")
        return ("Remedies: an initialization matched to the activation, batch normalization.")
    if verdict == "vanishing":
        if init == "small":
            return ("Weights this small shrink the signal in every layer, forward and backward. "
                    "Remedy: an initialization matched to the activation (Xavier for tanh and "
                    "sigmoid, He for ReLU), or batch normalization or skip connections.")
        if activation == "sigmoid" and init == "large":
            return ("Weights this large saturate many sigmoid units, and the sigmoid's slope is "
                    "at most 1/4 even where they are not saturated. Remedies: ReLU or tanh with "
                    "a matched initialization, batch normalization, skip connections.")
        if activation == "sigmoid":
            return ("No initialization removes the sigmoid's small slope. Remedies: ReLU or tanh "
                    "instead of the sigmoid, batch normalization, skip connections.")
        return ("The early layers barely learn. Remedies: batch normalization, skip "
                "connections.")
    # exploding
    if init == "large" and not batch_norm:
        return ("Gradient steps would be huge and training unstable. Remedies: an "
                "initialization matched to the activation (Xavier or He), batch normalization; "
                "during training, gradient clipping.")
    if residual and not batch_norm:
        return (f"Each skip connection adds its block's output to the signal, so the "
                f"signal grows from block to block (its spread goes from "
                f"{_fmt(float(signal_std[0]))} to {_fmt(float(signal_std[-1]))}). Remedy: batch "
                "normalization inside the blocks; during training, gradient clipping.")
    if batch_norm and init == "small":
        return ("Batch normalization undoes the scale of the weights going forward, so very "
                "small weights get gradients that are large next to them. Remedy: He or Xavier "
                "initialization; during training, gradient clipping.")
    return ("Gradient steps would be large and training unstable. Remedy during training: "
            "gradient clipping.")


def _message(r_depth: int, activation: str, init: str, batch_norm: bool, residual: bool,
             verdict: str, ratio: float, grad_norms: np.ndarray, relative: np.ndarray,
             off: np.ndarray, signal_std: np.ndarray) -> str:
    extras = [x for x, on in (("batch normalization", batch_norm),
                              ("residual connections", residual)) if on]
    setup = (f"{r_depth} hidden layers, {activation}, {INITS[init]} initialization"
             + (", " + " and ".join(extras) if extras else ""))
    head = (f"{verdict.upper()} gradients" if verdict in ("vanishing", "exploding")
            else verdict.upper())
    parts = [f"{head} ({setup})."]
    parts.append(f"The first layer's gradient norm is {_fmt(ratio)} times the last hidden "
                 f"layer's ({_fmt(grad_norms[0])} against {_fmt(grad_norms[-2])}).")
    forward = signal_ratio(signal_std)
    parts.append(f"Going forward, the spread of layer {r_depth}'s output is {_fmt(forward)} "
                 f"times layer 1's ({_fmt(float(signal_std[-1]))} against "
                 f"{_fmt(float(signal_std[0]))}).")
    top = float(np.max(relative)) if np.all(np.isfinite(relative)) else math.inf
    if verdict == "vanishing" and ratio >= VANISH_RATIO:
        parts.append(f"Every layer's gradient is tiny, at most {_fmt(top)} times the size of its "
                     "weights: the signal died out on the way forward.")
    if verdict == "exploding" and ratio <= EXPLODE_RATIO:
        parts.append(f"Some layer's gradient is {_fmt(top)} times the size of its weights: one "
                     "step with a learning rate of 0.01 would change them beyond recognition.")
    what = "dead (zero for every example)" if activation == "relu" else "saturated"
    unit = "units" if activation == "relu" else "outputs"
    parts.append(f"On average {100 * float(np.mean(off)):.0f} % of the hidden {unit} are "
                 f"{what}.")
    if verdict == "vanishing" and activation == "sigmoid" and float(np.mean(off)) < 0.05:
        parts.append("Few units are saturated, yet the gradient shrinks: the sigmoid's slope is "
                     "at most 1/4, so every layer scales the gradient down.")
    parts.append(_advice(verdict, activation, init, batch_norm, residual, signal_std,
                         float(np.mean(off))))
    return " ".join(parts)


class GradflowCache:
    """Results by setting, kept by one explorer. ``n_builds`` counts the networks built."""

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        self.batch = probe_batch()
        self.results: LRU[GradflowResult] = LRU(maxsize)

    @property
    def n_builds(self) -> int:
        return self.results.computed


def compute_gradflow(depth: int = 15, activation: str = "sigmoid", init: str = "xavier",
                     batch_norm: bool = False, residual: bool = False, *,
                     cache: GradflowCache | None = None) -> GradflowResult:
    """Build the network (``dlbasics.gradflow.build_network``), run one forward pass in training
    mode and one backward pass of the squared-error cost on the fixed batch (``probe_batch``),
    and measure the gradient flow. Pure: nothing is trained and nothing is drawn.

    Parameters
    ----------
    depth : int
        Hidden layers of 32 units, clipped to 2 … 20.
    activation : {"sigmoid", "tanh", "relu"}
    init : {"small", "large", "xavier", "he"}
        Weights with standard deviation 0.01, weights with standard deviation 1, Xavier/Glorot
        normal or He normal; biases start at zero.
    batch_norm, residual : bool
        Batch normalization after every hidden ``Dense``; residual blocks ``x + F(x)``.
    cache : GradflowCache, optional
        Results already computed (an explorer keeps one).

    Returns
    -------
    GradflowResult
        Per-layer gradient norms, activation spreads and histograms, the spread of every
        hidden layer's output, the first-to-last gradient ratio, the verdict (one of
        ``dlbasics.gradflow.VERDICTS``, by the rule of its ``classify_gradients``) and a message
        that states it in words.
    """
    depth = int(min(max(int(depth), MIN_DEPTH), MAX_DEPTH))
    batch_norm, residual = bool(batch_norm), bool(residual)
    cache = cache or GradflowCache()
    return cache.results.get_or_compute((depth, activation, init, batch_norm, residual),
                                        partial(_measure, depth, activation, init, batch_norm,
                                                residual, cache.batch))


def _measure(depth: int, activation: str, init: str, batch_norm: bool, residual: bool,
             batch: tuple[np.ndarray, np.ndarray]) -> GradflowResult:
    """:func:`compute_gradflow` without its cache."""
    X, Y = batch
    net = build_network(depth, activation, init, batch_norm, residual)
    with np.errstate(all="ignore"):  # "large" ReLU networks reach 1e20: reported, not warned
        out, trace = net.forward(X, training=True, trace=True)
        net.backward(2.0 * (out - Y) / len(X), input_grad=False)  # J = mean squared error
        acts = _hidden_activations(net)
        signal_std = np.array([float(np.std(h)) for h in _hidden_outputs(trace)])
        norms = np.array(list(gradient_norms(net).values()))
        dense = [la for la in iter_layers(net.layers) if isinstance(la, Dense)]
        weights = np.array([np.linalg.norm(la.W.value) for la in dense])
        act_std = np.array([float(np.std(a)) for a in acts])
        lo, hi = HIST_RANGE[activation]
        edges = np.linspace(lo, hi, N_BINS + 1)
        hist = np.array([np.histogram(np.clip(a, lo, hi), bins=edges)[0] / a.size
                         for a in acts])
    off = np.array([unit_health(a, activation).off for a in acts])
    verdict, ratio = classify_gradients(norms, weights, signal_std)
    relative = norms[:-1] / np.maximum(weights[:-1], 1e-300)  # hidden layers: ‖∂J/∂W‖ / ‖W‖
    message = _message(depth, activation, init, batch_norm, residual, verdict, ratio, norms,
                       relative, off, signal_std)
    return GradflowResult(depth, activation, init, batch_norm, residual, norms, weights,
                          act_std, signal_std, signal_ratio(signal_std), off, hist, edges,
                          ratio, verdict, message)


# --- the view -------------------------------------------------------------------------------
_VERDICT_COLOR = {"vanishing": PALETTE["blue"], "exploding": PALETTE["vermillion"],
                  "signal fades": PALETTE["blue"], "signal grows": PALETTE["vermillion"],
                  "healthy": PALETTE["green"]}
#: The fixed range of the log axis: from the smallest gradients (a 20-layer sigmoid network
#: with tiny weights, about 1e-37) to the largest (a 20-layer ReLU network with σ = 1, 1e23).
#: Fixed axes let the figure be redrawn quickly, and settings be compared by eye.
FLOOR, CEILING = 1e-40, 1e30


class GradflowView:
    """Left: per-layer gradient norms (backward) and the spread of each hidden layer's output
    (forward), log scale, with the verdict. Right: the histogram of every hidden layer's
    activations, one row per layer (darker = more of the layer's outputs in that bin)."""

    def __init__(self, fig: Figure) -> None:
        self.ax, self.ax_hist = fig.subplots(1, 2, width_ratios=[1.15, 1])
        ax = self.ax
        (self.grad_line,) = ax.semilogy([], [], "-o", ms=4, lw=1.8, color=PALETTE["vermillion"],
                                        label="gradient norm $\\|\\partial J/\\partial W_l\\|$")
        (self.std_line,) = ax.semilogy([], [], "--s", ms=3, lw=1.2, color=PALETTE["blue"],
                                       label="std of layer outputs $a_l$")
        ax.set(xlim=(0.5, MAX_DEPTH + 1.5), ylim=(FLOOR, CEILING),
               xlabel="layer $l$ (input → output)")
        ax.yaxis.set_major_locator(FixedLocator([10.0**k for k in range(-40, 31, 10)]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(math.log10(v))}"))
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.set_title(" ", fontsize=10, weight="bold")
        # One row of cells per hidden layer (a mesh draws much faster than a resampled image).
        self.image = self.ax_hist.pcolormesh(
            np.linspace(0.0, 1.0, N_BINS + 1), np.arange(MAX_DEPTH + 1) + 0.5,
            np.ma.masked_all((MAX_DEPTH, N_BINS)), cmap="Greys",
            norm=PowerNorm(0.5, vmin=0.0, vmax=0.25, clip=True))
        hx = self.ax_hist
        hx.set(ylabel="hidden layer $l$", title=" ", xlim=(0.0, 1.0), xticks=[0.0, 0.5, 1.0],
               xticklabels=[], xlabel="\n ")  # room for the labels below, drawn per result
        hx.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        hx.title.set_fontsize(10)
        # The range depends on the activation: the tick labels and the axis label are dynamic
        # text, so that changing the activation does not redraw the whole figure.
        below = hx.get_xaxis_transform()
        self.tick_text = [hx.text(x, -0.03, "", transform=below, ha="center", va="top",
                                  fontsize=10) for x in (0.0, 0.5, 1.0)]
        self.xlabel = hx.text(0.5, -0.11, "", transform=hx.transAxes, ha="center", va="top",
                              fontsize=10)
        self.dynamic_artists = [self.grad_line, self.std_line, self.image,
                                self.ax.title, hx.title, *self.tick_text, self.xlabel]

    def update(self, r: GradflowResult) -> None:
        layers = np.arange(1, r.depth + 2)
        grads = np.where(np.isfinite(r.grad_norms), r.grad_norms, CEILING)
        self.grad_line.set_data(layers, np.clip(grads, FLOOR, CEILING))
        self.std_line.set_data(layers[:-1], np.clip(r.signal_std, FLOOR, CEILING))
        title = self.ax.title  # the verdict, in its colour
        largest = float(np.max(r.grad_norms)) if np.all(np.isfinite(r.grad_norms)) else math.inf
        if r.verdict.startswith("signal"):
            title.set_text(f"{r.verdict.upper()}: std layer {r.depth} / layer 1 = "
                           f"{_fmt(r.signal_ratio)}")
        elif VANISH_RATIO <= r.ratio <= EXPLODE_RATIO and r.verdict != "healthy":
            title.set_text(f"{r.verdict.upper()}: largest gradient {_fmt(largest)}")
        else:  # short titles: text is most of the time an update takes
            title.set_text(f"{r.verdict.upper()}: layer 1 / layer {r.depth} = {_fmt(r.ratio)}")
        title.set_color(_VERDICT_COLOR[r.verdict])
        data = np.ma.masked_all((MAX_DEPTH, N_BINS))
        data[: r.depth] = r.hist
        self.image.set_array(data)
        lo_a, hi_a = HIST_RANGE[r.activation]
        for text, value in zip(self.tick_text, (lo_a, (lo_a + hi_a) / 2, hi_a), strict=True):
            text.set_text(f"{value:g}")
        self.xlabel.set_text(f"{r.activation} output a"
                             + (" (> 4 in the last bin)" if r.activation == "relu" else ""))
        what = "dead" if r.activation == "relu" else "saturated"
        extras = "".join(t for t, on in ((" + BN", r.batch_norm), (" + skip", r.residual)) if on)
        self.ax_hist.set_title(f"{r.activation}, {_SHORT[r.init]}{extras}: "
                               f"{100 * float(np.mean(r.saturated)):.0f} % {what}")


FIGSIZE = (9.0, 3.8)
_SHORT = {"small": "σ = 0.01", "large": "σ = 1", "xavier": "Xavier", "he": "He"}


def _controls(depth: int, activation: str, init: str, batch_norm: bool,
              residual: bool) -> dict[str, widgets.ValueWidget]:
    on_off = [("off", False), ("on", True)]
    return {
        "depth": widgets.IntSlider(value=depth, min=MIN_DEPTH, max=MAX_DEPTH, step=1,
                                   description="depth", continuous_update=False),
        "activation": widgets.Dropdown(options=ACTIVATIONS, value=activation,
                                       description="activation"),
        "init": widgets.Dropdown(options=[(label, key) for key, label in INITS.items()],
                                 value=init, description="init"),
        "batch_norm": widgets.Dropdown(options=on_off, value=bool(batch_norm),
                                       description="batch norm"),
        "residual": widgets.Dropdown(options=on_off, value=bool(residual),
                                     description="skip conn."),
    }


def gradflow_explorer(depth: int = 15, activation: str = "sigmoid", init: str = "xavier",
                      batch_norm: bool = False, residual: bool = False) -> Explorer:
    """Per-layer gradient norms and activation histograms of a deep network at initialization,
    with the verdict (vanishing, exploding, signal fades, signal grows, healthy); controls
    for the depth, activation, initialization, batch normalization and residual connections.
    ``explorer.cache`` holds the results computed so far."""
    cache = GradflowCache()
    return Explorer("Gradient-flow explorer",
                    _controls(depth, activation, init, batch_norm, residual),
                    partial(compute_gradflow, cache=cache), GradflowView, cache=cache,
                    figsize=FIGSIZE)


def gradflow_twin(sweep: str = "init", values: Sequence[Any] | None = None,
                  **fixed: Any) -> HTML:
    """Static twin of :func:`gradflow_explorer`: by default a 15-layer tanh network with every
    initialization in turn (too small, too large, Xavier/Glorot, He); ``sweep="depth"`` runs
    through the depths instead."""
    settings: dict[str, Any] = {"depth": 15, "activation": "tanh", "init": "xavier",
                                "batch_norm": False, "residual": False}
    settings.update(fixed)
    defaults: dict[str, list[Any]] = {
        "init": list(INITS), "depth": list(range(MIN_DEPTH, MAX_DEPTH + 1, 2)),
        "activation": list(ACTIVATIONS), "batch_norm": [False, True], "residual": [False, True]}
    values = defaults[sweep] if values is None else list(values)
    settings.pop(sweep, None)
    cache = GradflowCache()
    alt = (f"Animation, {len(values)} frames: left, the gradient norm of every layer of a deep "
           "network (vermillion) and the spread of each hidden layer's output (blue, dashed) on "
           "a log scale, with the verdict vanishing, exploding, signal fades, signal grows or "
           "healthy; right, a histogram of "
           f"each hidden layer's activations, one row per layer; as {sweep} goes from "
           f"{values[0]} to {values[-1]}.")
    return static_twin(partial(compute_gradflow, cache=cache), GradflowView, sweep, values,
                       figsize=FIGSIZE, interval_ms=1200, alt=alt, **settings)


#: The website's twin: the activation, the initialization and the depth (no batch normalization,
#: no skip connections), starting from the notebook's 15-layer tanh network with Xavier weights.
TWIN_GRID = TwinGrid(
    {"activation": ACTIVATIONS, "init": tuple(INITS),
     "depth": (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20)},
    fixed={"batch_norm": False, "residual": False},
    start={"activation": "tanh", "init": "xavier", "depth": 15}, figsize=FIGSIZE,
    alt="Left: the gradient norm of every layer of a deep network (vermillion, from the first "
        "layer to the output) and the spread of each hidden layer's output (blue, dashed), on "
        "one log scale, with the verdict (vanishing, exploding, signal fades, signal grows or "
        "healthy) in the title. Right: a histogram of each hidden layer's activations, one row "
        "per layer, darker where more outputs fall, titled with the share of saturated or dead "
        "units.")

SPEC = ExplorerSpec("gradient flow", 6, gradflow_explorer, compute_gradflow, GradflowView,
                    gradflow_twin, sweep="init", values=tuple(INITS), grid=TWIN_GRID)
