"""Gradient-flow explorer (chapter 6): how large is the gradient in each layer of a deep network?

A deep network of equal-width hidden layers (``Dense → [BatchNorm] → activation``, optionally
wrapped in residual blocks ``x + F(x)``) is built with a chosen depth, activation and
initialization, run forward and backward **once** on a fixed, seeded batch (no training), and
measured:

- the norm of each layer's weight gradient, :math:`\\lVert \\partial J/\\partial W_l \\rVert`
  (:func:`dlbasics.diagnostics.gradient_norms`), from the first layer to the output;
- the spread of each hidden layer's activations and their histogram, with the fraction of
  saturated sigmoid/tanh units or dead ReLU units (:func:`dlbasics.diagnostics.activation_stats`);
- the spread (standard deviation) of each hidden layer's output, the signal the next layer
  sees: the activations themselves, or :math:`x + F(x)` for a residual block.

:func:`classify_gradients` turns these into a verdict, checked in this order:

1. **exploding**: some gradient norm is not finite, the first hidden layer's gradient norm is
   more than :data:`EXPLODE_RATIO` (100) times the last hidden layer's, or some hidden layer's
   gradient is more than :data:`EXPLODE_RELATIVE` (100) times the norm of its weights;
2. **vanishing**: the first hidden layer's gradient norm is less than :data:`VANISH_RATIO`
   (1/100) times the last one's, or every hidden layer's gradient is less than
   :data:`VANISH_RELATIVE` (1e-5) times its weights;
3. **signal fades**: going forward, the spread of the last hidden layer's output is less than
   :data:`FADE_RATIO` (1/10) times the first hidden layer's: the deep layers see almost nothing
   of the input, even if the gradients are evenly spread (ReLU with Xavier weights, for
   example);
4. **signal grows**: that spread is more than :data:`GROW_RATIO` (10) times the first's;
5. **healthy**: none of these. The gradients of the first and last hidden layers are within a
   factor of 100 of each other and the forward signal keeps its spread within a factor of 10.

The result states the verdict in words in its ``message`` and the figure in its title. Every
explorer keeps its own :class:`GradflowCache` of results, so returning to a setting costs
nothing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..diagnostics import gradient_norms
from ..init import get_initializer
from ..layers import ActivationLayer, BatchNorm, Dense, Layer, Residual, iter_layers
from ..network import Network
from ..plotting import PALETTE
from ._base import Explorer, static_twin

ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: The initializations on offer: their menu labels.
INITS = {"small": "small (σ = 0.01)", "large": "large (σ = 1)", "xavier": "Xavier/Glorot",
         "he": "He"}
_INIT_FUNCS = {"small": get_initializer("normal", std=0.01),
               "large": get_initializer("normal", std=1.0),
               "xavier": get_initializer("xavier_normal"), "he": get_initializer("he_normal")}
WIDTH = 32  # units per hidden layer (and input features)
N_EXAMPLES = 64  # examples in the fixed batch
MIN_DEPTH, MAX_DEPTH = 2, 20
VERDICTS = ("vanishing", "exploding", "signal fades", "signal grows", "healthy")
#: First-to-last hidden-layer gradient ratio below which the gradient is called vanishing …
VANISH_RATIO = 1e-2
#: … and above which it is called exploding.
EXPLODE_RATIO = 1e2
#: Exploding also when some layer's gradient is this many times larger than its weights (one
#: SGD step with η = 0.01 would then change them by more than their own size) …
EXPLODE_RELATIVE = 1e2
#: … vanishing when every layer's gradient is below this fraction of its weights.
VANISH_RELATIVE = 1e-5
#: Going forward, the signal fades when the last hidden layer's output has a spread (std)
#: below this fraction of the first hidden layer's …
FADE_RATIO = 0.1
#: … and grows when it is above this multiple.
GROW_RATIO = 10.0
#: The histogram range of each activation; ReLU outputs above 4 are counted in the last bin.
HIST_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 4.0)}
N_BINS = 40
CACHE_SIZE = 128


def probe_batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed batch every measurement uses: ``N_EXAMPLES`` standard-normal inputs with
    ``WIDTH`` features, and standard-normal regression targets."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N_EXAMPLES, WIDTH)), rng.standard_normal((N_EXAMPLES, 1))


def build_network(depth: int = 15, activation: str = "sigmoid", init: str = "xavier",
                  batch_norm: bool = False, residual: bool = False, *, seed: int = 0) -> Network:
    """``depth`` hidden layers of ``WIDTH`` units and one linear output unit.

    Each hidden layer is ``Dense → [BatchNorm] → activation``; with ``residual`` every hidden
    layer after the first is a residual block :math:`x + F(x)` around those layers
    (:class:`~dlbasics.layers.Residual`). ``init`` is a key of :data:`INITS`; biases start at 0.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if init not in _INIT_FUNCS:
        raise ValueError(f"init must be one of {tuple(INITS)}, got {init!r}")
    rng = np.random.default_rng(seed)
    initializer = _INIT_FUNCS[init]
    layers: list[Layer] = []
    for i in range(int(depth)):
        block: list[Layer] = [Dense(WIDTH, WIDTH, rng=rng, init=initializer)]
        if batch_norm:
            block.append(BatchNorm(WIDTH))
        block.append(ActivationLayer(activation))
        if residual and i > 0:
            layers.append(Residual(*block))
        else:
            layers.extend(block)
    layers.append(Dense(WIDTH, 1, rng=rng, init=initializer, name="output"))
    return Network(layers, name=f"{depth}-layer {activation}")


