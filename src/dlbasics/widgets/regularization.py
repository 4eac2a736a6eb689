"""The regularization explorer (chapter 7): weight penalties, dropout and early stopping.

A network far larger than its data (2 → 64 → 64 → 1, 4,417 parameters) learns 62 noisy
two-moons points by full-batch gradient descent with momentum, optionally with an L2 penalty,
an L1 penalty, dropout after each hidden layer and early stopping on the validation loss. The
figure shows the decision boundary, the training and validation loss per epoch with the
generalization gap, and the histogram of the weights.

Training advances in *chunks* of :data:`CHUNK_EPOCHS` epochs. :func:`compute_regularization` is
pure (the same settings and epochs always give the same result); a
:class:`RegularizationCache` keeps the run of the current settings, so asking for one more
chunk trains only that chunk. The explorer's *Train* button runs several chunks and redraws
after each one, so the curves grow while it trains; moving a control starts a new run and
trains its first chunk.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure

from ..plotting import CLASS_COLORS, PALETTE
from ._base import Action, Explorer, static_twin
from ._spec import ExplorerSpec
from .regularization_run import (
    CHUNK_EPOCHS,
    MAX_EPOCHS,
    PATIENCE,
    RegularizationCache,
    _limits,
    _mean_loss,
    regularization_data,
)
from .twin_grid import TwinGrid

TRAIN_CHUNKS = 5  # chunks per press of the Train button
L2_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1)
TWIN_L2 = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1)  # the chapter's twin
L1_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03)
DROPOUT_MAX = 0.8
SMALL = 0.01  # a weight with |w| below this counts as "near zero"
GRID = 80
WEIGHT_BINS = np.linspace(-2.0, 2.0, 81)
LOSS_LIMITS = (1e-3, 3.0)
COUNT_LIMITS = (0.7, 6000.0)
# What the live explorer adds to its message once a run has finished (not on the website).
FINISHED_NOTE = " Train is greyed out: change a control to start another run."


@dataclass(frozen=True)
class RegularizationResult:
    """A snapshot of a run: curves, boundary, weights and the generalization gap."""

    l2: float
    l1: float
    dropout: float
    early_stopping: bool
    epochs: int  # epochs trained
    train_loss: np.ndarray  # per epoch (evaluation mode, penalty excluded)
    val_loss: np.ndarray
    best_epoch: int | None  # 0-based; with early stopping
    stopped_epoch: int | None
    finished: bool
    diverged: bool
    final_train_loss: float  # at the weights the network now holds (the best ones, if restored)
    final_val_loss: float
    train_accuracy: float
    val_accuracy: float
    gap: float  # final_val_loss - final_train_loss
    weights: np.ndarray  # every regularized weight, flattened
    weight_norm: float
    near_zero: float  # fraction of weights with |w| < SMALL
    probability: np.ndarray  # (GRID, GRID) predicted probability of class 1
    message: str


def _grid() -> tuple[np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = _limits()
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    return gx, gy


def compute_regularization(l2: float = 0.0, l1: float = 0.0, dropout: float = 0.0,
                           early_stopping: bool = False, epochs: int = MAX_EPOCHS, *,
                           cache: RegularizationCache | None = None) -> RegularizationResult:
    """Train the chapter's network for ``epochs`` epochs (whole chunks of training, fewer if
    early stopping ends the run) with the given L2 and L1 strengths, dropout rate and early
    stopping, and measure it.

    Out-of-range values are clipped into the explorer's ranges (strengths >= 0, dropout in
    [0, 0.8], epochs in [1, MAX_EPOCHS]) rather than refused, so every control value is safe.
    """
    cache = cache or RegularizationCache()
    l2 = max(0.0, float(l2)) if math.isfinite(l2) else 0.0
    l1 = max(0.0, float(l1)) if math.isfinite(l1) else 0.0
    dropout = min(max(0.0, float(dropout)), DROPOUT_MAX) if math.isfinite(dropout) else 0.0
    epochs = min(max(1, int(epochs)), MAX_EPOCHS)
    run = cache.run(l2, l1, dropout, early_stopping, epochs)
    if run.snapshot is not None and run.snapshot[0] == (run.epochs, run.finished):
        return run.snapshot[1]  # nothing trained since: the same result
    (X, y), (Xv, yv), _ = regularization_data()
    with np.errstate(all="ignore"):
        tr_loss, tr_acc = _mean_loss(run.net, X, y)
        va_loss, va_acc = _mean_loss(run.net, Xv, yv)
        gx, gy = _grid()
        z = run.net.predict(np.column_stack([gx.ravel(), gy.ravel()]))[:, 0]
        prob = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    weights = np.concatenate([p.value.ravel() for p in run.net.parameters() if p.regularize])
    best = run.stopper.best_epoch if run.stopper is not None else None
    gap = va_loss - tr_loss
    parts = []
    if l2 > 0:
        parts.append(f"L2 λ = {l2:g}")
    if l1 > 0:
        parts.append(f"L1 λ = {l1:g}")
    if dropout > 0:
        parts.append(f"dropout {dropout:.2f}")
    if early_stopping:
        parts.append(f"early stopping (patience {PATIENCE})")
    setting = ", ".join(parts) or "no regularization"
    if run.diverged:
        message = (f"Diverged after {run.epochs} epochs ({setting}): the penalty pushes the "
                   "weights too hard for this learning rate.")
    else:
        if run.stopped_epoch is not None and best is not None:
            state = (f"Early stopping ended training at epoch {run.stopped_epoch + 1} and "
                     f"restored the weights of epoch {best + 1}.")
        elif run.finished and best is not None:
            state = (f"Trained all {MAX_EPOCHS} epochs; early stopping restored the weights "
                     f"of epoch {best + 1}.")
        elif run.finished:
            state = f"Trained all {MAX_EPOCHS} epochs."
        else:
            state = f"Trained {run.epochs} of {MAX_EPOCHS} epochs: press Train to go on."
        message = (f"{state} With {setting}: training loss {tr_loss:.3f}, validation loss "
                   f"{va_loss:.3f}, generalization gap {gap:+.3f}; accuracy {tr_acc:.0%} "
                   f"(training) and {va_acc:.0%} (validation); weight norm "
                   f"{float(np.linalg.norm(weights)):.1f}, {np.mean(np.abs(weights) < SMALL):.0%}"
                   f" of the weights near 0.")
        if run.finished:
            message += FINISHED_NOTE
    result = RegularizationResult(
        l2, l1, dropout, bool(early_stopping), run.epochs, np.array(run.train_loss),
        np.array(run.val_loss), best, run.stopped_epoch, run.finished, run.diverged,
        tr_loss, va_loss, tr_acc, va_acc, gap, weights, float(np.linalg.norm(weights)),
        float(np.mean(np.abs(weights) < SMALL)), prob.reshape(gx.shape), message,
    )
    run.snapshot = ((run.epochs, run.finished), result)
    return result


def _surface_rgba(prob: np.ndarray) -> np.ndarray:
    """Light class colours by probability, with the p = 0.5 boundary drawn dark."""
    c0 = np.array([0.78, 0.88, 0.96])  # light blue (class 0)
    c1 = np.array([0.99, 0.88, 0.70])  # light orange (class 1)
    p = np.nan_to_num(prob, nan=0.5)[..., None]
    rgb = (1 - p) * c0 + p * c1
    side = p[..., 0] > 0.5
    edge = np.zeros_like(side)
    edge[:, 1:] |= side[:, 1:] != side[:, :-1]
    edge[1:, :] |= side[1:, :] != side[:-1, :]
    rgb[edge] = 0.15
    return np.concatenate([rgb, np.ones(p.shape)], axis=-1)


def _summary_text(epoch: int, gap: float, train_acc: float, val_acc: float, norm: float,
                  near_zero: float) -> str:
    return (f"epoch {epoch}:   generalization gap {gap:+.3f}   accuracy {train_acc:.0%} training,"
            f" {val_acc:.0%} validation   ‖W‖ = {norm:.1f}, {near_zero:.0%} near 0")


class RegularizationView:
    """Decision boundary; training and validation loss per epoch; histogram of the weights."""

    def __init__(self, fig: Figure) -> None:
        self.ax_b, self.ax_c, self.ax_w = fig.subplots(1, 3, width_ratios=[1.0, 1.25, 1.0])
        (X, y), (Xv, yv), _ = regularization_data()
        (x0, x1), (y0, y1) = _limits()
        self.image = self.ax_b.imshow(np.ones((GRID, GRID, 4)), origin="lower",
                                      extent=(x0, x1, y0, y1), aspect="auto",
                                      interpolation="nearest")
        colors = np.array(CLASS_COLORS[:2])
        points = [  # drawn after the surface, which is redrawn at every update
            self.ax_b.scatter(*X.T, s=20, c=colors[y], edgecolor="black", lw=0.5,
                              label="training"),
            self.ax_b.scatter(*Xv.T, s=20, facecolor="none", edgecolor=colors[yv], lw=1.2,
                              label="validation"),
        ]
        self.ax_b.set(xlim=(x0, x1), ylim=(y0, y1), xticks=[], yticks=[],
                      title="filled: training, hollow: validation")
        epochs = np.arange(1, MAX_EPOCHS + 1)
        (self.train,) = self.ax_c.semilogy([], [], color=PALETTE["blue"], lw=1.8,
                                           label="training loss")
        (self.val,) = self.ax_c.semilogy([], [], color=PALETTE["vermillion"], lw=1.8,
                                         label="validation loss")
        (self.best,) = self.ax_c.semilogy([], [], "*", ms=12, color=PALETTE["yellow"], mec="black",
                                          label="best epoch (restored)")
        (self.stop,) = self.ax_c.plot([], [], ":", color="0.3", lw=1.2)
        self.ax_c.set(xlim=(0, epochs[-1] + 5), ylim=LOSS_LIMITS, xlabel="epoch",
                      ylabel="mean cross-entropy (log scale)",
                      title="gap = validation − training loss")
        self.ax_c.legend(loc="lower left", fontsize=8, frameon=False)
        self.ax_c.grid(alpha=0.3)
        centres = 0.5 * (WEIGHT_BINS[1:] + WEIGHT_BINS[:-1])
        (self.hist,) = self.ax_w.semilogy(centres, np.ones_like(centres), drawstyle="steps-mid",
                                          color=PALETTE["green"], lw=1.5)
        self.ax_w.set(xlim=(WEIGHT_BINS[0], WEIGHT_BINS[-1]), ylim=COUNT_LIMITS,
                      xlabel="weight value $w$", ylabel="number of weights (log scale)",
                      title=f"weights (near 0: |w| < {SMALL})")
        self.ax_w.grid(alpha=0.3)
        self.banner = self.ax_c.text(0.5, 0.5, "", transform=self.ax_c.transAxes, ha="center",
                                     va="center", fontsize=14, color=PALETTE["vermillion"],
                                     weight="bold")
        # one line of text for every number (each text drawn costs more than all the lines)
        self.summary = fig.suptitle(_summary_text(600, 0.5, 1.0, 1.0, 20.0, 0.04), fontsize=10)
        self.banner.set_visible(False)
        self.dynamic_artists = [self.image, *points, self.train, self.val, self.best,
                                self.stop, self.hist, self.summary, self.banner]

    def update(self, r: RegularizationResult) -> None:
        self.image.set_data(_surface_rgba(r.probability))
        lo, hi = LOSS_LIMITS

        def clip(a: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.clip(np.nan_to_num(a, nan=hi, posinf=hi), lo, hi)

        epochs = np.arange(1, r.epochs + 1)
        self.train.set_data(epochs, clip(r.train_loss))
        self.val.set_data(epochs, clip(r.val_loss))
        if r.best_epoch is not None:
            self.best.set_data([r.best_epoch + 1], clip(r.val_loss[[r.best_epoch]]))
        else:
            self.best.set_data([], [])
        if r.stopped_epoch is not None:
            self.stop.set_data([r.stopped_epoch + 1] * 2, [lo, hi])
        else:
            self.stop.set_data([], [])
        shown = (r.best_epoch + 1 if r.finished and r.best_epoch is not None else r.epochs)
        self.summary.set_text(_summary_text(shown, r.gap, r.train_accuracy, r.val_accuracy,
                                            r.weight_norm, r.near_zero))
        self.banner.set_text("DIVERGED" if r.diverged else "")
        self.banner.set_visible(r.diverged)
        w = np.clip(np.nan_to_num(r.weights), WEIGHT_BINS[0], WEIGHT_BINS[-1])
        counts, _ = np.histogram(w, WEIGHT_BINS)
        self.hist.set_ydata(np.maximum(counts, 0.1))


FIGSIZE = (10.5, 3.6)


class EpochRun:
    """The regularization explorer's run (a :class:`~dlbasics.widgets._base.ChunkedRun`): the
    epochs trained so far, a chunk of :data:`CHUNK_EPOCHS` at a time up to :data:`MAX_EPOCHS`.
    New settings start at one chunk; settings whose run is still cached resume where it was
    left."""

    def __init__(self, cache: RegularizationCache) -> None:
        self.cache = cache
        self.epochs = CHUNK_EPOCHS

    def settings(self) -> dict[str, Any]:
        return {"epochs": self.epochs}

    def restart(self, values: dict[str, Any]) -> None:
        self.epochs = max(CHUNK_EPOCHS, self.cache.epochs_of(**values))

    def advance(self, result: RegularizationResult) -> bool:
        if result.finished:
            return False
        self.epochs = min(self.epochs + CHUNK_EPOCHS, MAX_EPOCHS)
        return True


class RegularizationExplorer(Explorer):
    """An :class:`Explorer` with a run of epochs and a Train button: each press trains
    :data:`TRAIN_CHUNKS` more chunks of :data:`CHUNK_EPOCHS` epochs, redrawing after each;
    moving a control to new settings starts a new run and trains its first chunk, while moving
    back to settings whose run is still cached shows that run where it was left (see
    :class:`EpochRun`). ``cache.n_fits`` counts the chunks trained."""

    def __init__(self, controls: dict, cache: RegularizationCache) -> None:
        train = Action(lambda explorer: explorer.train(), icon="play",
                       tooltip=f"train {TRAIN_CHUNKS * CHUNK_EPOCHS} more epochs",
                       enabled=lambda explorer: not getattr(explorer.result, "finished", False))
        super().__init__("Regularization explorer", controls,
                         partial(compute_regularization, cache=cache), RegularizationView,
                         figsize=FIGSIZE, side=("early_stopping",), cache=cache,
                         actions={"Train": train}, run=EpochRun(cache))

    @property
    def train_button(self) -> widgets.Button:
        return self.buttons["Train"]

    def train(self, chunks: int = TRAIN_CHUNKS) -> RegularizationResult:
        """What the Train button does: ``chunks`` more chunks, redrawing after each."""
        return self.advance(chunks)


def regularization_explorer(l2: float = 0.0, l1: float = 0.0, dropout: float = 0.0,
                            early_stopping: bool = False) -> RegularizationExplorer:
    """L2 and L1 strength, dropout rate and early stopping on a network that can memorize its
    62 training points; the Train button trains it chunk by chunk."""

    def strength_slider(value: float, options: tuple, label: str) -> widgets.SelectionSlider:
        value = min(options, key=lambda o: abs(o - value))
        return widgets.SelectionSlider(options=[(f"{o:g}", o) for o in options], value=value,
                                       description=label, continuous_update=False)

    controls = {
        "l2": strength_slider(l2, L2_STRENGTHS, "L2 λ"),
        "l1": strength_slider(l1, L1_STRENGTHS, "L1 λ"),
        "dropout": widgets.FloatSlider(value=dropout, min=0.0, max=DROPOUT_MAX, step=0.05,
                                       description="dropout p", continuous_update=False),
        "early_stopping": widgets.ToggleButtons(options=[("off", False), ("on", True)],
                                                value=bool(early_stopping),
                                                description="early stop",
                                                style={"button_width": "56px"}),
    }
    return RegularizationExplorer(controls, RegularizationCache())


def regularization_twin(sweep: str = "l2", values: Sequence[Any] | None = None,
                        **fixed: Any) -> HTML:
    """Static twin of :func:`regularization_explorer`: fully trained networks with the L2
    strength swept from 0 to 0.1 (or ``sweep="epochs"``: one run as it trains)."""
    settings: dict[str, Any] = {"l2": 0.0, "l1": 0.0, "dropout": 0.0, "early_stopping": False,
                                "epochs": MAX_EPOCHS}
    settings.update(fixed)
    if values is None:
        values = (list(TWIN_L2) if sweep == "l2" else
                  list(range(CHUNK_EPOCHS, MAX_EPOCHS + 1, CHUNK_EPOCHS)) if sweep == "epochs"
                  else list(L1_STRENGTHS) if sweep == "l1" else [0.0, 0.2, 0.4, 0.6, 0.8])
    settings.pop(sweep, None)
    compute = partial(compute_regularization, cache=RegularizationCache())
    return static_twin(compute, RegularizationView, sweep, list(values), figsize=FIGSIZE,
                       interval_ms=1000, **settings, shows=(
                           "the decision boundary of the network over the training points "
                           "(filled) and validation points (hollow), its training and "
                           "validation loss per epoch with the generalization gap, and the "
                           "histogram of its weights."))


def twin_result(**settings: Any) -> RegularizationResult:
    """The website twin's picture of ``settings``: the run trained to the end
    (:data:`MAX_EPOCHS`, or until early stopping ends it), its note without the live
    explorer's Train button."""
    result = compute_regularization(**{**settings, "epochs": MAX_EPOCHS})
    note = result.message.replace(FINISHED_NOTE, "")
    return dataclasses.replace(result, message=note)


#: The website's twin: every L2 strength of the live slider, early stopping off and on, and six
#: dropout rates, each network trained to the end (no L1 penalty).
TWIN_GRID = TwinGrid(
    {"l2": L2_STRENGTHS, "early_stopping": (False, True),
     "dropout": (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)},
    fixed={"l1": 0.0}, start={"l2": 0.0, "early_stopping": False, "dropout": 0.0},
    figsize=FIGSIZE, result=twin_result,
    alt="A network of 4,417 parameters trained on 62 noisy two-moons points. Left: its decision "
        "boundary over the training points (filled) and the validation points (hollow). "
        "Middle: the training and validation loss per epoch on a log scale, with the restored "
        "best epoch starred and a dotted line where early stopping ended training. Right: the "
        "histogram of its weights. The line above gives the generalization gap, the training "
        "and validation accuracy and the weight norm.")

SPEC = ExplorerSpec("regularization", 7, regularization_explorer, compute_regularization,
                    RegularizationView, regularization_twin, sweep="l2", values=TWIN_L2,
                    grid=TWIN_GRID)
