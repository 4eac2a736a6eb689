"""Losses, each beside its gradient, and the cost that averages them (chapter 3).

A **loss** measures the error on *one* example; every loss here returns one value per row,
shape ``(n,)``. Its ``_grad`` returns :math:`\\partial L_i / \\partial \\hat y_i`, shaped like the
prediction and **not** divided by ``n``. The **cost** is the mean of the losses plus any
regularization penalty (chapter 7):

.. math:: J = \\frac{1}{n} \\sum_{i=1}^{n} L(\\hat y_i, y_i) + \\text{penalty},

so the cost's gradient with respect to the predictions is ``loss_grad / n``.

Arguments come in the order ``(prediction, target)``, except :func:`kl_divergence`, which keeps
the textbook order :math:`D_{KL}(p \\,\\|\\, q)` (``q`` is the model's prediction). Predictions
keep their dtype (float32 in, float32 out); NaN and infinity are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ._validate import as_float_array, check_labels, check_positive, is_number, unknown_name_error
from .activations import sigmoid, softmax

Array = np.ndarray
CostAndGrad = Callable[[Array, Array], tuple[float, Array]]


def _pair(y_pred: Any, y_true: Any, where: str) -> tuple[Array, Array]:
    """Validate a prediction and its target; return both as ``(n, k)`` in the prediction's dtype.

    A 1-D array of ``n`` values is read as ``n`` examples with one output, so ``(n,)`` and
    ``(n, 1)`` may be mixed; any other difference in shape is an error (no silent broadcasting).
    """
    p = as_float_array(y_pred, "y_pred", where=where)
    t = as_float_array(y_true, "y_true", where=where)
    p2 = p.reshape(-1, 1) if p.ndim == 1 else p
    t2 = t.reshape(-1, 1) if t.ndim == 1 else t
    if p.ndim not in (1, 2) or t.ndim not in (1, 2) or p2.shape != t2.shape:
        raise ValueError(
            f"{where}: y_pred has shape {p.shape} and y_true has shape {t.shape}; they must match "
            "(rows are examples; (n,) counts as (n, 1))"
        )
    return p2, t2.astype(p.dtype, copy=False)


def _class_pair(y_pred: Any, y: Any, where: str) -> tuple[Array, Array]:
    """Validate ``(n, k)`` scores and targets given as labels ``(n,)`` or rows ``(n, k)``."""
    p = as_float_array(y_pred, "y_pred", ndim=2, where=where)
    n, k = p.shape
    y = np.asarray(y)
    if y.ndim == 1:
        labels = check_labels(y, k, name="y_true (class labels)", where=where)
        if labels.shape[0] != n:
            raise ValueError(f"{where}: {n} predictions but {labels.shape[0]} labels")
        t = np.zeros_like(p)
        t[np.arange(n), labels] = 1.0
        return p, t
    t = as_float_array(y, "y_true", where=where)
    if t.shape != p.shape:
        raise ValueError(f"{where}: y_pred has shape {p.shape} and y_true has shape {t.shape};"
                         f" give labels of shape ({n},) or one-hot rows of shape {p.shape}")
    _check_unit_interval(t, "y_true (one-hot or probability rows)", where)
    return p, t.astype(p.dtype, copy=False)


def _check_unit_interval(a: Array, name: str, where: str, hint: str = "") -> None:
    if a.size and (a.min() < 0 or a.max() > 1):
        raise ValueError(f"{where}: {name} must lie in [0, 1], got values from {a.min():g} to "
                         f"{a.max():g}{hint}")


def _check_sums_to_one(a: Array, name: str, where: str, hint: str = "",
                       over: str = "classes") -> None:
    """Refuse probability rows (along the last axis) whose sum is not 1 up to rounding.

    Summing ``k`` probabilities that are each correct to rounding (a softmax output, numbers
    typed as decimals) gives 1 within about ``k`` units of the dtype's machine epsilon; the
    tolerance is four times that (``4 k eps``: about ``1e-14`` for 10 classes in float64,
    ``5e-6`` in float32), far below any real mistake, such as a sigmoid per class.
    """
    if a.size == 0:
        return
    k = a.shape[-1]
    sums = a.sum(axis=-1, dtype=np.float64)
    bad = np.abs(sums - 1.0) > 4 * k * np.finfo(a.dtype).eps
    if not np.any(bad):
        return
    if a.ndim == 1:
        rule, which = "sum to 1", f"it sums to {float(sums)!r}"
    else:
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        row = str(index[0]) if a.ndim == 2 else f"[{', '.join(map(str, index))}, :]"
        n_bad = int(np.count_nonzero(bad))
        others = f" ({n_bad} rows are off)" if n_bad > 1 else ""
        rule, which = "sum to 1 in every row", f"row {row} sums to {float(sums[index])!r}{others}"
    raise ValueError(f"{where}: {name} must {rule} (a probability distribution over {k} "
                     f"{over}), but {which}{hint}")


def _clip(p: Array, high: bool = True) -> Array:
    """Clip probabilities to ``[eps, 1 − eps]`` (eps of the dtype) so ``log`` never sees 0."""
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1.0 - eps if high else 1.0)


# --- regression ----------------------------------------------------------------------------------


def squared_error(y_pred: Array, y_true: Array) -> Array:
    r"""Squared error (L2 loss): :math:`L = \sum_j (\hat y_j - y_j)^2`, summed over output columns.

    No factor ½; its mean over the examples is the mean squared error (MSE), which is a *cost*.
    """
    p, t = _pair(y_pred, y_true, "squared_error")
    return np.sum((p - t) ** 2, axis=1)


def squared_error_grad(y_pred: Array, y_true: Array) -> Array:
    r""":math:`\partial L / \partial \hat y = 2(\hat y - y)`, shaped like ``y_pred``."""
    p, t = _pair(y_pred, y_true, "squared_error_grad")
    return (2.0 * (p - t)).reshape(np.shape(y_pred))


def absolute_error(y_pred: Array, y_true: Array) -> Array:
    r"""Absolute error (L1 loss): :math:`L = \sum_j |\hat y_j - y_j|`; grows only linearly with
    an outlier's residual, so outliers pull less than with the squared error."""
    p, t = _pair(y_pred, y_true, "absolute_error")
    return np.sum(np.abs(p - t), axis=1)


