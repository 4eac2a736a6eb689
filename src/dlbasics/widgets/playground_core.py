"""The playground's engine (chapter 8): configuration, data, network and training in chunks.

Nothing here draws. :class:`Run` holds one training run: the data split, the network, the
optimizer and the history, and :meth:`Run.advance` trains a given number of steps (one step is
one mini-batch update), evaluating the cost on the training and validation sets after every step.
A diverging run stops cleanly: the weights go back to the last finite state and
``Run.message`` says what happened and which knob to turn.

A configuration (:mod:`dlbasics.widgets.playground_config`, whose names this module
re-exports) is a plain dict (:data:`~dlbasics.widgets.playground_config.DEFAULTS` lists every
key and its default);
:func:`validate_config` checks one and :func:`config_to_json` / :func:`config_from_json` turn
it into a short JSON string and back. ``units`` is one number (every hidden layer that wide)
or a list with one number per hidden layer, e.g. ``{"layers": 3, "units": [8, 8, 4]}``;
:func:`hidden_units` gives the list either way. ``features`` names the network's inputs, as in
TensorFlow Playground: besides the coordinates ``x1`` and ``x2``, their squares, product and
sines (:data:`~dlbasics.widgets.playground_config.FEATURES`; :func:`input_features` computes them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import softmax
from ..datasets import blobs, circles, moons, spirals, train_val_test_split, xor
from ..diagnostics import gradient_norms, unit_health, update_ratio
from ..layers import ActivationLayer, Dense
from ..losses import categorical_cross_entropy_with_logits
from ..network import mlp
from ..optim import get_optimizer
from ..regularization import L1, L2
from ..training import Trainer
from .playground_config import (  # re-exported: the configuration, as before
    ACTIVATIONS,
    BATCH_SIZES,
    DATASETS,
    DEFAULTS,
    DESCRIPTIONS,
    FEATURE_LABELS,
    FEATURES,
    HUGE_COST,
    INITS,
    LR_RANGE,
    MAX_CLASSES,
    MAX_LAYERS,
    MAX_STEPS,
    MAX_UNITS,
    OPTIMIZERS,
    PENALTIES,
    STEPS_PER_CHUNK,
    config_from_json,
    config_to_json,
    hidden_units,
    validate_config,
)

__all__ = [
    "ACTIVATIONS",
    "BATCH_SIZES",
    "DATASETS",
    "DEFAULTS",
    "DESCRIPTIONS",
    "FEATURES",
    "FEATURE_LABELS",
    "HUGE_COST",
    "INITS",
    "LR_RANGE",
    "MAX_CLASSES",
    "MAX_LAYERS",
    "MAX_STEPS",
    "MAX_UNITS",
    "OPTIMIZERS",
    "PENALTIES",
    "STEPS_PER_CHUNK",
    "Health",
    "Run",
    "check_custom_data",
    "config_from_json",
    "config_to_json",
    "cross_entropy",
    "divergence_message",
    "hidden_units",
    "input_features",
    "make_data",
    "validate_config",
]

Array = np.ndarray

# --- data ---------------------------------------------------------------------------------------
def check_custom_data(X: Any, y: Any) -> tuple[Array, Array]:
    """The learner's own arrays, checked: 2 features, integer labels 0..K-1 (2 ≤ K ≤ 5), one
    label per row, no NaN or infinity. Errors say what to change."""
    where = "playground(X=..., y=...)"
    try:
        Xa = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: X must be an array of numbers, shape (n_points, 2)") from None
    if Xa.ndim != 2 or Xa.shape[1] != 2:
        raise ValueError(f"{where}: X has shape {Xa.shape}, but the playground draws the "
                         "decision boundary in a plane, so it needs exactly 2 features: shape "
                         "(n_points, 2). Pick two columns, e.g. X[:, [0, 1]].")
    if not np.isfinite(Xa).all():
        bad = int(np.count_nonzero(~np.isfinite(Xa).all(axis=1)))
        raise ValueError(f"{where}: X has {bad} row(s) with NaN or infinity; remove or fill "
                         "them first (e.g. X[np.isfinite(X).all(axis=1)])")
    ya = np.asarray(y)
    if ya.ndim != 1:
        raise ValueError(f"{where}: y has shape {ya.shape}; give one class label per point, "
                         "a 1-D array of integers 0, 1, 2, …")
    if len(ya) != len(Xa):
        raise ValueError(f"{where}: X has {len(Xa)} points but y has {len(ya)} labels; they "
                         "need the same length")
    if ya.dtype.kind == "f":
        if not np.isfinite(ya).all():
            raise ValueError(f"{where}: y contains NaN or infinity; labels are integers 0, 1, …")
        if np.any(ya != np.round(ya)):
            raise ValueError(f"{where}: y must hold integer class labels 0, 1, 2, …; got "
                             "fractions (probabilities or regression targets are not classes)")
        ya = ya.astype(np.int64)
    elif ya.dtype.kind == "b":
        ya = ya.astype(np.int64)
    elif ya.dtype.kind not in "iu":
        raise ValueError(f"{where}: y must hold integer class labels 0, 1, 2, …, got dtype "
                         f"{ya.dtype}; map your labels to numbers first")
    ya = ya.astype(np.int64)
    k = int(ya.max()) + 1 if len(ya) else 0
    if len(ya) < 10:
        raise ValueError(f"{where}: only {len(ya)} points; give at least 10 so that both the "
                         "training and the validation set get some")
    if ya.min() < 0 or k > MAX_CLASSES or len(np.unique(ya)) != k or k < 2:
        found = sorted(set(ya.tolist()))[:8]
        raise ValueError(f"{where}: the labels must be 0, 1, … K−1 with every class present "
                         f"and 2 ≤ K ≤ {MAX_CLASSES}; got the values {found}")
    return Xa, ya


def make_data(config: dict[str, Any], custom: tuple[Array, Array] | None = None
              ) -> tuple[Array, Array]:
    """All the points of a configuration (before the split), from :mod:`dlbasics.datasets`."""
    name, n, noise = config["dataset"], config["n_points"], config["noise"]
    rng = np.random.default_rng([config["seed"], 0])
    if name == "custom":
        if custom is None:
            raise ValueError("playground: dataset 'custom' needs your arrays: "
                             "playground(X=..., y=...)")
        return custom
    if name == "xor":
        return xor(n, noise=noise, rng=rng)
    if name == "circles":
        return circles(n, noise=noise, rng=rng)
    if name == "moons":
        return moons(n, noise=noise, rng=rng)
    if name == "spirals":
        return spirals(n, n_classes=config["classes"], noise=noise, rng=rng)
    return blobs(n, n_classes=config["classes"], spread=0.3 + 2 * noise, rng=rng)


# --- inputs -------------------------------------------------------------------------------------
def input_features(Z: Array, features: tuple[str, ...] | list[str]) -> Array:
    """The network's inputs at standardized points ``Z`` (shape ``(n, 2)``, columns x₁, x₂):
    one column per name of :data:`~dlbasics.widgets.playground_config.FEATURES`, in the order
    given. ``x1_sq`` is x₁²,
    ``x1_x2`` is x₁x₂, ``sin_x1`` is sin x₁, and so on."""
    x1, x2 = Z[:, 0], Z[:, 1]
    columns = {"x1": lambda: x1, "x2": lambda: x2, "x1_sq": lambda: x1 * x1,
               "x2_sq": lambda: x2 * x2, "x1_x2": lambda: x1 * x2,
               "sin_x1": lambda: np.sin(x1), "sin_x2": lambda: np.sin(x2)}
    return np.column_stack([columns[f]() for f in features])


# --- a training run -----------------------------------------------------------------------------
def cross_entropy(z: Array, labels: Array) -> float:
    """Mean softmax cross-entropy of logits ``z`` (the package's
    :func:`~dlbasics.losses.categorical_cross_entropy_with_logits`); ``inf`` if they are not
    finite."""
    if not np.isfinite(z).all():
        return math.inf
    return float(np.mean(categorical_cross_entropy_with_logits(z, labels)))


@dataclass
class Health:
    """One Dense layer's readout after the last step of a chunk."""

    name: str
    units: int
    activation: str
    grad_norm: float
    dead: float | None  # fraction of ReLU units dead on the training set
    saturated: float | None  # fraction of sigmoid/tanh outputs saturated
    update_ratio: float

    def warnings(self) -> list[str]:
        out = []
        if self.grad_norm < 1e-6:
            out.append("gradient vanished")
        if self.dead is not None and self.dead >= 0.5:
            out.append(f"{self.dead:.0%} dead")
        if self.saturated is not None and self.saturated >= 0.5:
            out.append(f"{self.saturated:.0%} saturated")
        if self.update_ratio > 0.1:
            out.append("updates too large")
        return out


