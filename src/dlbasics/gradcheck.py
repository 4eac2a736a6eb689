"""Gradient checking: compare backpropagation with central differences (chapter 4).

The central difference

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h}

has an error of order :math:`h^2`. It needs two evaluations of ``f`` per number in ``x``, which
is why it checks backpropagation rather than replacing it: backprop gets every partial derivative
for about the cost of one extra forward pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray


def numerical_gradient(f: Callable[[Array], float], x: Array, h: float = 1e-6) -> Array:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a number.
    x : numpy.ndarray
        The point; it is not modified (``f`` is called on perturbed copies).
    h : float
        The step. ``1e-6`` suits float64; use about ``1e-3`` for float32.

    Returns
    -------
    numpy.ndarray
        ``∂f/∂x``, same shape as ``x``, in float64.
    """
    x = np.array(x, dtype=np.float64, order="C", copy=True)  # C order: reshape(-1) is a view
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        f_plus = float(f(x))
        flat_x[i] = old - h
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_jacobian_vector(
    f: Callable[[Array], Array], x: Array, upstream: Array, h: float = 1e-6
) -> Array:
    """Numerical ``∂(Σ upstream · f(x))/∂x``: what a backward pass returns for ``upstream``.

    This checks a vector-valued function (an activation, a layer's forward) without forming
    its whole Jacobian: the scalar ``Σ upstream ⊙ f(x)`` has exactly the gradient that
    backpropagation computes from the upstream gradient ``upstream``.
    """
    upstream = np.asarray(upstream, dtype=np.float64)
    return numerical_gradient(lambda v: float(np.sum(upstream * f(v))), x, h)


def relative_error(a: Array, b: Array, eps: float = 1e-12) -> float:
    """Largest relative difference ``|a − b| / max(|a| + |b|, eps)`` over all entries.

    Rules of thumb in float64: below ``1e-7`` the gradients agree; around ``1e-4`` something is
    suspicious unless there are kinks (ReLU at 0); above ``1e-2`` the backward pass is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


# -- checking layers and whole networks ---------------------------------------------------------


def _float64_clone(obj: Any) -> Any:
    """A deep copy of a layer or network in float64 (so the check never changes ``obj``)."""
    from .layers import iter_layers

    clone = copy.deepcopy(obj)
    for p in clone.parameters():
        p.value = p.value.astype(np.float64)
        p.grad = np.zeros_like(p.value)
    for layer in [clone, *iter_layers(getattr(clone, "layers", []))]:
        for attr in ("running_mean", "running_var"):
            if hasattr(layer, attr):
                setattr(layer, attr, np.asarray(getattr(layer, attr), dtype=np.float64))
    return clone


def _rewinder(obj: Any) -> Callable[[], None]:
    """A function that rewinds every random generator of ``obj`` (dropout masks) to its present
    state, so that each forward pass of the check draws the same masks."""
    from .layers import iter_layers

    gens = {}
    for layer in [obj, *iter_layers(getattr(obj, "layers", []))]:
        g = getattr(layer, "rng", None)
        if isinstance(g, np.random.Generator):
            gens[id(g)] = g
    states = [(g, copy.deepcopy(g.bit_generator.state)) for g in gens.values()]

    def rewind() -> None:
        for g, state in states:
            g.bit_generator.state = state

    return rewind


def _compare_params(
    params: list[Any], scalar: Callable[[], float], h: float, atol: float
) -> dict[str, float]:
    """Relative error between each parameter's ``.grad`` and the numerical gradient of
    ``scalar()`` with respect to that parameter's values."""
    analytic = {p.name: p.grad.copy() for p in params}
    errors = {}
    for p in params:
        original = p.value.copy()

        def f(v: Array, p: Any = p) -> float:
            p.value[...] = v
            return scalar()

        numeric = numerical_gradient(f, original, h)
        p.value[...] = original
        errors[p.name] = relative_error(analytic[p.name], numeric, eps=atol)
    return errors


