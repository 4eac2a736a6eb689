"""Regularization: weight penalties and early stopping (chapter 7).

A penalty is added to the cost, ``J = mean loss + penalty``, so its gradient is added to each
weight's gradient. Penalties apply only to parameters created with ``regularize=True`` (the
weights ``W``), never to biases or batch-normalization scales and shifts.

- L2 (*weight decay*): :math:`\\frac{\\lambda}{2}\\sum w^2`, gradient :math:`\\lambda w`: every
  step shrinks each weight in proportion to its size.
- L1: :math:`\\lambda\\sum |w|`, gradient :math:`\\lambda\\,\\mathrm{sign}(w)`: every step pulls
  each weight toward 0 by the same amount, which drives many weights to exactly 0 (sparsity).
  At :math:`w = 0` the subgradient 0 is used.

Dropout lives in :mod:`dlbasics.layers` (:class:`~dlbasics.layers.Dropout`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validate import is_number
from .parameter import Parameter

Array = np.ndarray


def _check_strength(strength: Any) -> float:
    if not is_number(strength) or not np.isfinite(strength):
        raise TypeError(f"penalty strength must be a finite number, got {strength!r}")
    if strength < 0:
        raise ValueError(f"penalty strength must be >= 0, got {strength!r}")
    return float(strength)


def l2_penalty(params: Sequence[Parameter], strength: float) -> float:
    r"""L2 penalty :math:`\frac{\lambda}{2}\sum_w w^2` over the parameters with ``regularize=True``.

    The factor 1/2 makes the gradient simply :math:`\lambda w` (see :func:`l2_penalty_grad`).
    """
    lam = _check_strength(strength)
    return 0.5 * lam * sum(float(np.sum(p.value * p.value)) for p in params if p.regularize)


def l2_penalty_grad(params: Sequence[Parameter], strength: float) -> list[Array]:
    r"""Gradient of :func:`l2_penalty`: :math:`\lambda w` for each parameter (zeros where
    ``regularize=False``), in the order of ``params``."""
    lam = _check_strength(strength)
    return [lam * p.value if p.regularize else np.zeros_like(p.value) for p in params]


def l1_penalty(params: Sequence[Parameter], strength: float) -> float:
    r"""L1 penalty :math:`\lambda\sum_w |w|` over the parameters with ``regularize=True``."""
    lam = _check_strength(strength)
    return lam * sum(float(np.sum(np.abs(p.value))) for p in params if p.regularize)


def l1_penalty_grad(params: Sequence[Parameter], strength: float) -> list[Array]:
    r"""Gradient of :func:`l1_penalty`: :math:`\lambda\,\mathrm{sign}(w)` (0 at :math:`w = 0`),
    zeros where ``regularize=False``, in the order of ``params``."""
    lam = _check_strength(strength)
    return [lam * np.sign(p.value) if p.regularize else np.zeros_like(p.value) for p in params]


class L2:
    r"""The L2 penalty :math:`\frac{\lambda}{2}\sum w^2` as an object for ``fit(penalty=...)``.

    Parameters
    ----------
    strength : float
        :math:`\lambda \ge 0`.
    """

    def __init__(self, strength: float) -> None:
        self.strength = _check_strength(strength)

    def penalty(self, params: Sequence[Parameter]) -> float:
        """The penalty term added to the cost."""
        return l2_penalty(params, self.strength)

    def add_grad(self, params: Sequence[Parameter]) -> None:
        """Add :math:`\\lambda w` into each regularized ``param.grad`` (after the backward pass)."""
        for p in params:
            if p.regularize:
                p.grad += self.strength * p.value

    def __repr__(self) -> str:
        return f"L2({self.strength})"


class L1:
    r"""The L1 penalty :math:`\lambda\sum |w|` as an object for ``fit(penalty=...)``.

    Parameters
    ----------
    strength : float
        :math:`\lambda \ge 0`.
    """

    def __init__(self, strength: float) -> None:
        self.strength = _check_strength(strength)

    def penalty(self, params: Sequence[Parameter]) -> float:
        """The penalty term added to the cost."""
        return l1_penalty(params, self.strength)

    def add_grad(self, params: Sequence[Parameter]) -> None:
        """Add :math:`\\lambda\\,\\mathrm{sign}(w)` into each regularized ``param.grad``."""
        for p in params:
            if p.regularize:
                p.grad += self.strength * np.sign(p.value)

    def __repr__(self) -> str:
        return f"L1({self.strength})"


class EarlyStopping:
    """Stop training when a monitored quantity stops improving (chapter 7).

    A callback for :func:`dlbasics.training.fit`. After each epoch it reads the list
    ``getattr(history, monitor)``; if the last value has not improved on the best one by more
    than ``min_delta`` for ``patience`` epochs in a row, it asks training to stop. With
    ``restore_best=True`` the weights of the best epoch are put back when training ends.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement to tolerate.
    monitor : str, default "val_cost"
        A list attribute of the history, e.g. ``"val_cost"``, ``"cost"``, ``"val_accuracy"``.
    restore_best : bool, default True
    min_delta : float, default 0.0
        The smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}, default "auto"
        Whether smaller or larger is better; ``"auto"`` maximizes names containing
        ``"acc"`` and minimizes everything else.

    Attributes
    ----------
    best : float
        The best value seen. ``best_epoch`` is the epoch it came from.
    stopped_epoch : int or None
        The epoch at which it asked to stop (``None`` if it did not).
    """

    def __init__(
        self,
        patience: int = 5,
        monitor: str = "val_cost",
        restore_best: bool = True,
        min_delta: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise TypeError(f"patience must be a whole number, got {patience!r}")
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience!r}")
        if not is_number(min_delta) or min_delta < 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.patience, self.monitor = int(patience), str(monitor)
        self.restore_best, self.min_delta = bool(restore_best), float(min_delta)
        self.mode = ("max" if "acc" in self.monitor else "min") if mode == "auto" else mode
        self._reset()

    def _reset(self) -> None:
        self.best = np.inf if self.mode == "min" else -np.inf
        self.best_epoch: int | None = None
        self.best_weights: list[Array] | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, history: Any, network: Any) -> bool:
        """Record the monitored value; return True to stop training."""
        values = getattr(history, self.monitor, None)
        if values is None or len(values) == 0:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, but the history has no such values; "
                "pass validation_data to fit for 'val_cost', or monitor 'cost'"
            )
        if len(values) == 1:  # a new training run
            self._reset()
        value = float(values[-1])
        if self._improved(value):  # NaN never improves
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = network.get_weights()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history: Any, network: Any) -> None:
        """Put back the weights of the best epoch (with ``restore_best=True``)."""
        if self.restore_best and self.best_weights is not None:
            network.set_weights(self.best_weights)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
            f"restore_best={self.restore_best}, min_delta={self.min_delta})"
        )
