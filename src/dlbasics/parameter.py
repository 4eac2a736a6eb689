"""Parameters: the numbers a network learns, each with a name and a gradient (chapter 4)."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A named array of learnable numbers with the gradient of the cost with respect to it.

    Parameters
    ----------
    name : str
        A readable name such as ``"dense1.W"``; shown in summaries, gradient checks and errors.
    value : numpy.ndarray
        The initial values. The parameter keeps its own copy.
    regularize : bool, default True
        Whether weight penalties (L1, L2, weight decay) apply to it. Weights: yes; biases and
        batch-normalization scales and shifts: no.

    Attributes
    ----------
    value : numpy.ndarray
        The current values, updated in place by the optimizers.
    grad : numpy.ndarray
        ``∂J/∂value``, same shape and dtype as ``value``; written by ``backward``.
    """

    __slots__ = ("grad", "name", "regularize", "value")

    def __init__(self, name: str, value: np.ndarray, *, regularize: bool = True) -> None:
        self.name = name
        self.value = np.array(value, copy=True)
        if not np.issubdtype(self.value.dtype, np.floating):
            self.value = self.value.astype(np.float64)
        self.grad = np.zeros_like(self.value)
        self.regularize = regularize

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the array."""
        return self.value.shape

    @property
    def size(self) -> int:
        """How many numbers the parameter holds."""
        return int(self.value.size)

    def zero_grad(self) -> None:
        """Set the gradient to zero."""
        self.grad[...] = 0.0

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.shape}, dtype={self.value.dtype})"