def check_layer(
    layer: Any,
    X: Array,
    *,
    rng: Any,
    training: bool = False,
    h: float = 1e-5,
    atol: float = 1e-4,
) -> dict[str, float]:
    """Gradient-check one layer's backward pass against central differences (chapter 4).

    A random upstream gradient ``u`` turns the layer into the scalar :math:`\\sum u \\odot
    \\text{layer}(X)`, whose gradients are exactly what ``backward(u, cache)`` computes. The
    check runs on a float64 copy of the layer, so the layer itself is not changed; in training
    mode every forward pass reuses the same dropout masks.

    Parameters
    ----------
    layer : Layer
    X : numpy.ndarray
        The input at which to check.
    rng : numpy.random.Generator or int
        Source of the upstream gradient.
    training : bool, default False
        Check the training-mode behaviour (dropout with a fixed mask, batch statistics).
    h : float, default 1e-5
        The central-difference step.
    atol : float, default 1e-4
        The noise floor, see below.

    Returns
    -------
    dict
        The worst relative error for ``"input"`` (∂J/∂X) and for each parameter name; below
        about 1e-7 in float64 the backward pass is right.

    Notes
    -----
    The numerical side subtracts the value at ``X`` before summing, which removes most of the
    rounding noise; entries where both gradients are smaller than ``atol`` are compared relative
    to ``atol`` (a gradient that is exactly 0, such as that of a bias in front of batch
    normalization, cannot be checked relatively).
    """
    clone = _float64_clone(layer)
    X = np.array(X, dtype=np.float64)
    rewind = _rewinder(clone)

    def output(x: Array) -> Array:
        rewind()
        return clone.forward(x, training=training)[0]

    rewind()
    out, cache = clone.forward(X, training=training)
    upstream = np.random.default_rng(rng).standard_normal(np.shape(out))
    dX = clone.backward(upstream, cache)
    out0 = output(X)

    def scalar(x: Array) -> float:
        return float(np.sum(upstream * (output(x) - out0)))

    errors = {"input": relative_error(dX, numerical_gradient(scalar, X, h), eps=atol)}
    errors.update(_compare_params(clone.parameters(), lambda: scalar(X), h, atol))
    return errors


def check_network(
    network: Any,
    X: Array,
    y: Array,
    loss: Any,
    *,
    training: bool = False,
    penalty: Any = None,
    h: float = 1e-5,
    atol: float = 1e-4,
) -> dict[str, float]:
    """Gradient-check a whole network with its cost (chapter 4).

    The cost is :math:`J = \\frac1n\\sum_i L(\\hat y_i, y_i)` (+ ``penalty``); backpropagation
    starts from :math:`\\partial J/\\partial\\hat y = \\nabla L / n`. Runs on a float64 copy.

    Parameters
    ----------
    network : Network
    X, y : numpy.ndarray
        Inputs and targets.
    loss : str or Loss
        A name for :func:`dlbasics.losses.get_loss`, or an object with ``loss(y_pred, y)``
        (per-example losses) and ``grad(y_pred, y)``.
    training : bool, default False
        Check in training mode (fixed dropout masks, batch statistics).
    penalty : L1 or L2, optional
        Adds ``penalty.penalty(params)`` to the cost and its gradient to the parameters'.
    h, atol : float
        As in :func:`check_layer`.

    Returns
    -------
    dict
        The worst relative error for ``"input"`` and for each parameter name.

    Notes
    -----
    The numerical side subtracts the value at ``X`` before summing, which removes most of the
    rounding noise; entries where both gradients are smaller than ``atol`` are compared relative
    to ``atol`` (a gradient that is exactly 0, such as that of a bias in front of batch
    normalization, cannot be checked relatively).
    """
    if isinstance(loss, str):
        from .losses import get_loss

        loss = get_loss(loss)
    clone = _float64_clone(network)
    params = clone.parameters()
    X = np.array(X, dtype=np.float64)
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.float64)
    rewind = _rewinder(clone)

    def parts(x: Array) -> tuple[Array, float]:
        rewind()
        losses = loss.loss(clone.forward(x, training=training), y)
        return losses, (float(penalty.penalty(params)) if penalty is not None else 0.0)

    rewind()
    out = clone.forward(X, training=training)
    dX = clone.backward(loss.grad(out, y) / out.shape[0])
    if penalty is not None:
        penalty.add_grad(params)
    losses0, penalty0 = parts(X)

    def cost_change(x: Array) -> float:
        losses, pen = parts(x)
        return float(np.mean(losses - losses0)) + (pen - penalty0)

    errors = {"input": relative_error(dX, numerical_gradient(cost_change, X, h), eps=atol)}
    errors.update(_compare_params(params, lambda: cost_change(X), h, atol))
    return errors

