"""Weight initialization: where gradient descent starts (chapters 4 and 6).

Every initializer has the same signature, ``f(fan_in, fan_out, *, rng, dtype=np.float64)``, and
returns a weight matrix of shape ``(fan_in, fan_out)`` (rows are inputs, columns are the units of
the layer, so that ``z = X W + b``). ``fan_in`` is the number of inputs of each unit and
``fan_out`` the number of units.

Why the scale matters (chapter 6): the variance of ``z = Σ x_i w_i`` is about
``fan_in · Var(w) · Var(x)``. Weights that are too small shrink the signal layer after layer
(vanishing activations and gradients); weights that are too large blow it up (exploding). The
Xavier/Glorot and He rules choose ``Var(w)`` so that the variance stays about constant:

- Xavier/Glorot (for tanh and sigmoid): :math:`\\mathrm{Var}(w) = 2 / (n_{in} + n_{out})`;
- He/Kaiming (for ReLU, which zeroes half its inputs): :math:`\\mathrm{Var}(w) = 2 / n_{in}`.

A uniform distribution on :math:`[-L, L]` has variance :math:`L^2/3`, which gives the limits of
the ``_uniform`` variants. Biases start at zero: the random weights already break the symmetry
between units, so random biases add nothing (chapter 4 shows why all-zero *weights* fail).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ._validate import check_positive, float_dtype, unknown_name_error

Array = np.ndarray
Initializer = Callable[..., Array]


def _check(fan_in: int, fan_out: int, dtype: Any, where: str) -> None:
    check_positive(fan_in, "fan_in", integer=True)
    check_positive(fan_out, "fan_out", integer=True)
    float_dtype(dtype, where)


def zeros(
    fan_in: int, fan_out: int, *, rng: Any = None, dtype: Any = np.float64
) -> Array:
    """All-zero weights (chapter 4): every unit of the layer computes the same thing and gets the
    same gradient, so they stay identical forever (the *symmetry* problem). ``rng`` is ignored.
    """
    _check(fan_in, fan_out, dtype, "zeros")
    return np.zeros((fan_in, fan_out), dtype=dtype)


def normal(
    fan_in: int, fan_out: int, *, rng: Any, dtype: Any = np.float64, std: float = 0.01
) -> Array:
    r"""Gaussian weights with a fixed spread: :math:`w \sim \mathcal N(0, \mathrm{std}^2)`.

    The classic "small random numbers" (chapter 6): fine for one or two layers, but the signal
    shrinks by a factor of about :math:`\mathrm{std}\sqrt{n_{in}}` per layer.
    """
    _check(fan_in, fan_out, dtype, "normal")
    check_positive(std, "std")
    rng = np.random.default_rng(rng)
    return (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)


def xavier_normal(fan_in: int, fan_out: int, *, rng: Any, dtype: Any = np.float64) -> Array:
    r"""Xavier/Glorot normal: :math:`w \sim \mathcal N(0, \sigma^2)`,
    :math:`\sigma = \sqrt{2/(n_{in}+n_{out})}`.

    Keeps the variance of activations (forward) and gradients (backward) about constant for
    tanh and sigmoid layers (chapter 6).
    """
    _check(fan_in, fan_out, dtype, "xavier_normal")
    return normal(fan_in, fan_out, rng=rng, dtype=dtype, std=np.sqrt(2.0 / (fan_in + fan_out)))


def xavier_uniform(fan_in: int, fan_out: int, *, rng: Any, dtype: Any = np.float64) -> Array:
    r"""Xavier/Glorot uniform: :math:`w \sim U(-L, L)`, :math:`L = \sqrt{6/(n_{in}+n_{out})}`
    (the same variance as :func:`xavier_normal`; chapter 6)."""
    _check(fan_in, fan_out, dtype, "xavier_uniform")
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    rng = np.random.default_rng(rng)
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


def he_normal(fan_in: int, fan_out: int, *, rng: Any, dtype: Any = np.float64) -> Array:
    r"""He/Kaiming normal: :math:`w \sim \mathcal N(0, \sigma^2)`, :math:`\sigma = \sqrt{2/n_{in}}`.

    ReLU zeroes about half its inputs, halving the variance; the factor 2 makes up for it
    (chapter 6). The default for ReLU networks.
    """
    _check(fan_in, fan_out, dtype, "he_normal")
    return normal(fan_in, fan_out, rng=rng, dtype=dtype, std=np.sqrt(2.0 / fan_in))


def he_uniform(fan_in: int, fan_out: int, *, rng: Any, dtype: Any = np.float64) -> Array:
    r"""He/Kaiming uniform: :math:`w \sim U(-L, L)`, :math:`L = \sqrt{6/n_{in}}` (chapter 6)."""
    _check(fan_in, fan_out, dtype, "he_uniform")
    limit = np.sqrt(6.0 / fan_in)
    rng = np.random.default_rng(rng)
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


_REGISTRY: dict[str, Initializer] = {
    "zeros": zeros,
    "normal": normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}

INITIALIZERS: tuple[str, ...] = tuple(_REGISTRY)
"""The names :func:`get_initializer` accepts."""


def get_initializer(name: str | Initializer, **params: float) -> Initializer:
    """Look up an initializer by name.

    Parameters
    ----------
    name : str or callable
        One of :data:`INITIALIZERS`, or your own function with the same signature (returned
        unchanged).
    **params
        ``std`` for ``"normal"`` (default 0.01).

    Returns
    -------
    callable
        ``f(fan_in, fan_out, *, rng, dtype=np.float64) -> ndarray``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if callable(name):
        return name
    if name not in _REGISTRY:
        raise unknown_name_error("initializer", name, INITIALIZERS)
    if name == "normal":
        std = params.pop("std", 0.01)
        check_positive(std, "std")
        if params:
            raise TypeError(f"initializer 'normal' takes only 'std', got {sorted(params)}")
        return partial(normal, std=std)
    if params:
        raise TypeError(f"initializer {name!r} takes no parameters, got {sorted(params)}")
    return _REGISTRY[name]