def absolute_error_grad(y_pred: Array, y_true: Array) -> Array:
    r""":math:`\partial L / \partial \hat y = \operatorname{sign}(\hat y - y)` (0 at the kink)."""
    p, t = _pair(y_pred, y_true, "absolute_error_grad")
    return np.sign(p - t).reshape(np.shape(y_pred))


def huber(y_pred: Array, y_true: Array, delta: float = 1.0) -> Array:
    r"""Huber loss, summed over output columns; with the residual :math:`r = \hat y - y`,

    .. math:: L_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta\,(|r| - \tfrac12\delta) & |r| > \delta. \end{cases}

    Half the squared error near the target, linear (like the absolute error) far from it: the
    two pieces meet with equal value and slope at :math:`|r| = \delta`.
    """
    check_positive(delta, "huber delta")
    p, t = _pair(y_pred, y_true, "huber")
    a = np.abs(p - t)
    return np.sum(np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)), axis=1)


def huber_grad(y_pred: Array, y_true: Array, delta: float = 1.0) -> Array:
    r""":math:`\partial L / \partial \hat y = r` for :math:`|r| \le \delta`, else
    :math:`\delta\,\operatorname{sign}(r)`: the residual clipped to :math:`[-\delta, \delta]`."""
    check_positive(delta, "huber delta")
    p, t = _pair(y_pred, y_true, "huber_grad")
    return np.clip(p - t, -delta, delta).reshape(np.shape(y_pred))


