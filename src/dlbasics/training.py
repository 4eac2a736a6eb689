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

:func:`fit` drives a :class:`Trainer`, which takes the loop apart (``step`` on a mini-batch,
``epoch`` over a training set) for code that trains a few steps at a time, such as the
playground of chapter 8; :func:`evaluate` measures a trained network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_float_array, check_labels, check_positive
from .layers import BatchNorm, Layer, iter_layers
from .losses import Loss, get_loss
from .optim import Optimizer, clip_grad_norm, get_optimizer
from .parameter import Parameter

Array = np.ndarray
Seed = np.random.Generator | int | None


class Trainable(Protocol):
    """What :func:`fit` and :class:`Trainer` use of a network; a
    :class:`~dlbasics.network.Network` has all of it (``n_in`` and ``n_out``, read if
    present, make the error messages more precise)."""

    @property
    def layers(self) -> Sequence[Layer]: ...
    def forward(self, X: Array, *, training: bool = False) -> Any: ...
    def backward(self, dout: Array, *, input_grad: bool = True) -> Array | None: ...
    def predict(self, X: Array) -> Array: ...
    def parameters(self) -> list[Parameter]: ...


class Penalty(Protocol):
    """A weight penalty such as :class:`~dlbasics.regularization.L2`: its value and gradient."""

    def penalty(self, params: Sequence[Parameter]) -> float: ...
    def add_grad(self, params: Sequence[Parameter]) -> None: ...


#: One penalty, a list or tuple of them, or None.
Penalties = Penalty | Sequence[Penalty] | None


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


def _prepare(network: Trainable, X: ArrayLike, y: ArrayLike, kind: str,
             where: str) -> tuple[Array, Array]:
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


def _check_loss(network: Trainable, loss: Loss, metrics: str | Sequence[str] | None,
                where: str) -> tuple[str, tuple[str, ...]]:
    """Refuse a loss that does not fit the output layer, and unknown metrics."""
    kind = _kind(loss)
    act = getattr(getattr(network.layers[-1], "activation", None), "name", None)
    if loss.from_logits and act in ("sigmoid", "softmax"):
        raise ValueError(f"{where}: loss {loss.name!r} expects raw scores (logits), but the "
                         f"network ends with {act}; remove the output activation, or use loss "
                         f"{loss.name.replace('_with_logits', '')!r}")
    if kind != "regression" and not loss.from_logits and act not in ("sigmoid", "softmax"):
        squash = "sigmoid" if kind == "binary" else "softmax"
        raise ValueError(f"{where}: loss {loss.name!r} expects probabilities, but the network "
                         f"does not end with {squash}; add output_activation={squash!r}, or use "
                         f"loss {loss.name + '_with_logits'!r}")
    if metrics is None:
        metrics = ("accuracy",) if kind != "regression" else ()
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    for name in metrics:
        if name != "accuracy" or kind == "regression":
            raise ValueError(f"{where}: unknown metric {name!r} for loss {loss.name!r}; "
                             "choose 'accuracy' (classification losses only)")
    return kind, metrics


def _check_optimizer(network: Trainable, optimizer: str | Optimizer, lr: float,
                     where: str) -> Optimizer:
    """An optimizer built by name, or the given one if it updates this network."""
    params = network.parameters()
    if isinstance(optimizer, str):
        return get_optimizer(optimizer, params, lr=lr)
    ours = {id(p) for p in getattr(optimizer, "params", [])}
    if not any(id(p) in ours for p in params):
        raise ValueError(f"{where}: the optimizer updates none of this network's parameters; "
                         "build it from network.parameters(), e.g. Adam(network.parameters())")
    return optimizer


def _batches(network: Trainable, n: int, batch_size: int | None,
             where: str) -> list[tuple[int, int]]:
    """An epoch's mini-batches, rows ``lo:hi``; none of one example with batch normalization."""
    b = n if batch_size is None else min(batch_size, n)
    if (b == 1 or n % b == 1) and any(isinstance(la, BatchNorm) for la in
                                      iter_layers(network.layers)):
        raise ValueError(f"{where}: with {n} examples and batch_size={b} a mini-batch holds a "
                         "single example, and batch normalization cannot train on one; change "
                         "batch_size")
    return [(lo, min(lo + b, n)) for lo in range(0, n, b)]


