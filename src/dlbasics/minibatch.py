r"""Mini-batch gradients and their noise, on the line fit of chapter 5.

A mini-batch of :math:`B` examples estimates the gradient of the cost by the mean of its
examples' gradients. Drawn at random (without replacement, from :math:`n` examples), that
estimate is right on average and misses the full gradient :math:`g` by

.. math:: \sqrt{\mathbb E\,\lVert g_B - g \rVert^2} = \sigma \sqrt{\frac{n - B}{B\,(n - 1)}},

where :math:`\sigma^2` is the mean squared distance of the per-example gradients from
:math:`g`: the noise shrinks like :math:`1/\sqrt B` and vanishes when the batch is the whole
set.

- :func:`batch_data`: the chapter's task, 64 points around the line :math:`y = 2x + 1`;
- :func:`example_gradients`: the gradient of each example's squared error at :math:`(w, b)`;
- :func:`gradient_spread`: that miss, measured by drawing batches and predicted by the formula;
- :func:`run_batch_gd`: mini-batch gradient descent on the task with
  :func:`dlbasics.training.fit`, from the chapter's starting point :data:`BATCH_START`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .datasets import noisy_line
from .layers import Dense
from .network import Network
from .training import History, Seed, fit

Array = np.ndarray

#: Examples in the chapter's task.
BATCH_N = 64
#: (w, b) where every run starts.
BATCH_START = (-0.5, -3.0)


def batch_data(n: int = BATCH_N) -> tuple[Array, Array]:
    """The chapter's regression task: ``noisy_line(n, rng=1)``."""
    return noisy_line(n, rng=1)


def example_gradients(X: Array, y: Array, w: float, b: float) -> Array:
    r"""Per-example gradients of :math:`(w x_i + b - y_i)^2` with respect to :math:`(w, b)`:
    rows :math:`2 r_i\,(x_i, 1)` with :math:`r_i = w x_i + b - y_i`, shape ``(n, 2)``. Their
    mean is the gradient of the cost; the mean over a mini-batch is its estimate."""
    r = (w * X[:, 0] + b - y[:, 0])
    return 2.0 * np.column_stack([r * X[:, 0], r])


def gradient_spread(X: Array, y: Array, w: float, b: float, batch_sizes: Sequence[int] | Array,
                    *, draws: int = 300, rng: Seed = 0) -> tuple[Array, Array]:
    r"""How far mini-batch gradients fall from the full gradient, by batch size.

    For each batch size :math:`B`, ``draws`` mini-batches are drawn without replacement; the
    result is the root-mean-square distance :math:`\sqrt{\mathbb E\,\lVert g_B - g\rVert^2}`
    from the full gradient :math:`g`, measured (first array) and predicted (second array) by
    :math:`\sigma\sqrt{(n - B)/(B(n - 1))}`, where :math:`\sigma^2` is the mean squared distance
    of the per-example gradients from :math:`g`.
    """
    rng = np.random.default_rng(rng)
    G = example_gradients(X, y, w, b)
    n, g = len(G), G.mean(axis=0)
    sigma2 = float(np.mean(np.sum((G - g) ** 2, axis=1)))
    sizes = np.asarray(batch_sizes, dtype=int)
    measured = np.empty(len(sizes))
    for k, B in enumerate(sizes):
        idx = np.argsort(rng.random((draws, n)), axis=1)[:, :B]
        gB = G[idx].mean(axis=1)
        measured[k] = math.sqrt(float(np.mean(np.sum((gB - g) ** 2, axis=1))))
    predicted = np.sqrt(sigma2 * (n - sizes) / (sizes * (n - 1)))
    return measured, predicted


def run_batch_gd(batch_size: int, lr: float = 0.02, epochs: int = 20, *,
                 seed: int = 0) -> History:
    """Mini-batch gradient descent on :func:`batch_data` with :func:`dlbasics.training.fit`
    (a single ``Dense(1, 1)`` layer and squared error) from :data:`BATCH_START`; ``seed``
    shuffles the examples."""
    X, y = batch_data()
    net = Network([Dense(1, 1, rng=0)], name="line")
    net.set_weights([np.array([[BATCH_START[0]]]), np.array([BATCH_START[1]])])
    return fit(net, X, y, loss="squared_error", lr=lr, epochs=epochs, batch_size=batch_size,
               rng=seed, progress=False)
