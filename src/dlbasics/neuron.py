"""The artificial neuron: a weighted sum of the inputs plus a bias, then an activation (chapter 1).

.. math:: z = \\mathbf{w} \\cdot \\mathbf{x} + b = \\sum_{i=1}^{d} w_i x_i + b, \\qquad a = g(z)

Weights are any real numbers: a positive weight makes its input excite the neuron, a negative
one inhibits it, and a zero weight ignores it. The bias shifts the threshold, so the neuron
can fire even when every input is zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_float_array, check_finite
from .activations import Activation, get_activation

Array = np.ndarray


def weighted_sum(x: Any, w: Any, b: float) -> Array | float:
    """The neuron's pre-activation :math:`z = \\mathbf{w} \\cdot \\mathbf{x} + b`.

    Parameters
    ----------
    x : array-like, shape (d,) or (n, d)
        One example, or ``n`` examples as rows.
    w : array-like, shape (d,)
        One weight per input.
    b : float
        The bias.

    Returns
    -------
    float or numpy.ndarray of shape (n,)
        ``z`` for the example, or one ``z`` per row.
    """
    x = as_float_array(x, "x", where="weighted_sum")
    w = as_float_array(w, "w", ndim=1, where="weighted_sum")
    b_arr = as_float_array(b, "b", ndim=0, where="weighted_sum")
    if x.ndim not in (1, 2) or x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"weighted_sum: x has shape {x.shape} but w has shape {w.shape}; "
            f"each example needs exactly one input per weight ({w.shape[0]})"
        )
    z = x @ w + b_arr
    return float(z) if x.ndim == 1 else z


def neuron(x: Any, w: Any, b: float, activation: str | Activation = "step") -> Array | float:
    """The neuron's output :math:`a = g(\\mathbf{w} \\cdot \\mathbf{x} + b)`.

    With ``activation="step"`` this is Rosenblatt's perceptron: it outputs 1 when
    :math:`z \\ge 0` and 0 otherwise. The other activations are smooth and do not threshold.
    """
    g = get_activation(activation)
    z = weighted_sum(x, w, b)
    a = g(np.asarray(z))
    return float(a) if np.ndim(a) == 0 else a


def decision_line(w: Any, b: float) -> tuple[str, Array] | None:
    """Where a two-input neuron's :math:`z = 0`: the line :math:`w_1 x_1 + w_2 x_2 + b = 0`.

    Returns ``("y", (slope, intercept))`` for :math:`x_2 = m x_1 + c` when :math:`w_2 \\ne 0`,
    ``("x", (x1,))`` for the vertical line when only :math:`w_1 \\ne 0`, and ``None`` when both
    weights are zero (then :math:`z = b` everywhere and there is no line).
    """
    w = as_float_array(w, "w", ndim=1, where="decision_line")
    check_finite(np.asarray(b, dtype=float), "b", where="decision_line")
    if w.shape != (2,):
        raise ValueError(f"decision_line: needs exactly two weights, got shape {w.shape}")
    w1, w2 = float(w[0]), float(w[1])
    if w2 != 0.0:
        return "y", np.array([-w1 / w2, -float(b) / w2])
    if w1 != 0.0:
        return "x", np.array([-float(b) / w1])
    return None