@dataclass
class EpochResult:
    """One pass of :meth:`Trainer.epoch` over a training set.

    Attributes
    ----------
    cost : float
        Mean of the mini-batch costs, weighted by batch size (penalty included).
    step_cost : list of float
    metrics : dict of str to float
        ``"accuracy"`` over the mini-batches (NaN if the epoch diverged).
    diverged_at : int or None
        The step whose cost was NaN or infinite: the epoch stopped there, without updating.
    """

    cost: float
    step_cost: list[float]
    metrics: dict[str, float]
    diverged_at: int | None = None


class Trainer:
    """The training loop of :func:`fit`, one step at a time (chapters 5, 8).

    Parameters
    ----------
    network : Network
        Trained in place.
    loss, optimizer, lr, penalty, clip_norm, metrics
        As for :func:`fit`; ``optimizer`` is built once, so its state (momentum, Adam's
        averages) carries over from step to step.
    where : str, default "Trainer"
        The name that starts its error messages (:func:`fit` passes ``"fit"``).

    Attributes
    ----------
    network, loss, optimizer, penalties
    metrics : tuple of str
    kind : {"categorical", "binary", "regression"}

    Examples
    --------
    >>> trainer = Trainer(net, loss="squared_error", optimizer="adam", lr=0.01)  # doctest: +SKIP
    >>> cost = trainer.step(X[:32], y[:32])  # one update on 32 examples  # doctest: +SKIP
    >>> trainer.epoch(X, y, batch_size=32, rng=0).cost  # one shuffled pass  # doctest: +SKIP
    """

    def __init__(self, network: Trainable, *, loss: str | Loss,
                 optimizer: str | Optimizer = "sgd", lr: float = 0.1,
                 penalty: Penalties = None,
                 clip_norm: float | None = None, metrics: str | Sequence[str] | None = None,
                 where: str = "Trainer") -> None:
        check_positive(lr, f"{where}: learning rate lr")
        if clip_norm is not None:
            check_positive(clip_norm, f"{where}: clip_norm")
        self.network, self.loss, self.clip_norm, self.where = (network, get_loss(loss),
                                                               clip_norm, where)
        self.kind, self.metrics = _check_loss(network, self.loss, metrics, where)
        self.optimizer = _check_optimizer(network, optimizer, lr, where)
        self.penalties = _penalties(penalty)
        self._params = network.parameters()
        self._threshold = 0.0 if self.loss.from_logits else 0.5

    def prepare(self, X: ArrayLike, y: ArrayLike, *, where: str | None = None
                ) -> tuple[Array, Array]:
        """Check a data set once; return ``X`` and the targets as :meth:`step` takes them:
        class labels ``(n,)`` for categorical cross-entropy (one-hot rows become labels),
        ``(n, outputs)`` otherwise."""
        return _prepare(self.network, X, y, self.kind, where or self.where)

    def step(self, X_batch: ArrayLike, y_batch: ArrayLike, *, prepared: bool = False) -> float:
        """One update on a mini-batch; returns its cost :math:`J_B` (penalty included), measured
        before the update. A NaN or infinite cost (a diverging run) leaves the weights as they
        are: stop there. ``prepared=True`` skips the checks, for rows of :meth:`prepare`'s
        arrays (a loop of many small steps)."""
        X, y = ((np.asarray(X_batch), np.asarray(y_batch)) if prepared
                else self.prepare(X_batch, y_batch, where=f"{self.where}.step"))
        with np.errstate(all="ignore"):
            return self._step(X, y)[0]

    def _step(self, X: Array, y: Array) -> tuple[float, Array]:
        """:meth:`step` on checked data; also returns the network's output."""
        out = self.network.forward(X, training=True)
        cost, dout = self.loss.cost_and_grad(out, y)
        for pen in self.penalties:
            cost += pen.penalty(self._params)
        if not math.isfinite(cost) or dout is None:  # one float checked per step: cheap
            return cost, out
        self.network.backward(dout, input_grad=False)  # ∂J/∂X is never needed here
        for pen in self.penalties:
            pen.add_grad(self._params)
        if self.clip_norm is not None:
            clip_grad_norm(self._params, self.clip_norm)
        self.optimizer.step()
        return cost, out

    def epoch(self, X: ArrayLike, y: ArrayLike, *, batch_size: int | None = 32,
              rng: Seed = None, shuffle: bool = True) -> EpochResult:
        """One pass over ``(X, y)`` in mini-batches of ``batch_size`` (``None``: all), in an
        order shuffled by ``rng`` (a seed or a Generator; needed to shuffle several batches)."""
        if batch_size is not None:
            check_positive(batch_size, f"{self.where}.epoch: batch_size", integer=True)
        X, y = self.prepare(X, y, where=f"{self.where}.epoch")
        bounds = _batches(self.network, len(X), batch_size, f"{self.where}.epoch")
        if shuffle and len(bounds) > 1 and rng is None:
            raise ValueError(f"{self.where}.epoch: give rng to shuffle, or shuffle=False")
        order = np.random.default_rng(rng) if shuffle and len(bounds) > 1 else None
        with np.errstate(all="ignore"):
            return self._epoch(X, y, bounds, order)

    def _epoch(self, X: Array, y: Array, bounds: list[tuple[int, int]],
               rng: np.random.Generator | None) -> EpochResult:
        """:meth:`epoch` on checked data, with its mini-batches; ``rng`` None: no shuffling."""
        if rng is not None:  # one permutation per epoch; the batches are then contiguous slices
            order = rng.permutation(len(X))
            X, y = np.take(X, order, axis=0), np.take(y, order, axis=0)
        # predicted classes, written batch by batch, compared once per epoch (for the accuracy)
        pred = (np.empty(len(X), dtype=np.intp) if self.metrics and self.kind == "categorical"
                else None)
        step_cost: list[float] = []
        total, correct, diverged_at, hi = 0.0, 0.0, None, 0
        for step, (lo, hi) in enumerate(bounds):
            yb = y[lo:hi]
            cost, out = self._step(X[lo:hi], yb)
            step_cost.append(cost)
            total += cost * (hi - lo)
            if not math.isfinite(cost):
                diverged_at = step
                break
            if pred is not None:
                out.argmax(axis=1, out=pred[lo:hi])
            elif self.metrics:
                correct += _n_correct(out, yb, self.kind, self._threshold)
        if pred is not None:
            correct = float(np.count_nonzero(pred[:hi] == y[:hi]))
        accuracy = math.nan if diverged_at is not None else correct / hi
        return EpochResult(total / hi, step_cost, dict.fromkeys(self.metrics, accuracy),
                           diverged_at)

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> dict[str, float]:
        """``{"cost": ..., "accuracy": ...}`` on a data set, in evaluation mode: the mean loss
        plus the penalties, and the metrics (as :func:`fit` reports ``val_cost``)."""
        X, y = self.prepare(X, y, where=f"{self.where}.evaluate")
        with np.errstate(all="ignore"):
            return self._evaluate(X, y)

    def _evaluate(self, X: Array, y: Array) -> dict[str, float]:
        return _measure(self.network, X, y, self.loss, self.kind, self.penalties, self.metrics)


