"""The regularization explorer's training (chapter 7): the chapter's data, and one run of the
network trained in chunks of :data:`CHUNK_EPOCHS` epochs, kept by a cache per setting
(:mod:`dlbasics.widgets.regularization` draws it).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from ..datasets import Split, moons, train_val_test_split
from ..losses import binary_cross_entropy_with_logits
from ..network import Network, mlp
from ..optim import SGD
from ..regularization import L1, L2, EarlyStopping
from ..training import Trainer, evaluate
from ._cache import LRU

HIDDEN = (64, 64)
LR, MOMENTUM = 0.1, 0.9
CHUNK_EPOCHS = 30
MAX_EPOCHS = 600
PATIENCE = 40
CACHE_SIZE = 16


@lru_cache(maxsize=1)
def regularization_data() -> Split:
    """The chapter's small, noisy task: ``moons(150, noise=0.35, rng=7)`` split by
    :func:`~dlbasics.datasets.train_val_test_split` (``val=0.3, test=0.3, rng=0``) into 62
    training, 44 validation and 44 test examples."""
    X, y = moons(150, noise=0.35, rng=7)
    return train_val_test_split(X, y, val=0.3, test=0.3, rng=0)


def _limits() -> tuple[tuple[float, float], tuple[float, float]]:
    X = np.concatenate([part[0] for part in regularization_data()])
    lo, hi = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


@lru_cache(maxsize=1)
def _both_sets() -> tuple[np.ndarray, np.ndarray, int]:
    """Training and validation examples stacked (targets as a column), and the training size."""
    (X, y), (Xv, yv), _ = regularization_data()
    return (np.concatenate([X, Xv]), np.concatenate([y, yv]).astype(float).reshape(-1, 1),
            len(X))


def _mean_loss(net: Network, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean binary cross-entropy and accuracy of ``net`` (evaluation mode) on ``(X, y)``."""
    scores = evaluate(net, X, y, loss="binary_cross_entropy_with_logits")
    return scores["cost"], scores["accuracy"]


class RegularizationRun:
    """One training run, advanced a chunk of epochs at a time by a
    :class:`~dlbasics.training.Trainer` (one full-batch step per epoch).

    After every epoch it records the training and validation loss (mean cross-entropy in
    evaluation mode, penalty excluded) and, with early stopping, passes the validation loss
    to an :class:`~dlbasics.regularization.EarlyStopping` that keeps the best weights. When
    training ends (stopped early or after :data:`MAX_EPOCHS`) those weights are restored.
    """

    def __init__(self, l2: float = 0.0, l1: float = 0.0, dropout: float = 0.0,
                 early_stopping: bool = False, *, seed: int = 0) -> None:
        self.settings = (float(l2), float(l1), float(dropout), bool(early_stopping))
        self.net = mlp([2, *HIDDEN, 1], dropout=float(dropout), rng=seed)
        self.optimizer = SGD(self.net.parameters(), lr=LR, momentum=MOMENTUM)
        self.penalty = [L2(l2)] * (l2 > 0) + [L1(l1)] * (l1 > 0)
        self.trainer = Trainer(self.net, loss="binary_cross_entropy_with_logits",
                               optimizer=self.optimizer, penalty=self.penalty, metrics=())
        self.stopper = EarlyStopping(patience=PATIENCE, monitor="val_loss") if early_stopping \
            else None
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.stopped_epoch: int | None = None
        self.diverged = False
        self.finished = False
        self.n_chunks = 0
        self.snapshot: Any = None  # (epochs, result) of the latest compute_regularization

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def on_epoch_end(self, network: Network) -> bool:
        """After an epoch: record both losses; ask early stopping whether to stop."""
        X, y, n_train = _both_sets()
        losses = binary_cross_entropy_with_logits(network.predict(X), y)  # one pass, per example
        self.train_loss.append(float(np.mean(losses[:n_train])))
        self.val_loss.append(float(np.mean(losses[n_train:])))
        if self.stopper is None:
            return False
        return self.stopper.on_epoch_end(self.epochs - 1, self, network)  # reads self.val_loss

    def advance(self, epochs: int = CHUNK_EPOCHS) -> None:
        """Train up to ``epochs`` more epochs (less at the end, none once finished)."""
        n = min(int(epochs), MAX_EPOCHS - self.epochs)
        if self.finished or n <= 0:
            return
        (X, y), _, _ = regularization_data()
        y = y.astype(float)
        stopped = False
        with np.errstate(all="ignore"):  # a diverging run is reported, not warned about
            for _ in range(n):
                cost = self.trainer.step(X, y)  # full batch: one step is one epoch
                stopped = self.on_epoch_end(self.net)
                if not math.isfinite(cost):
                    self.diverged = True
                    break
                if stopped:
                    break
            if not all(np.isfinite(p.value).all() for p in self.net.parameters()):
                self.diverged = True
        self.n_chunks += 1
        if self.diverged:
            self.finished = True
        elif stopped:
            self.stopped_epoch = self.stopper.stopped_epoch if self.stopper else None
            self.finished = True
        elif self.epochs >= MAX_EPOCHS:
            self.finished = True
        if self.finished and self.stopper is not None and not self.diverged:
            self.stopper.on_train_end(self, self.net)  # restore the best weights


class RegularizationCache:
    """The runs of one explorer, by settings; ``n_fits`` counts the chunks actually trained."""

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        self.n_fits = 0
        self._runs: LRU[RegularizationRun] = LRU(maxsize)

    @staticmethod
    def _key(l2: float, l1: float, dropout: float, early_stopping: bool) -> tuple:
        return (round(float(l2), 12), round(float(l1), 12), round(float(dropout), 12),
                bool(early_stopping))

    def epochs_of(self, l2: float, l1: float, dropout: float, early_stopping: bool) -> int:
        """How many epochs the kept run of these settings has trained (0 if none is kept)."""
        run = self._runs.peek(self._key(l2, l1, dropout, early_stopping))
        return 0 if run is None else run.epochs

    def run(self, l2: float, l1: float, dropout: float, early_stopping: bool,
            epochs: int) -> RegularizationRun:
        """The run of these settings trained for ``epochs`` epochs (or until it finished)."""
        key = self._key(l2, l1, dropout, early_stopping)
        run = self._runs.peek(key)
        if run is None or run.epochs > epochs:  # asked for fewer epochs: start again
            run = RegularizationRun(*key)
        self._runs.put(key, run)  # now the most recently used
        while run.epochs < epochs and not run.finished:
            run.advance(min(CHUNK_EPOCHS, epochs - run.epochs))
            self.n_fits += 1
        return run