@dataclass
class Run:
    """One training run of a configuration; :meth:`advance` trains it further."""

    config: dict[str, Any]
    custom: tuple[Array, Array] | None = None
    step: int = 0
    diverged: bool = False
    diverged_at: int | None = None
    message: str = ""
    history: dict[str, list[float]] = field(default_factory=lambda: {"train": [], "test": []})
    health: list[Health] = field(default_factory=list)
    health_step: int = 0  # the step the health readout was measured at

    def __post_init__(self) -> None:
        c = self.config
        X, y = make_data(c, self.custom)
        self.X_all, self.y_all = X, y
        self.n_classes = int(y.max()) + 1
        (Xtr, ytr), _, (Xte, yte) = train_val_test_split(
            X, y, val=0.0, test=1.0 - c["train_fraction"],
            rng=np.random.default_rng([c["seed"], 1]))
        if len(Xte) == 0:
            Xte, yte = Xtr[:1], ytr[:1]
        self.X_train, self.y_train, self.X_test, self.y_test = Xtr, ytr, Xte, yte
        # the network sees standardized inputs (the picture keeps the data's own coordinates):
        # the coordinates standardized on the training set are x₁ and x₂; every other input
        # is computed from them and standardized on the training set in turn
        self.features = tuple(c["features"])
        self.mean, self.scale = Xtr.mean(axis=0), Xtr.std(axis=0)
        self.scale[self.scale < 1e-12] = 1.0
        F = input_features(self.coordinates(Xtr), self.features)
        self.feature_mean, self.feature_scale = F.mean(axis=0), F.std(axis=0)
        self.feature_scale[self.feature_scale < 1e-12] = 1.0
        for j, name in enumerate(self.features):
            if name in ("x1", "x2"):  # standardized already
                self.feature_mean[j], self.feature_scale[j] = 0.0, 1.0
        self.Z_train, self.Z_test = self.standardize(Xtr), self.standardize(Xte)
        self._Z_both = np.concatenate([self.Z_train, self.Z_test])
        self._y_both = np.concatenate([self.y_train, self.y_test])
        sizes = [len(self.features), *hidden_units(c), self.n_classes]
        self.net = mlp(sizes, activation=c["activation"],
                       init=None if c["init"] == "auto" else c["init"],
                       rng=np.random.default_rng([c["seed"], 2]), dropout=c["dropout"],
                       batch_norm=c["batch_norm"] and c["layers"] > 0, name="playground")
        self.optimizer = get_optimizer(c["optimizer"], self.net.parameters(), lr=c["lr"])
        self.penalties = [p for p in (L1(c["l1"]) if c["l1"] else None,
                                      L2(c["l2"]) if c["l2"] else None) if p is not None]
        self.trainer = Trainer(self.net, loss="categorical_cross_entropy_with_logits",
                               optimizer=self.optimizer, penalty=self.penalties, metrics=())
        self._Z_ready, self._y_ready = self.trainer.prepare(self.Z_train, self.y_train)
        self.shuffle_rng = np.random.default_rng([c["seed"], 3])
        b = min(c["batch_size"], len(Xtr))
        if c["batch_norm"] and c["layers"] > 0:
            b = max(b, 2)  # batch normalization cannot train on a single example
        self.batch = b
        self._order = np.empty(0, dtype=np.intp)
        self._pos = 0
        self.dense = [la for la in self.net.layers if isinstance(la, Dense)]
        self._record()
        self.health = self._health(None)
        self.message = self._status()

    # -- helpers -----------------------------------------------------------------------------
    def coordinates(self, X: Array) -> Array:
        """Points ``X`` (the data's coordinates) standardized with the training set's mean
        and standard deviation: x₁ and x₂."""
        return (X - self.mean) / self.scale

    def standardize(self, X: Array) -> Array:
        """The network's inputs at points ``X`` (the data's coordinates), shape
        ``(n, len(features))``: each input of ``config["features"]`` computed from the
        standardized coordinates, then standardized with the training set's statistics."""
        F = input_features(self.coordinates(X), self.features)
        return (F - self.feature_mean) / self.feature_scale

    def evaluate(self, X: Array) -> tuple[Array, list[Array], Array]:
        """One forward pass at points ``X`` (evaluation mode): the network's inputs
        ``(n, n_inputs)``, each hidden layer's outputs after its activation
        ``[(n, units), ...]`` and the class probabilities ``(n, K)``. Values that are not
        finite become 0 (probabilities: 1/K)."""
        inputs = self.standardize(X)
        hidden = []
        out = inputs
        with np.errstate(all="ignore"):
            for layer in self.net.layers:
                out, _ = layer.forward(out)
                if isinstance(layer, ActivationLayer):
                    hidden.append(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0))
            if np.isfinite(out).all():
                probs = softmax(out)
            else:
                probs = np.full((len(X), self.n_classes), 1.0 / self.n_classes)
        return inputs, hidden, probs

    def costs(self) -> tuple[float, float]:
        """Cross-entropy on the training and validation sets (evaluation mode, no penalty), from
        one forward pass over both."""
        with np.errstate(all="ignore"):
            z = self.net.predict(self._Z_both)
        n = len(self.Z_train)
        if not np.isfinite(z).all():
            return cross_entropy(z[:n], self.y_train), cross_entropy(z[n:], self.y_test)
        losses = categorical_cross_entropy_with_logits(z, self._y_both)  # one per example
        return float(np.mean(losses[:n])), float(np.mean(losses[n:]))

    def probabilities(self, X: Array) -> Array:
        """Class probabilities at points ``X`` (the data's coordinates), shape (n, K)."""
        with np.errstate(all="ignore"):
            z = self.net.predict(self.standardize(X))
            if not np.isfinite(z).all():
                return np.full((len(X), self.n_classes), 1.0 / self.n_classes)
            return softmax(z)

    def accuracy(self, which: str = "test") -> float:
        Z, y = (self.Z_test, self.y_test) if which == "test" else (self.Z_train, self.y_train)
        with np.errstate(all="ignore"):
            return float(np.mean(self.net.predict(Z).argmax(axis=1) == y))

    def _record(self) -> None:
        tr, te = self.costs()
        self.history["train"].append(tr)
        self.history["test"].append(te)

    def _next_batch(self) -> Array:
        n = len(self.Z_train)
        if self._pos >= len(self._order) or (self.batch > 1 and len(self._order) - self._pos < 2):
            self._order, self._pos = self.shuffle_rng.permutation(n), 0
        idx = self._order[self._pos:self._pos + self.batch]
        self._pos += self.batch
        return idx

    # -- training ----------------------------------------------------------------------------
    def advance(self, steps: int = STEPS_PER_CHUNK) -> int:
        """Train up to ``steps`` more steps; return how many were taken (fewer if the run
        diverged or reached ``MAX_STEPS``)."""
        if self.diverged:
            return 0
        steps = min(int(steps), MAX_STEPS - self.step)
        if steps <= 0:
            self.message = self._status()
            return 0
        saved = self.net.get_weights()
        before = None
        taken = 0
        with np.errstate(all="ignore"):
            for k in range(steps):
                idx = self._next_batch()
                if k == steps - 1:
                    before = [d.W.value.copy() for d in self.dense]
                # one mini-batch update (a huge or infinite cost ends the run: the weights go
                # back to the saved state)
                cost = self.trainer.step(self._Z_ready[idx], self._y_ready[idx], prepared=True)
                if not math.isfinite(cost) or cost > HUGE_COST:
                    self._diverge(saved, cost)
                    break
                self.step += 1
                taken += 1
                tr, te = self.costs()
                if not (math.isfinite(tr) and math.isfinite(te)) or tr > HUGE_COST:
                    self.step -= 1
                    taken -= 1
                    self._diverge(saved, tr if not math.isfinite(tr) or tr > HUGE_COST else te)
                    break
                self.history["train"].append(tr)
                self.history["test"].append(te)
                if k % 8 == 7:  # keep a recent finite state to fall back to
                    saved = self.net.get_weights()
            if not self.diverged:
                self.health = self._health(before)
                self.health_step = self.step
        if not self.diverged:
            self.message = self._status()
        return taken

    def _diverge(self, saved: list[Array], cost: float) -> None:
        self.net.set_weights(saved)
        # the saved state may be a few steps behind: its costs are the curve's last finite point
        self.diverged, self.diverged_at = True, self.step + 1
        self.message = divergence_message(self.config, self.diverged_at, cost)

    def _health(self, before: list[Array] | None) -> list[Health]:
        norms = gradient_norms(self.net) if self.step else {}
        with np.errstate(all="ignore"):
            _, trace = self.net.forward(self.Z_train, trace=True)
        acts = [r for r in trace if r.a is not None]
        out = []
        for i, d in enumerate(self.dense):
            hidden = i < len(self.dense) - 1
            act = self.config["activation"] if hidden else "softmax"
            sat, dead = unit_health(acts[i].a, act) if hidden and i < len(acts) else (None, None)
            ratio = 0.0
            if before is not None:
                ratio = float(update_ratio([before[i]], [d.W.value])["0"])
            g = norms.get(d.name, 0.0)
            out.append(Health(f"layer {i + 1}" if hidden else "output", d.n_out, act,
                              g if math.isfinite(g) else math.inf, dead, sat,
                              ratio if math.isfinite(ratio) else math.inf))
        return out

    def _status(self) -> str:
        tr, te = self.history["train"][-1], self.history["test"][-1]
        head = (f"Step {self.step}: training cost {tr:.3f}, validation cost {te:.3f}, "
                f"validation accuracy {self.accuracy():.0%}.")
        if self.step == 0:
            head = (f"Step 0 (untrained): training cost {tr:.3f}, validation cost {te:.3f}. "
                    "Press Play or Step to train.")
        notes = []
        if self.step >= MAX_STEPS:
            notes.append(f"Stopped at the limit of {MAX_STEPS} steps; press Reset to start again.")
        if self.step >= 200 and te > 1.5 * tr + 0.05:
            notes.append("The validation cost is well above the training cost: the network is "
                         "overfitting; try L2, dropout, fewer units or more points.")
        warn = [f"{h.name}: {', '.join(h.warnings())}" for h in self.health if h.warnings()]
        if self.health_step and warn:
            notes.append("Health: " + "; ".join(warn) + ".")
        if self.config["batch_norm"] and self.config["batch_size"] == 1 and self.config["layers"]:
            notes.append("Batch normalization needs 2 examples per batch: using 2.")
        if self.config["layers"] == 0 and (self.config["dropout"] or self.config["batch_norm"]):
            notes.append("Dropout and batch normalization act on hidden layers: there are none.")
        if (self.step == 0 and self.config["dataset"] in ("xor", "circles", "moons")
                and self.config["classes"] != DEFAULTS["classes"]):
            notes.append(f"({self.config['dataset']} has 2 classes: the classes setting applies "
                         "to blobs and spirals.)")
        return " ".join([head, *notes])


def divergence_message(config: dict[str, Any], at: int, cost: float) -> str:
    """What happened and which knob to turn, in words."""
    what = "infinite" if not math.isfinite(cost) else f"huge ({cost:.3g})"
    lr = config["lr"]
    fix = f"Lower the learning rate (now {lr:g}; try {lr / 10:g})"
    if config["optimizer"] in ("sgd", "momentum"):
        fix += " or switch the optimizer to adam, which scales each step to the gradient's size"
    return (f"Training stopped: the cost became {what} at step {at}. Each update overshot the "
            "minimum by more than the one before, so the weights and the cost grew instead of "
            f"shrinking. {fix}; changing a setting (or Reset) starts a new run. The picture "
            "shows the last state before the blow-up.")