def _penalties(penalty: Penalties) -> list[Penalty]:
    if penalty is None:
        return []
    return list(penalty) if isinstance(penalty, (list, tuple)) else [cast(Penalty, penalty)]


def _measure(network: Trainable, X: Array, y: Array, loss: Loss, kind: str,
             penalties: Sequence[Penalty], metrics: Sequence[str]) -> dict[str, float]:
    """Cost (mean loss + penalties) and metrics on checked data, in evaluation mode."""
    out = network.predict(X)
    if not np.isfinite(out).all():
        return {"cost": math.inf, **dict.fromkeys(metrics, math.nan)}
    params = network.parameters()
    cost = float(np.mean(loss.loss(out, y))) + sum(p.penalty(params) for p in penalties)
    threshold = 0.0 if loss.from_logits else 0.5
    accuracy = _n_correct(out, y, kind, threshold) / len(X) if metrics else math.nan
    return {"cost": cost, **dict.fromkeys(metrics, accuracy)}


def evaluate(network: Trainable, X: ArrayLike, y: ArrayLike, *, loss: str | Loss,
             penalty: Penalties = None,
             metrics: str | Sequence[str] | None = None) -> dict[str, float]:
    """Measure a network on ``(X, y)`` in evaluation mode: ``{"cost": ..., "accuracy": ...}``.

    The cost is the mean loss (plus ``penalty``, if given), as :func:`fit` reports
    ``val_cost``; the accuracy (for classification losses; ``metrics`` as for :func:`fit`) is
    the fraction of examples classified right. A network whose output is not finite gives an
    infinite cost and a NaN accuracy.
    """
    loss = get_loss(loss)
    kind, metrics = _check_loss(network, loss, metrics, "evaluate")
    X, y = _prepare(network, X, y, kind, "evaluate")
    with np.errstate(all="ignore"):
        return _measure(network, X, y, loss, kind, _penalties(penalty), metrics)


