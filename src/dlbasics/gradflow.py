r"""Gradient flow through a deep network at initialization (chapter 6).

A deep network of equal-width hidden layers (:func:`build_network`: ``Dense → [BatchNorm] →
activation``, optionally wrapped in residual blocks ``x + F(x)``) is run forward and backward
once on a fixed, seeded batch (:func:`probe_batch`). How large each layer's weight gradient is,
:math:`\lVert \partial J/\partial W_l \rVert` (:func:`dlbasics.diagnostics.gradient_norms`),
and how the spread of each hidden layer's output changes going forward say whether the network
can learn. :func:`classify_gradients` turns these into a verdict, checked in this order:

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
"""

from __future__ import annotations

import math

import numpy as np

from .init import get_initializer
from .layers import ActivationLayer, BatchNorm, Dense, Layer, Residual
from .network import Network

Array = np.ndarray

#: The hidden activations of :func:`build_network`.
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: The initializations of :func:`build_network`, with their labels.
INITS = {"small": "small (σ = 0.01)", "large": "large (σ = 1)", "xavier": "Xavier/Glorot",
         "he": "He"}
_INIT_FUNCS = {"small": get_initializer("normal", std=0.01),
               "large": get_initializer("normal", std=1.0),
               "xavier": get_initializer("xavier_normal"), "he": get_initializer("he_normal")}
#: Units per hidden layer (and input features).
WIDTH = 32
#: Examples in the fixed batch.
N_EXAMPLES = 64
#: The verdicts of :func:`classify_gradients`.
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


def probe_batch(seed: int = 0) -> tuple[Array, Array]:
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


def signal_ratio(signal_std: Array) -> float:
    """The spread of the last hidden layer's output over the first's (1.0 if both are 0)."""
    first, last = float(signal_std[0]), float(signal_std[-1])
    if first > 0 and math.isfinite(first):
        return last / first if math.isfinite(last) else math.inf
    return 1.0 if last == 0 else math.inf


def classify_gradients(grad_norms: Array, weight_norms: Array,
                       signal_std: Array | None = None) -> tuple[str, float]:
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