# --- binary classification -----------------------------------------------------------------------

_PROBS_HINT = "; for raw scores (logits) use the *_with_logits version"


def _binary_pair(y_pred: Array, y_true: Array, where: str, probs: bool) -> tuple[Array, Array]:
    p, t = _pair(y_pred, y_true, where)
    _check_unit_interval(t, "y_true (labels 0/1 or probabilities)", where)
    if probs:
        _check_unit_interval(p, "y_pred (probabilities)", where, _PROBS_HINT)
    return p, t


def binary_cross_entropy(p: Array, y: Array) -> Array:
    r"""Binary cross-entropy from probabilities :math:`p = \sigma(z)`:

    .. math:: L = -\left[y \log p + (1 - y) \log(1 - p)\right],

    summed over output columns. ``p`` is clipped to :math:`[\epsilon, 1 - \epsilon]` (machine
    epsilon of its dtype), so a probability of exactly 0 or 1 gives a large, finite loss
    instead of :math:`\log 0 = -\infty`.
    """
    p, t = _binary_pair(p, y, "binary_cross_entropy", probs=True)
    pc = _clip(p)
    return -np.sum(t * np.log(pc) + (1.0 - t) * np.log1p(-pc), axis=1)


def binary_cross_entropy_grad(p: Array, y: Array) -> Array:
    r""":math:`\partial L / \partial p = \dfrac{p - y}{p(1 - p)}` (with the clipped ``p``)."""
    shape = np.shape(p)
    p, t = _binary_pair(p, y, "binary_cross_entropy_grad", probs=True)
    pc = _clip(p)
    return ((pc - t) / (pc * (1.0 - pc))).reshape(shape)


def binary_cross_entropy_with_logits(z: Array, y: Array) -> Array:
    r"""Binary cross-entropy of :math:`\sigma(z)`, computed from the logit ``z`` in the stable form

    .. math:: L = \max(z, 0) - z\,y + \log\left(1 + e^{-|z|}\right),

    equal to ``binary_cross_entropy(sigmoid(z), y)`` but exact even for :math:`|z| = 1000`.
    """
    z, t = _binary_pair(z, y, "binary_cross_entropy_with_logits", probs=False)
    return np.sum(np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z))), axis=1)


def binary_cross_entropy_with_logits_grad(z: Array, y: Array) -> Array:
    r""":math:`\partial L / \partial z = \sigma(z) - y`: sigmoid and cross-entropy together give
    the plain error, with no vanishing factor :math:`\sigma'(z)` (chapter 4)."""
    shape = np.shape(z)
    z, t = _binary_pair(z, y, "binary_cross_entropy_with_logits_grad", probs=False)
    return (sigmoid(z) - t).reshape(shape)


# --- multi-class classification ------------------------------------------------------------------


_ROWS_HINT = (
    "; apply softmax to raw scores (logits) first, or use "
    "categorical_cross_entropy_with_logits on the logits"
)


def _probability_rows(p: Array, y: Array, where: str) -> tuple[Array, Array]:
    p, t = _class_pair(p, y, where)
    _check_unit_interval(p, "y_pred (probabilities)", where, _PROBS_HINT)
    _check_sums_to_one(p, "y_pred (probabilities)", where, _ROWS_HINT)
    return p, t


def categorical_cross_entropy(p: Array, y: Array) -> Array:
    r"""Categorical cross-entropy from probability rows ``p`` (e.g. a softmax output):

    .. math:: L = -\sum_k y_k \log p_k = -\log p_{\text{true class}},

    with ``y`` as class labels ``(n,)`` or one-hot (or probability) rows ``(n, k)``. Each row of
    ``p`` must sum to 1 (up to rounding): a row that does not, such as one sigmoid per class,
    is refused. ``p`` is clipped below at machine epsilon, so :math:`p = 0` gives a finite loss.
    """
    p, t = _probability_rows(p, y, "categorical_cross_entropy")
    return -np.sum(t * np.log(_clip(p, high=False)), axis=1)


