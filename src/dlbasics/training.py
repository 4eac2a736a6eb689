r"""The training loop: mini-batch gradient descent with a history and callbacks (chapters 5, 8).

One **epoch** is one pass over the training set, shuffled and cut into mini-batches of
``batch_size`` examples. Each **step** (iteration) takes one mini-batch :math:`B`: forward pass
(training mode); cost :math:`J_B = \frac{1}{|B|}\sum_{i \in B} L_i + \text{penalty}`; backward
pass from :math:`\partial J_B / \partial \hat y` plus the penalty's gradient (optionally
clipped); one optimizer update.

``batch_size=1`` is stochastic gradient descent, ``batch_size=None`` (all ``n`` examples) is
batch gradient descent, anything between is mini-batch gradient descent; an epoch has
:math:`\lceil n / \text{batch\_size} \rceil` steps. The loop prints nothing: it returns a
:class:`History` and calls the callbacks you give it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import as_float_array, check_positive
from .activations import sigmoid
from .datasets import check_labels
from .layers import BatchNorm, iter_layers
from .losses import Loss, get_loss
from .optim import Optimizer, clip_grad_norm, get_optimizer

Array = np.ndarray


@dataclass
class History:
    """What happened during :func:`fit`, epoch by epoch (epochs and steps count from 0).

    Attributes
    ----------
    cost : list of float
        Training cost per epoch, penalty included: the mean of the epoch's mini-batch costs
        (weighted by batch size), measured *while* the weights changed, as Keras and
        scikit-learn report it. No extra pass over the data.
    val_cost : list of float
        Cost on ``validation_data`` after each epoch (the same penalty included), if given.
    metrics : dict of str to list of float
        ``"accuracy"`` (over the epoch's mini-batches) and ``"val_accuracy"``; also readable as
        attributes: ``history.val_accuracy``.
    step_cost : list of float
        The cost of every step: the noisy curve of stochastic gradient descent (chapter 5).
    epochs_run : int
    diverged : bool
        True if the cost or the weights became NaN or infinite; training then stopped.
    diverged_at : (int, int or None) or None
        ``(epoch, step)`` of the first non-finite cost; ``(epoch, None)`` if only the weights
        were found non-finite at the end.
    stopped_early : bool
        True if a callback stopped training.
    """

    cost: list[float] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    step_cost: list[float] = field(default_factory=list)
    epochs_run: int = 0
    diverged: bool = False
    diverged_at: tuple[int, int | None] | None = None
    stopped_early: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Everything as plain lists and numbers (e.g. to save as JSON)."""
        d = {"cost": self.cost, "val_cost": self.val_cost, **self.metrics,
             "step_cost": self.step_cost, "epochs_run": self.epochs_run,
             "diverged": self.diverged, "diverged_at": self.diverged_at,
             "stopped_early": self.stopped_early}
        return {k: list(v) if isinstance(v, list) else v for k, v in d.items()}

    def __getattr__(self, name: str) -> list[float]:  # called only for missing attributes
        if name in self.__dict__.get("metrics", {}):
            return self.__dict__["metrics"][name]
        raise AttributeError(f"History has no attribute {name!r}")


# --- the cost of a mini-batch and its gradient -------------------------------------------------
# Each returns (J_B, ∂J_B/∂ŷ) for the mean loss J_B of the batch: the numbers of losses.py (the
# tests check it), computed together in one pass because this is the hot path of training.


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


_FUSED: dict[str, Callable[[Array, Array], tuple[float, Array]]] = {
    "categorical_cross_entropy_with_logits": _softmax_ce_logits,
    "binary_cross_entropy_with_logits": _sigmoid_ce_logits,
    "binary_cross_entropy": _binary_ce,
    "squared_error": _squared_error,
}


def _cost_and_grad_fn(loss: Loss) -> Callable[[Array, Array], tuple[float, Array | None]]:
    """The fused version for the registry's own losses, else ``loss.loss`` and ``loss.grad``."""
    if loss.name in _FUSED and loss.loss is get_loss(loss.name).loss:
        return _FUSED[loss.name]

    def generic(y_pred: Array, y: Array) -> tuple[float, Array | None]:
        if not np.isfinite(y_pred).all():  # losses.py refuses NaN: report divergence instead
            return math.inf, None
        return float(np.mean(loss.loss(y_pred, y))), loss.grad(y_pred, y) / len(y_pred)

    return generic


def _kind(loss: Loss) -> str:
    if loss.name.startswith("categorical_cross_entropy"):
        return "categorical"
    return "binary" if loss.name.startswith("binary_cross_entropy") else "regression"


def _n_correct(out: Array, y: Array, kind: str, threshold: float) -> float:
    """Correct predictions in a batch: argmax for classes, a threshold for binary outputs
    (for several binary outputs, the fraction of right ones per example)."""
    if kind == "categorical":
        return float(np.count_nonzero(out.argmax(axis=1) == y))
    return np.count_nonzero((out > threshold) == (y > 0.5)) / out.shape[1]


def _prepare(network: Any, X: Any, y: Any, kind: str, where: str) -> tuple[Array, Array]:
    """Check ``X`` and ``y`` once; return ``X`` and ``y`` as labels ``(n,)`` or ``(n, k)``."""
    X = as_float_array(X, "X", ndim=2, where=where)
    n_in = getattr(network, "n_in", None)
    if n_in is not None and X.shape[1] != n_in:
        raise ValueError(f"{where}: X has {X.shape[1]} features (columns) but the network takes "
                         f"{n_in}; X must have shape (n_examples, {n_in})")
    y = np.asarray(y)
    if len(X) == 0 or y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} examples (rows) but y has shape {y.shape}; "
                         "give one target per row of X (and at least one row)")
    k = getattr(network, "n_out", None) or network.predict(X[:1]).shape[1]
    if kind == "categorical":
        if y.ndim == 2:  # one-hot rows become labels
            t = as_float_array(y, "y", where=where)
            if t.shape[1] != k or np.any((t != 0) & (t != 1)) or np.any(t.sum(axis=1) != 1):
                raise ValueError(f"{where}: y of shape {y.shape} is not one-hot for {k} classes;"
                                 f" give class labels of shape ({len(X)},) or one-hot rows")
            y = t.argmax(axis=1)
        return X, check_labels(y, k, name="y (class labels)", where=where)
    t = as_float_array(y, "y", where=where).astype(X.dtype, copy=False)
    t = t.reshape(-1, 1) if t.ndim == 1 and k == 1 else t
    if t.shape != (len(X), k):
        raise ValueError(f"{where}: y has shape {y.shape} but the network has {k} output(s); "
                         f"y must have shape ({len(X)}, {k})")
    if kind == "binary" and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"{where}: targets for binary cross-entropy must be in [0, 1] (labels "
                         f"0 and 1), got values from {t.min():g} to {t.max():g}")
    return X, t