def signal_ratio(signal_std: np.ndarray) -> float:
    """The spread of the last hidden layer's output over the first's (1.0 if both are 0)."""
    first, last = float(signal_std[0]), float(signal_std[-1])
    if first > 0 and math.isfinite(first):
        return last / first if math.isfinite(last) else math.inf
    return 1.0 if last == 0 else math.inf


def classify_gradients(grad_norms: np.ndarray, weight_norms: np.ndarray,
                       signal_std: np.ndarray | None = None) -> tuple[str, float]:
    """Name the gradient flow of a network from its per-layer norms (first layer first, the
    output layer last) and, if given, the spread of each hidden layer's output going forward
    (``signal_std``, first hidden layer first): returns ``(verdict, ratio)``.

    ``ratio`` is the first hidden layer's gradient norm over the last hidden layer's. The
    verdict is, in this order:

    - ``"exploding"`` if a norm is not finite, the ratio exceeds :data:`EXPLODE_RATIO` (100),
      or some hidden layer's gradient exceeds :data:`EXPLODE_RELATIVE` (100) times its weights;
    - ``"vanishing"`` if the ratio is below :data:`VANISH_RATIO` (1/100) or every hidden
      layer's gradient is below :data:`VANISH_RELATIVE` (1e-5) times its weights;
    - ``"signal fades"`` if the last hidden layer's output spreads less than
      :data:`FADE_RATIO` (1/10) times as much as the first's (:func:`signal_ratio`);
    - ``"signal grows"`` if it spreads more than :data:`GROW_RATIO` (10) times as much;
    - ``"healthy"`` otherwise: gradients within a factor of 100 of each other from the first
      to the last hidden layer, and a forward signal that keeps its size within a factor of 10.
    """
    g = np.asarray(grad_norms, dtype=float)
    w = np.asarray(weight_norms, dtype=float)
    if not np.all(np.isfinite(g)):
        return "exploding", math.inf
    hidden_g, hidden_w = g[:-1], w[:-1]
    ratio = float(hidden_g[0] / hidden_g[-1]) if hidden_g[-1] > 0 else math.inf
    relative = hidden_g / np.maximum(hidden_w, 1e-300)
    if ratio > EXPLODE_RATIO or relative.max() > EXPLODE_RELATIVE:
        return "exploding", ratio
    if ratio < VANISH_RATIO or relative.max() < VANISH_RELATIVE:
        return "vanishing", ratio
    if signal_std is not None:
        forward = signal_ratio(np.asarray(signal_std, dtype=float))
        if forward < FADE_RATIO:
            return "signal fades", ratio
        if forward > GROW_RATIO:
            return "signal grows", ratio
    return "healthy", ratio


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
    for layer, cache in zip(net.layers, net.caches, strict=True):
        if isinstance(layer, ActivationLayer):
            out.append(cache[1])
        elif isinstance(layer, Residual):
            for inner, inner_cache in zip(layer.layers, cache, strict=True):
                if isinstance(inner, ActivationLayer):
                    out.append(inner_cache[1])
    return out