def categorical_cross_entropy_grad(p: Array, y: Array) -> Array:
    r""":math:`\partial L / \partial p_k = -y_k / p_k` (zero for the other classes).

    The formula treats the :math:`p_k` as independent numbers; through a softmax
    (:func:`~dlbasics.activations.softmax_backward`) it becomes :math:`p - y`.
    """
    p, t = _probability_rows(p, y, "categorical_cross_entropy_grad")
    return -t / _clip(p, high=False)


def _log_softmax(z: Array) -> Array:
    shifted = z - np.max(z, axis=1, keepdims=True)  # largest entry 0: exp cannot overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def categorical_cross_entropy_with_logits(z: Array, y: Array) -> Array:
    r"""Categorical cross-entropy of :math:`\mathrm{softmax}(z)`, from the logits ``z``:

    .. math:: L = -\sum_k y_k \left(z_k - \log \sum_j e^{z_j}\right),

    with the log-sum-exp computed after subtracting the row maximum (stable for any logits).
    """
    z, t = _class_pair(z, y, "categorical_cross_entropy_with_logits")
    return -np.sum(t * _log_softmax(z), axis=1)


def categorical_cross_entropy_with_logits_grad(z: Array, y: Array) -> Array:
    r""":math:`\partial L / \partial z = \mathrm{softmax}(z) - y` for one-hot ``y`` (in general
    :math:`\mathrm{softmax}(z) \sum_k y_k - y`): the famous :math:`p - y` of chapter 4."""
    z, t = _class_pair(z, y, "categorical_cross_entropy_with_logits_grad")
    return softmax(z) * np.sum(t, axis=1, keepdims=True) - t


def kl_divergence(p: Array, q: Array) -> Array:
    r"""Kullback–Leibler divergence of each row of ``q`` (model) from ``p`` (data):

    .. math:: D_{KL}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k}
              = H(p, q) - H(p) \ \ge 0,

    with :math:`0 \log 0 = 0`. Both ``p`` and ``q`` must be distributions along the last
    axis (entries in [0, 1], summing to 1 up to rounding); ``q`` is clipped below at machine
    epsilon. Since the entropy
    :math:`H(p)` does not depend on the model, minimizing KL and cross-entropy
    :math:`H(p, q)` give the same gradient. Returns one value per row (shape ``p.shape[:-1]``).
    """
    p, q = _kl_pair(p, q, "kl_divergence")
    log_p = np.log(np.where(p > 0, p, 1.0))  # log 1 = 0 where p = 0, so 0·log 0 counts as 0
    return np.sum(p * (log_p - np.log(_clip(q, high=False))), axis=-1)


def kl_divergence_grad(p: Array, q: Array) -> Array:
    r""":math:`\partial D_{KL} / \partial q_k = -p_k / q_k`."""
    p, q = _kl_pair(p, q, "kl_divergence_grad")
    return -p / _clip(q, high=False)


def _kl_pair(p: Any, q: Any, where: str) -> tuple[Array, Array]:
    q = as_float_array(q, "q", where=where)
    p = as_float_array(p, "p", where=where)
    if p.shape != q.shape or p.ndim == 0:
        raise ValueError(f"{where}: p has shape {p.shape} and q has shape {q.shape}; they must "
                         "match")
    for a, name in ((p, "p"), (q, "q")):
        _check_unit_interval(a, f"{name} (probabilities)", where)
        _check_sums_to_one(a, f"{name} (probabilities)", where, _KL_HINT, over="outcomes")
    return p.astype(q.dtype, copy=False), q


_KL_HINT = "; divide each row by its sum, or apply softmax to raw scores"


# --- the cost of a mini-batch and its gradient, in one pass --------------------------------------
# The hot path of training (Loss.cost_and_grad): each returns (J_B, ∂J_B/∂ŷ) for the mean loss
# J_B of a batch, the numbers of the functions above (the tests check it), without their input
# checks: the training loop has checked the data once.