def _check_setup(network: Any, loss: Loss, optimizer: Any, metrics: Any, lr: float) -> tuple:
    """Refuse a loss that does not fit the output layer, unknown metrics, a foreign optimizer."""
    kind = _kind(loss)
    act = getattr(getattr(network.layers[-1], "activation", None), "name", None)
    if loss.from_logits and act in ("sigmoid", "softmax"):
        raise ValueError(f"fit: loss {loss.name!r} expects raw scores (logits), but the network "
                         f"ends with {act}; remove the output activation, or use loss "
                         f"{loss.name.replace('_with_logits', '')!r}")
    if kind != "regression" and not loss.from_logits and act not in ("sigmoid", "softmax"):
        squash = "sigmoid" if kind == "binary" else "softmax"
        raise ValueError(f"fit: loss {loss.name!r} expects probabilities, but the network does "
                         f"not end with {squash}; add output_activation={squash!r}, or use loss "
                         f"{loss.name + '_with_logits'!r}")
    if metrics is None:
        metrics = ("accuracy",) if kind != "regression" else ()
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    for name in metrics:
        if name != "accuracy" or kind == "regression":
            raise ValueError(f"fit: unknown metric {name!r} for loss {loss.name!r}; "
                             "choose 'accuracy' (classification losses only)")
    params = network.parameters()
    if isinstance(optimizer, str):
        return kind, metrics, get_optimizer(optimizer, params, lr=lr)
    ours = {id(p) for p in getattr(optimizer, "params", [])}
    if not any(id(p) in ours for p in params):
        raise ValueError("fit: the optimizer updates none of this network's parameters; build "
                         "it from network.parameters(), e.g. Adam(network.parameters())")
    return kind, metrics, optimizer