def _fraction_off(a: np.ndarray, activation: str) -> float:
    """Fraction of saturated outputs (sigmoid, tanh) or of dead units (ReLU), as
    :func:`dlbasics.diagnostics.activation_stats` counts them."""
    if activation == "sigmoid":
        return float(np.mean((a < 0.01) | (a > 0.99)))
    if activation == "tanh":
        return float(np.mean(np.abs(a) > 0.99))
    return float(np.mean(np.all(a <= 0, axis=0)))


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
        self.maxsize = maxsize
        self.n_builds = 0
        self.batch = probe_batch()
        self._results: OrderedDict[tuple, GradflowResult] = OrderedDict()

    def get(self, key: tuple) -> GradflowResult | None:
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        return None

    def put(self, key: tuple, result: GradflowResult) -> None:
        self._results[key] = result
        if len(self._results) > self.maxsize:
            self._results.popitem(last=False)


def compute_gradflow(depth: int = 15, activation: str = "sigmoid", init: str = "xavier",
                     batch_norm: bool = False, residual: bool = False, *,
                     cache: GradflowCache | None = None) -> GradflowResult:
    """Build the network (``build_network`` in this module), run one forward pass in training
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
        ``VERDICTS``, by the rule of ``classify_gradients``, both in this module) and a message
        that states it in words.
    """
    depth = int(min(max(int(depth), MIN_DEPTH), MAX_DEPTH))
    batch_norm, residual = bool(batch_norm), bool(residual)
    key = (depth, activation, init, batch_norm, residual)
    cache = cache or GradflowCache()
    hit = cache.get(key)
    if hit is not None:
        return hit
    X, Y = cache.batch
    net = build_network(depth, activation, init, batch_norm, residual)
    cache.n_builds += 1
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
    off = np.array([_fraction_off(a, activation) for a in acts])
    verdict, ratio = classify_gradients(norms, weights, signal_std)
    relative = norms[:-1] / np.maximum(weights[:-1], 1e-300)  # hidden layers: ‖∂J/∂W‖ / ‖W‖
    message = _message(depth, activation, init, batch_norm, residual, verdict, ratio, norms,
                       relative, off, signal_std)
    result = GradflowResult(depth, activation, init, batch_norm, residual, norms, weights,
                            act_std, signal_std, signal_ratio(signal_std), off, hist, edges,
                            ratio, verdict, message)
    cache.put(key, result)
    return result


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

    def __init__(self, fig) -> None:
        self.ax, self.ax_hist = fig.subplots(1, 2, width_ratios=[1.15, 1])
        ax = self.ax
        (self.grad_line,) = ax.semilogy([], [], "-o", ms=4, lw=1.8, color=PALETTE["vermillion"],
                                        label="gradient norm $\\|\\partial J/\\partial W_l\\|$")
        (self.std_line,) = ax.semilogy([], [], "--s", ms=3, lw=1.2, color=PALETTE["blue"],
                                       label="std of layer outputs $a_l$")
        ax.set(xlim=(0.5, MAX_DEPTH + 1.5), ylim=(FLOOR, CEILING),
               xlabel="layer $l$ (input → output)")
        ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-40, 31, 10)))
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
    explorer = Explorer("Gradient-flow explorer",
                        _controls(depth, activation, init, batch_norm, residual),
                        partial(compute_gradflow, cache=cache), GradflowView, figsize=FIGSIZE)
    explorer.cache = cache
    return explorer


def gradflow_twin(sweep: str = "init", values=None, **fixed):
    """Static twin of :func:`gradflow_explorer`: by default a 15-layer tanh network with every
    initialization in turn (too small, too large, Xavier/Glorot, He); ``sweep="depth"`` runs
    through the depths instead."""
    settings: dict[str, Any] = {"depth": 15, "activation": "tanh", "init": "xavier",
                                "batch_norm": False, "residual": False}
    settings.update(fixed)
    if values is None:
        values = {"init": list(INITS), "depth": list(range(MIN_DEPTH, MAX_DEPTH + 1, 2)),
                  "activation": list(ACTIVATIONS), "batch_norm": [False, True],
                  "residual": [False, True]}[sweep]
    values = list(values)
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
