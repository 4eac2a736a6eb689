"""Diagnostics: look inside a network while it learns (chapter 6).

- :func:`gradient_norms`: how large each layer's weight gradient is. In a deep sigmoid network
  the norms shrink toward the input layers (vanishing gradients); with weights that are too
  large they grow (exploding gradients).
- :func:`unit_health`: how many of a layer's units have stopped passing gradient back: the
  saturated sigmoid/tanh outputs (where :math:`g'(z) \\approx 0`) and the dead ReLU units (zero
  for every example, so they get no gradient). :func:`activation_stats` reports it for every
  activation layer, with the mean and spread of its outputs.
- :func:`update_ratio`: the size of one update relative to the weights,
  :math:`\\lVert\\Delta w\\rVert / \\lVert w\\rVert`; around :math:`10^{-3}` is a common
  rule of thumb, much larger suggests a learning rate that is too high.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .layers import Dense, iter_layers

Array = np.ndarray

SATURATION = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
"""An activation counts as saturated outside these bounds of its output ``a``."""


def gradient_norms(network: Any) -> dict[str, float]:
    r"""The norm :math:`\lVert \partial J/\partial W \rVert_F` of each Dense layer's gradient.

    Call it after ``network.backward``. Keys are layer names, from the input to the output
    (layers inside residual blocks included).
    """
    return {
        layer.name: float(np.linalg.norm(layer.W.grad))
        for layer in iter_layers(network.layers)
        if isinstance(layer, Dense)
    }


class UnitHealth(NamedTuple):
    """The answer of :func:`unit_health` (``None`` where the idea does not apply)."""

    saturated: float | None
    dead: float | None

    @property
    def off(self) -> float:
        """The fraction that passes almost no gradient back: saturated outputs for sigmoid and
        tanh, dead units for ReLU, 0 for other activations."""
        return next((v for v in self if v is not None), 0.0)


def unit_health(a: Any, activation: str) -> UnitHealth:
    """How many of a layer's units have stopped passing gradient back, on a batch (chapter 6).

    Parameters
    ----------
    a : array (n_examples, units)
        The layer's outputs after its activation.
    activation : str
        The activation's name.

    Returns
    -------
    UnitHealth
        ``saturated``: for sigmoid and tanh, the fraction of outputs outside
        :data:`SATURATION` (``a < 0.01`` or ``a > 0.99`` for sigmoid, ``|a| > 0.99`` for tanh).
        ``dead``: for ReLU, the fraction of units whose output is 0 for every example of the
        batch. ``.off`` is whichever applies.
    """
    a = np.asarray(a)
    saturated = dead = None
    if activation in SATURATION:
        low, high = SATURATION[activation]
        saturated = float(np.mean((a < low) | (a > high)))
    if activation == "relu":
        dead = float(np.mean(np.all(a <= 0, axis=0)))
    return UnitHealth(saturated, dead)


def activation_stats(trace: Sequence[Any]) -> list[dict[str, Any]]:
    """Statistics of every activation layer in a trace from ``network.forward(X, trace=True)``.

    Returns
    -------
    list of dict
        One dict per activation layer with keys ``name``, ``activation``, ``mean``, ``std``
        (of the outputs ``a`` over the batch), ``saturated`` and ``dead`` (as
        :func:`unit_health` counts them; ``None`` where they do not apply).
    """
    stats = []
    for record in trace:
        if record.a is None:
            continue
        a = np.asarray(record.a)
        kind = record.kind
        saturated, dead = unit_health(a, kind)
        stats.append(
            {
                "name": record.name,
                "activation": kind,
                "mean": float(np.mean(a)),
                "std": float(np.std(a)),
                "saturated": saturated,
                "dead": dead,
            }
        )
    return stats


def update_ratio(
    before: Sequence[Array] | Mapping[str, Array],
    after: Any,
    *,
    names: Sequence[str] | None = None,
) -> dict[str, float]:
    r"""The relative size of an update, :math:`\lVert w_\text{after} - w_\text{before}\rVert /
    \lVert w_\text{before}\rVert`, per parameter.

    Parameters
    ----------
    before : list of arrays or dict
        Weights before the update, e.g. ``network.get_weights()``, or a dict name → array.
    after : list of arrays, dict, or Network
        Weights after the update; a network gives its current values and the parameter names.
    names : sequence of str, optional
        Names for list inputs (default: the network's parameter names, else ``"0"``, ``"1"``...).

    Returns
    -------
    dict
        Name → ratio. A parameter that was all zeros gives ``inf`` if it changed, else 0.

    Examples
    --------
    >>> before = net.get_weights()  # doctest: +SKIP
    >>> ...one training step...     # doctest: +SKIP
    >>> update_ratio(before, net)   # doctest: +SKIP
    """
    if hasattr(after, "parameters"):
        params = after.parameters()
        names = [p.name for p in params] if names is None else names
        after = [p.value for p in params]
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
            raise TypeError("update_ratio: give before and after both as dicts or both as lists")
        if set(before) != set(after):
            raise ValueError(
                f"update_ratio: before and after name different parameters: "
                f"{sorted(set(before) ^ set(after))}"
            )
        pairs = [(str(k), before[k], after[k]) for k in before]
    else:
        if len(before) != len(after):
            raise ValueError(
                f"update_ratio: before has {len(before)} arrays but after has {len(after)}"
            )
        names = [str(i) for i in range(len(before))] if names is None else names
        pairs = list(zip(names, before, after, strict=True))
    ratios = {}
    for name, w0, w1 in pairs:
        w0, w1 = np.asarray(w0, dtype=np.float64), np.asarray(w1, dtype=np.float64)
        if w0.shape != w1.shape:
            raise ValueError(
                f"update_ratio: {name!r} has shape {w0.shape} before, {w1.shape} after"
            )
        step, size = float(np.linalg.norm(w1 - w0)), float(np.linalg.norm(w0))
        ratios[name] = step / size if size > 0 else (np.inf if step > 0 else 0.0)
    return ratios