def fit(network: Trainable, X: ArrayLike, y: ArrayLike, *, loss: str | Loss,
        optimizer: str | Optimizer = "sgd", lr: float = 0.1, epochs: int = 10,
        batch_size: int | None = 32, rng: Seed,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        callbacks: Sequence[object] = (), penalty: Penalties = None,
        clip_norm: float | None = None, metrics: str | Sequence[str] | None = None,
        progress: bool = True, shuffle: bool = True) -> History:
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
    trainer = Trainer(network, loss=loss, optimizer=optimizer, lr=lr, penalty=penalty,
                      clip_norm=clip_norm, metrics=metrics, where="fit")
    X, y = trainer.prepare(X, y)
    val = validation_data and trainer.prepare(*validation_data, where="fit (validation_data)")
    generator = np.random.default_rng(rng)
    bounds = _batches(network, len(X), batch_size, "fit")
    order = generator if shuffle and len(bounds) > 1 else None
    metric_names = trainer.metrics
    history = History(metrics={m: [] for m in metric_names})
    if val:
        history.metrics.update({f"val_{m}": [] for m in metric_names})
    epochs_iter: Any = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epochs_iter = tqdm(epochs_iter, desc="fit", unit="epoch")
    # A diverging run gives inf/NaN: we check the cost instead of flooding the output with
    # overflow warnings (also silenced in callbacks, which run inside the loop).
    with np.errstate(all="ignore"):
        for epoch in epochs_iter:
            result = trainer._epoch(X, y, bounds, order)
            history.step_cost.extend(result.step_cost)
            if result.diverged_at is not None:
                history.diverged, history.diverged_at = True, (epoch, result.diverged_at)
            history.cost.append(result.cost)
            history.epochs_run = epoch + 1
            for m in metric_names:
                history.metrics[m].append(result.metrics[m])
            if val:
                scores = (dict.fromkeys(["cost", *metric_names], math.nan) if history.diverged
                          else trainer._evaluate(*val))
                history.val_cost.append(scores["cost"])
                for m in metric_names:
                    history.metrics[f"val_{m}"].append(scores[m])
            if progress:
                epochs_iter.set_postfix(cost=f"{history.cost[-1]:.4g}")
            stops = [cb.on_epoch_end(epoch, history, network) for cb in callbacks
                     if hasattr(cb, "on_epoch_end")]
            if history.diverged or any(stops):
                history.stopped_early = not history.diverged
                break
        if progress:
            epochs_iter.close()
        if not history.diverged and not all(np.isfinite(p.value).all()
                                            for p in network.parameters()):
            history.diverged, history.diverged_at = True, (history.epochs_run - 1, None)
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(history, network)
    return history