def _softmax_ce_logits(z: Array, labels: Array) -> tuple[float, Array]:
    r""":math:`L_i = \log\sum_k e^{z_{ik}} - z_{i y_i}`; gradient
    :math:`(\mathrm{softmax}(z) - \mathrm{onehot}(y)) / n`."""
    n, rows = len(z), np.arange(len(z))
    e = z - z.max(axis=1, keepdims=True)  # shifted: exp cannot overflow
    true = e[rows, labels]
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    cost = float(np.log(s).sum() - true.sum()) / n
    e /= s * n
    e[rows, labels] -= 1.0 / n
    return cost, e


def _sigmoid_ce_logits(z: Array, y: Array) -> tuple[float, Array]:
    r""":math:`L = \sum_j \max(z,0) - zy + \log(1+e^{-|z|})`; gradient :math:`(\sigma(z)-y)/n`."""
    n = len(z)
    losses = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(losses.sum()) / n, (sigmoid(z) - y) / n


def _binary_ce(p: Array, y: Array) -> tuple[float, Array]:
    r""":math:`L = -\sum_j y\log p + (1-y)\log(1-p)` with ``p`` clipped to
    :math:`[\epsilon, 1-\epsilon]`; gradient :math:`(p-y) / (p(1-p)\,n)`."""
    n, eps = len(p), np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1.0 - eps)
    cost = -float(np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p))) / n
    return cost, (p - y) / (p * (1.0 - p) * n)


def _squared_error(y_pred: Array, y: Array) -> tuple[float, Array]:
    r""":math:`L_i = \sum_j (\hat y_{ij} - y_{ij})^2`; gradient :math:`2(\hat y - y)/n`."""
    n, diff = len(y_pred), y_pred - y
    return float(np.vdot(diff, diff)) / n, diff * (2.0 / n)


_FUSED: dict[str, CostAndGrad] = {
    "categorical_cross_entropy_with_logits": _softmax_ce_logits,
    "binary_cross_entropy_with_logits": _sigmoid_ce_logits,
    "binary_cross_entropy": _binary_ce,
    "squared_error": _squared_error,
}


# --- cost and the registry -----------------------------------------------------------------------


def cost(losses: Array, penalty: float = 0.0) -> float:
    r"""The cost :math:`J = \frac1n \sum_i L_i + \text{penalty}`: one number for the whole set.

    ``losses`` are per-example losses (shape ``(n,)``), ``penalty`` a regularization term such
    as :math:`\frac{\lambda}{2}\sum w^2` (chapter 7). A NaN or infinite loss gives a NaN or
    infinite cost (this is how a diverging training run shows itself), not an error.
    """
    losses = np.asarray(losses)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"cost: expects the per-example losses, a non-empty array of shape "
                         f"(n,), got shape {losses.shape}; a cost is already one number")
    if not is_number(penalty):
        raise TypeError(f"cost: penalty must be a number, got {penalty!r}")
    return float(np.mean(losses)) + float(penalty)


