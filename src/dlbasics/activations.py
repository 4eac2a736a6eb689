"""Activation functions, each beside its derivative (chapter 2).

An activation ``g`` turns a neuron's weighted sum ``z`` into its output ``a = g(z)``.
Backpropagation needs ``g'(z)``, so every function here sits next to its derivative
``<name>_grad``. All functions work elementwise on arrays of any shape, except
:func:`softmax`, which works along the last axis (one row per example). None of them
modifies its input; float32 input gives float32 output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ._validate import check_in_range, unknown_name_error

Array = np.ndarray


def _float(z: Any) -> Array:
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def identity(z: Array) -> Array:
    r"""Identity: :math:`g(z) = z`. The output activation for regression."""
    return _float(z).copy()


def identity_grad(z: Array) -> Array:
    r"""Derivative of the identity: :math:`g'(z) = 1`."""
    return np.ones_like(_float(z))


def step(z: Array) -> Array:
    r"""Binary step (the perceptron's threshold): :math:`g(z) = 1` if :math:`z \ge 0`, else 0."""
    z = _float(z)
    return (z >= 0).astype(z.dtype)


def step_grad(z: Array) -> Array:
    r"""Derivative of the step: 0 everywhere (undefined at 0, taken as 0).

    A zero gradient is why gradient descent cannot train a network of step units.
    """
    return np.zeros_like(_float(z))


def sigmoid(z: Array) -> Array:
    r"""Logistic sigmoid: :math:`\sigma(z) = 1 / (1 + e^{-z})`, with range (0, 1).

    Computed without overflow for any finite ``z``: for ``z < 0`` it uses the equal form
    :math:`e^{z} / (1 + e^{z})`, so ``exp`` only ever sees non-positive arguments.
    """
    z = _float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_grad(z: Array) -> Array:
    r"""Derivative of the sigmoid: :math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le 1/4`.

    The maximum, 1/4, is reached at :math:`z = 0`; for large :math:`|z|` the derivative
    vanishes (saturation).
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: Array) -> Array:
    r"""Hyperbolic tangent: :math:`\tanh(z) = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`, range (−1, 1).

    Zero-centred, unlike the sigmoid; :math:`\tanh(z) = 2\sigma(2z) - 1`.
    """
    return np.tanh(_float(z))


def tanh_grad(z: Array) -> Array:
    r"""Derivative of tanh: :math:`\tanh'(z) = 1 - \tanh^2(z) \le 1`, largest at :math:`z = 0`."""
    t = np.tanh(_float(z))
    return 1.0 - t * t


def relu(z: Array) -> Array:
    r"""Rectified linear unit: :math:`\mathrm{ReLU}(z) = \max(0, z)`, range [0, ∞)."""
    z = _float(z)
    return np.maximum(z, 0.0).astype(z.dtype, copy=False)


def relu_grad(z: Array) -> Array:
    r"""Derivative of ReLU: 1 for :math:`z > 0`, 0 for :math:`z \le 0` (taken as 0 at 0).

    A unit whose ``z`` is negative for every input gets no gradient at all: a *dead* ReLU.
    """
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z: Array, slope: float = 0.01) -> Array:
    r"""Leaky ReLU: :math:`g(z) = z` for :math:`z > 0`, :math:`\alpha z` otherwise (``slope`` = α).

    The small negative-side slope keeps a gradient flowing, so units cannot die.
    """
    z = _float(z)
    return np.where(z > 0, z, slope * z).astype(z.dtype, copy=False)


def leaky_relu_grad(z: Array, slope: float = 0.01) -> Array:
    r"""Derivative of leaky ReLU: 1 for :math:`z > 0`, α (``slope``) otherwise."""
    z = _float(z)
    return np.where(z > 0, 1.0, slope).astype(z.dtype, copy=False)


def softmax(z: Array) -> Array:
    r"""Softmax along the last axis: :math:`\mathrm{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}`.

    Each row becomes a probability distribution (positive entries summing to 1). The row's
    maximum is subtracted first (:math:`\mathrm{softmax}(z) = \mathrm{softmax}(z - \max z)`),
    so ``exp`` never overflows, even for logits of size 1000.
    """
    z = _float(z)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_backward(upstream: Array, s: Array) -> Array:
    r"""Vector-Jacobian product of softmax: given ``upstream`` = ∂J/∂s and ``s`` = softmax(z),
    return ∂J/∂z.

    The Jacobian is :math:`\partial s_i / \partial z_j = s_i(\delta_{ij} - s_j)`, so
    :math:`\partial J/\partial z = s \odot (u - \langle u, s\rangle)` row by row.
    """
    upstream = _float(upstream)
    return s * (upstream - np.sum(upstream * s, axis=-1, keepdims=True))


def softmax_jacobian(z: Array) -> Array:
    r"""Full Jacobian :math:`J_{ij} = s_i(\delta_{ij} - s_j)` of softmax for one vector ``z``."""
    s = softmax(np.ravel(_float(z)))
    return np.diag(s) - np.outer(s, s)


@dataclass(frozen=True)
class Activation:
    """An activation function together with its derivative, as looked up by name.

    Attributes
    ----------
    name : str
        The registry name, e.g. ``"relu"`` or ``"leaky_relu"``.
    fn : callable
        ``a = fn(z)``.
    grad : callable or None
        Elementwise derivative ``g'(z)``; ``None`` for softmax, whose derivative is a Jacobian.
    params : dict
        Extra settings, such as the leaky ReLU ``slope``.
    """

    name: str
    fn: Callable[[Array], Array]
    grad: Callable[[Array], Array] | None
    params: dict[str, float] = field(default_factory=dict)

    def __call__(self, z: Array) -> Array:
        return self.fn(z)

    def backward(self, upstream: Array, z: Array, a: Array) -> Array:
        """Return ∂J/∂z given ∂J/∂a (``upstream``), the input ``z`` and the output ``a``."""
        if self.grad is None:  # softmax couples the entries of a row
            return softmax_backward(upstream, a)
        return upstream * self.grad(z)

    @property
    def elementwise(self) -> bool:
        """True unless the activation mixes the entries of a row (softmax)."""
        return self.grad is not None


_REGISTRY: dict[str, tuple[Callable[..., Array], Callable[..., Array] | None]] = {
    "identity": (identity, identity_grad),
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "softmax": (softmax, None),
}

ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)
"""The names :func:`get_activation` accepts."""


def get_activation(name: str | Activation, **params: float) -> Activation:
    """Look up an activation and its derivative by name.

    Parameters
    ----------
    name : str or Activation
        One of :data:`ACTIVATIONS`; an :class:`Activation` is returned unchanged.
    **params
        ``slope`` for ``"leaky_relu"`` (default 0.01, must be in [0, 1)).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a bad slope.
    """
    if isinstance(name, Activation):
        return name
    if name not in _REGISTRY:
        raise unknown_name_error("activation", name, ACTIVATIONS)
    fn, grad = _REGISTRY[name]
    if name == "leaky_relu":
        slope = params.pop("slope", 0.01)
        check_in_range(slope, "leaky_relu slope", 0.0, 1.0)
        if params:
            raise TypeError(f"leaky_relu takes only 'slope', got {sorted(params)}")
        return Activation(name, partial(leaky_relu, slope=slope),
                          partial(leaky_relu_grad, slope=slope), {"slope": slope})
    if params:
        raise TypeError(f"activation {name!r} takes no parameters, got {sorted(params)}")
    return Activation(name, fn, grad)