def _evaluate(network: Any, X: Array, y: Array, loss: Loss, kind: str, penalties: list,
              metrics: tuple) -> tuple[float, list[float]]:
    """Validation cost (mean loss + penalties) and metrics in evaluation mode."""
    out = network.predict(X)
    if not np.isfinite(out).all():
        return math.inf, [math.nan] * len(metrics)
    params = network.parameters()
    cost = float(np.mean(loss.loss(out, y))) + sum(p.penalty(params) for p in penalties)
    threshold = 0.0 if loss.from_logits else 0.5
    return cost, [_n_correct(out, y, kind, threshold) / len(X) for _ in metrics]


def fit(network: Any, X: Any, y: Any, *, loss: str | Loss, optimizer: str | Optimizer = "sgd",
        lr: float = 0.1, epochs: int = 10, batch_size: int | None = 32, rng: Any,
        validation_data: tuple[Any, Any] | None = None, callbacks: Sequence[Any] = (),
        penalty: Any = None, clip_norm: float | None = None,
        metrics: Sequence[str] | None = None, progress: bool = True,
        shuffle: bool = True) -> History:
    """Train ``network`` in place on ``(X, y)`` with mini-batch gradient descent (ch. 5, 8).

    Parameters
    ----------
    network : Network
    X : array (n, features)
    y : array
        Class labels ``(n,)`` or one-hot ``(n, k)`` for categorical cross-entropy; 0/1 targets
        ``(n,)`` or ``(n, k)`` for binary cross-entropy; ``(n, outputs)`` for regression
        (``(n,)`` is accepted for one output).
    loss : str or Loss
        A name from :data:`dlbasics.losses.LOSSES`. A ``..._with_logits`` loss goes with a
        network without output activation.
    optimizer : str or Optimizer, default "sgd"
        A name from :data:`dlbasics.optim.OPTIMIZERS`, built with ``lr``; or an optimizer on
        ``network.parameters()``, whose own learning rate is used (``lr`` is then ignored).
    lr : float, default 0.1
    epochs : int, default 10
    batch_size : int or None, default 32
        ``None``: the whole training set (values above ``n`` count as ``n``).
    rng : numpy.random.Generator or int
        Shuffles the examples every epoch: the same seed gives the same run.
    validation_data : (X_val, y_val), optional
        Evaluated after every epoch into ``val_cost`` and ``val_<metric>``.
    callbacks : sequence
        Objects with optional ``on_epoch_end(epoch, history, network)`` (return True to stop
        training) and ``on_train_end(history, network)``, e.g.
        :class:`~dlbasics.regularization.EarlyStopping`.
    penalty : L1, L2 or a list of them, optional
        Added to the cost (``.penalty(params)``) and the gradients (``.add_grad(params)``).
    clip_norm : float, optional
        Clip the total gradient norm every step (:func:`~dlbasics.optim.clip_grad_norm`).
    metrics : sequence of str, optional
        Default ``("accuracy",)`` for classification losses, ``()`` for regression.
    progress : bool, default True
        A ``tqdm`` progress bar over the epochs showing the cost; False shows nothing.
    shuffle : bool, default True
        Reshuffle before every epoch (nothing to shuffle when one batch holds all examples).

    Returns
    -------
    History
        A diverging run (NaN or infinite cost or weights) does not raise: it stops, with
        ``history.diverged`` True and no floating-point warnings.
    """
    check_positive(lr, "fit: learning rate lr")
    check_positive(epochs, "fit: epochs", integer=True)
    if batch_size is not None:
        check_positive(batch_size, "fit: batch_size", integer=True)
    if clip_norm is not None:
        check_positive(clip_norm, "fit: clip_norm")
    loss = get_loss(loss)
    kind, metrics, opt = _check_setup(network, loss, optimizer, metrics, lr)
    X, y = _prepare(network, X, y, kind, "fit")
    val = validation_data and _prepare(network, *validation_data, kind, "fit (validation_data)")
    penalties = [] if penalty is None else list(penalty) if isinstance(penalty, (list, tuple)) \
        else [penalty]
    params, rng = network.parameters(), np.random.default_rng(rng)
    cost_and_grad, threshold = _cost_and_grad_fn(loss), 0.0 if loss.from_logits else 0.5

    n = len(X)
    b = n if batch_size is None else min(batch_size, n)
    if (b == 1 or n % b == 1) and any(isinstance(la, BatchNorm) for la in
                                      iter_layers(network.layers)):
        raise ValueError(f"fit: with {n} examples and batch_size={b} a mini-batch holds a single "
                         "example, and batch normalization cannot train on one; change batch_size")
    shuffle = shuffle and b < n
    Xs, ys = (np.empty_like(X), np.empty_like(y)) if shuffle else (X, y)
    bounds = [(lo, min(lo + b, n)) for lo in range(0, n, b)]  # the mini-batches: Xs[lo:hi]
    # predicted classes, written batch by batch, compared once per epoch (for the accuracy)
    pred = np.empty(n, dtype=np.intp) if metrics and kind == "categorical" else None
    history = History(metrics={m: [] for m in metrics})
    if val:
        history.metrics.update({f"val_{m}": [] for m in metrics})
    epochs_iter: Any = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epochs_iter = tqdm(epochs_iter, desc="fit", unit="epoch")
    # A diverging run gives inf/NaN: we check the cost instead of flooding the output with
    # overflow warnings (also silenced in callbacks, which run inside the loop).
    with np.errstate(all="ignore"):
        for epoch in epochs_iter:
            if shuffle:  # one permutation per epoch; the batches are then contiguous slices
                order = rng.permutation(n)
                np.take(X, order, axis=0, out=Xs)
                np.take(y, order, axis=0, out=ys)
            total = correct = 0.0
            for step, (lo, hi) in enumerate(bounds):
                Xb, yb = Xs[lo:hi], ys[lo:hi]
                out = network.forward(Xb, training=True)
                cost, dout = cost_and_grad(out, yb)
                for pen in penalties:
                    cost += pen.penalty(params)
                history.step_cost.append(cost)
                total += cost * (hi - lo)
                if not math.isfinite(cost):  # one float checked per step: cheap
                    history.diverged, history.diverged_at = True, (epoch, step)
                    break
                network.backward(dout, input_grad=False)  # ∂J/∂X is never needed here
                for pen in penalties:
                    pen.add_grad(params)
                if pred is not None:
                    out.argmax(axis=1, out=pred[lo:hi])
                elif metrics:
                    correct += _n_correct(out, yb, kind, threshold)
                if clip_norm is not None:
                    clip_grad_norm(params, clip_norm)
                opt.step()
            seen = hi
            if pred is not None:
                correct = float(np.count_nonzero(pred[:seen] == ys[:seen]))
            history.cost.append(total / seen)
            history.epochs_run = epoch + 1
            for m in metrics:
                history.metrics[m].append(math.nan if history.diverged else correct / seen)
            if val:
                v_cost, v_metrics = ((math.nan, [math.nan] * len(metrics)) if history.diverged
                                     else _evaluate(network, *val, loss, kind, penalties, metrics))
                history.val_cost.append(v_cost)
                for m, value in zip(metrics, v_metrics, strict=True):
                    history.metrics[f"val_{m}"].append(value)
            if progress:
                epochs_iter.set_postfix(cost=f"{history.cost[-1]:.4g}")
            stops = [cb.on_epoch_end(epoch, history, network) for cb in callbacks
                     if hasattr(cb, "on_epoch_end")]
            if history.diverged or any(stops):
                history.stopped_early = not history.diverged
                break
        if progress:
            epochs_iter.close()
        if not history.diverged and not all(np.isfinite(p.value).all() for p in params):
            history.diverged, history.diverged_at = True, (history.epochs_run - 1, None)
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(history, network)
    return history