@dataclass(frozen=True)
class Loss:
    """A loss together with its gradient, as looked up by name with :func:`get_loss`.

    Both callables take ``(y_pred, y_true)`` (for ``"kl_divergence"``: ``(q, p)``).

    Attributes
    ----------
    name : str
        The registry name.
    loss, grad : callable
        Per-example losses ``(n,)`` and their gradient with respect to ``y_pred``.
    from_logits : bool
        True if the loss expects raw scores (the network ends in an identity, not a
        sigmoid/softmax).
    params : dict
        Extra settings, such as the Huber ``delta``.
    fused : callable or None
        The one-pass ``(cost, gradient)`` of :meth:`cost_and_grad`, for the registry's losses.
    """

    name: str
    loss: Callable[[Array, Array], Array]
    grad: Callable[[Array, Array], Array]
    from_logits: bool = False
    params: dict[str, float] = field(default_factory=dict)
    fused: CostAndGrad | None = field(default=None, compare=False, repr=False)

    def __call__(self, y_pred: Array, y_true: Array) -> Array:
        return self.loss(y_pred, y_true)

    def cost(self, y_pred: Array, y_true: Array, penalty: float = 0.0) -> float:
        """Mean loss plus ``penalty`` (see :func:`cost`)."""
        return cost(self.loss(y_pred, y_true), penalty)

    def cost_grad(self, y_pred: Array, y_true: Array) -> Array:
        """Gradient of the mean loss with respect to ``y_pred``: ``grad / n``."""
        g = self.grad(y_pred, y_true)
        return g / g.shape[0]  # shaped like y_pred, whose rows are the n examples

    def cost_and_grad(self, y_pred: Array, y_true: Array) -> tuple[float, Array | None]:
        """``(mean loss, grad / n)`` of a mini-batch in one pass, without input checks: the
        training step's hot path. ``y_true`` as :meth:`dlbasics.training.Trainer.prepare` gives
        it (class labels ``(n,)`` for categorical cross-entropy, else shaped like ``y_pred``).
        A prediction that is not finite gives a cost that is not finite (a diverging run)."""
        if self.fused is not None:
            return self.fused(y_pred, y_true)
        if not np.isfinite(y_pred).all():  # the checked losses refuse NaN: report it instead
            return math.inf, None
        return float(np.mean(self.loss(y_pred, y_true))), self.grad(y_pred, y_true) / len(y_pred)


def _kl_loss(y_pred: Array, y_true: Array) -> Array:
    return kl_divergence(y_true, y_pred)


def _kl_grad(y_pred: Array, y_true: Array) -> Array:
    return kl_divergence_grad(y_true, y_pred)


_REGISTRY: dict[str, tuple[Callable[..., Array], Callable[..., Array], bool]] = {
    "squared_error": (squared_error, squared_error_grad, False),
    "absolute_error": (absolute_error, absolute_error_grad, False),
    "huber": (huber, huber_grad, False),
    "binary_cross_entropy": (binary_cross_entropy, binary_cross_entropy_grad, False),
    "binary_cross_entropy_with_logits": (binary_cross_entropy_with_logits,
                                         binary_cross_entropy_with_logits_grad, True),
    "categorical_cross_entropy": (categorical_cross_entropy, categorical_cross_entropy_grad, False),
    "categorical_cross_entropy_with_logits": (categorical_cross_entropy_with_logits,
                                              categorical_cross_entropy_with_logits_grad, True),
    "kl_divergence": (_kl_loss, _kl_grad, False),
}

LOSSES: tuple[str, ...] = tuple(_REGISTRY)
"""The names :func:`get_loss` accepts."""


def get_loss(name: str | Loss, **params: float) -> Loss:
    """Look up a loss and its gradient by name.

    Parameters
    ----------
    name : str or Loss
        One of :data:`LOSSES`; a :class:`Loss` is returned unchanged.
    **params
        ``delta`` for ``"huber"`` (default 1.0, must be positive).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a bad ``delta``.
    """
    if isinstance(name, Loss):
        return name
    if name not in _REGISTRY:
        raise unknown_name_error("loss", name, LOSSES)
    fn, grad, from_logits = _REGISTRY[name]
    if name == "huber":
        delta = params.pop("delta", 1.0)
        check_positive(delta, "huber delta")
        if params:
            raise TypeError(f"huber takes only 'delta', got {sorted(params)}")
        return Loss(name, partial(fn, delta=delta), partial(grad, delta=delta), False,
                    {"delta": delta})
    if params:
        raise TypeError(f"loss {name!r} takes no parameters, got {sorted(params)}")
    return Loss(name, fn, grad, from_logits, fused=_FUSED.get(name))
