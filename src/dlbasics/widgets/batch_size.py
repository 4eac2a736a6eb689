"""Batch-size explorer (chapter 5): mini-batch gradient descent on a line fit, from one example
per step to the whole set, with the spread of the mini-batch gradients around the full one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..minibatch import BATCH_N, BATCH_START, batch_data, gradient_spread, run_batch_gd
from ..plotting import PALETTE
from ..training import History
from ._base import Explorer, static_twin
from ._cache import LRU
from ._spec import ExplorerSpec
from .descent import (
    CACHE_SIZE,
    light_log_axis,
)
from .twin_grid import TwinGrid

SPREAD_SIZES = (1, 2, 4, 8, 16, 32, 64)
MAX_EPOCHS = 30
#: The batch sizes of the chapter's twin.
TWIN_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


class BatchCache:
    """Training runs by (batch size, lr, epochs) and the gradient spread, for one explorer.

    ``n_fits`` counts the runs actually trained."""

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        self._runs: LRU[History] = LRU(maxsize)
        self._spread: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_fits(self) -> int:
        return self._runs.computed

    def run(self, batch_size: int, lr: float, epochs: int) -> History:
        key = (int(batch_size), round(float(lr), 12), int(epochs))
        return self._runs.get_or_compute(key, partial(run_batch_gd, *key))

    def spread(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(batch sizes 1..n, measured spread at SPREAD_SIZES, predicted spread at 1..n)."""
        if self._spread is None:
            X, y = batch_data()
            measured, _ = gradient_spread(X, y, *BATCH_START, SPREAD_SIZES)
            _, predicted = gradient_spread(X, y, *BATCH_START, np.arange(1, len(X) + 1),
                                           draws=1)
            self._spread = (measured, predicted)
        return (np.arange(1, BATCH_N + 1), *self._spread)


@dataclass(frozen=True)
class BatchResult:
    """A mini-batch run, the full-batch run it is compared with, and the gradient spread."""

    batch_size: int
    lr: float
    epochs: int
    n: int
    epoch_cost: np.ndarray
    step_cost: np.ndarray
    examples_seen: np.ndarray  # gradient evaluations (examples) after each step
    full_epoch_cost: np.ndarray
    full_step_cost: np.ndarray
    diverged: bool
    full_diverged: bool
    sizes: np.ndarray
    spread_measured: np.ndarray  # at SPREAD_SIZES
    spread_predicted: np.ndarray  # at every size 1..n
    message: str


def _examples_seen(n_steps: int, n: int, b: int) -> np.ndarray:
    per_epoch = [min(b, n - lo) for lo in range(0, n, b)]
    reps = -(-n_steps // len(per_epoch))
    return np.cumsum(np.tile(per_epoch, reps)[:n_steps])


def compute_batch(batch_size: int = 8, lr: float = 0.02, epochs: int = 20, *,
                  cache: BatchCache | None = None) -> BatchResult:
    """Mini-batch gradient descent with ``batch_size`` examples per step, next to batch
    gradient descent (all examples per step) with the same learning rate and epochs."""
    cache = cache or BatchCache()
    n = BATCH_N
    b = min(int(batch_size), n)
    h = cache.run(b, lr, epochs)
    full = cache.run(n, lr, epochs)
    sizes, measured, predicted = cache.spread()
    per_epoch = -(-n // b)
    if h.diverged and h.diverged_at is not None:
        epoch, step = h.diverged_at
        where = (f"in epoch {epoch + 1}" if step is None
                 else f"at step {step + 1} of epoch {epoch + 1}")
        head = f"Diverged {where}: the learning rate is too large for batches of {b}."
    elif h.cost[-1] > h.cost[0]:
        head = (f"Diverging: with batches of {b} the cost grew from {h.cost[0]:.3g} in the "
                f"first epoch to {h.cost[-1]:.3g} in the last; the learning rate is too large.")
    else:
        head = (f"Batch size {b}: {per_epoch} iteration{'s' * (per_epoch > 1)} per epoch, "
                f"{per_epoch * epochs} updates in {epochs} epoch{'s' * (epochs > 1)}; final "
                f"epoch cost {h.cost[-1]:.3g} (batch gradient descent: "
                f"{'diverged' if full.diverged else f'{full.cost[-1]:.3g}'}).")
    spread = predicted[b - 1]
    tail = (f" A mini-batch gradient misses the full gradient by {spread:.3g} on average at the "
            "start" + (" (no miss: the batch is the whole set)." if b == n else "."))
    with np.errstate(all="ignore"):
        return BatchResult(
            b, float(lr), int(epochs), n, np.array(h.cost), np.array(h.step_cost),
            _examples_seen(len(h.step_cost), n, b), np.array(full.cost),
            np.array(full.step_cost), h.diverged, full.diverged, sizes, measured, predicted,
            head + tail,
        )


class BatchView:
    """Cost per epoch; mini-batch cost per step against examples seen; gradient spread."""

    def __init__(self, fig: Figure) -> None:
        self.ax_epoch, self.ax_step, self.ax_spread = fig.subplots(1, 3)
        grey = "0.45"
        (self.full_epoch,) = self.ax_epoch.semilogy([], [], "--", color=grey, lw=1.5,
                                                    label="batch GD")
        (self.epoch,) = self.ax_epoch.semilogy([], [], "-o", ms=3, color=PALETTE["vermillion"],
                                               lw=1.5, label="mini-batch")
        self.ax_epoch.set(xlabel="epoch", ylabel="cost (log scale)", title="cost per epoch")
        self.ax_epoch.legend(loc="upper right", fontsize=8)
        (self.full_step,) = self.ax_step.semilogy([], [], "o", ms=3, color=grey)
        (self.step,) = self.ax_step.semilogy([], [], "-", color=PALETTE["vermillion"], lw=0.8)
        self.ax_step.set(xlabel="gradient evaluations (examples)",
                         title="cost of each mini-batch")
        self.ax_spread.loglog(np.arange(1, BATCH_N + 1), np.ones(BATCH_N), alpha=0)
        self.ax_spread.set(xlabel="batch size $B$", ylabel="gradient error (RMS)",
                           title="noise of the gradient")
        (self.predicted,) = self.ax_spread.loglog([], [], "-", color=PALETTE["blue"], lw=1.5,
                                                  label="$\\sigma\\sqrt{(n-B)/(B(n-1))}$")
        (self.measured,) = self.ax_spread.loglog([], [], "o", color=PALETTE["blue"], ms=5,
                                                 label="measured")
        (self.current,) = self.ax_spread.loglog([], [], "o", ms=11, mfc="none", mew=2,
                                                color=PALETTE["vermillion"], label="this $B$")
        self.ax_spread.legend(loc="lower left", fontsize=7)
        # fixed axes (the whole range of the epochs slider; from the least-squares cost to well
        # above the starting cost): moving a slider then never redraws the axes
        X, y = batch_data()
        A = np.column_stack([X[:, 0], np.ones(len(X))])
        coef, *_ = np.linalg.lstsq(A, y[:, 0], rcond=None)
        j_min = float(np.mean((A @ coef - y[:, 0]) ** 2))
        j_start = float(np.mean((A @ np.array(BATCH_START) - y[:, 0]) ** 2))
        self.limits = (j_min * 0.5, j_start * 30)
        self.ax_epoch.set(xlim=(0.5, MAX_EPOCHS + 0.5), ylim=self.limits)
        self.step_limits = (j_min * 1e-3, j_start * 30)  # one example's cost can be tiny
        self.ax_step.set(xlim=(0, BATCH_N * MAX_EPOCHS), ylim=self.step_limits)
        for ax in (self.ax_epoch, self.ax_step, self.ax_spread):
            ax.grid(alpha=0.3)
            light_log_axis(ax)
        self.ax_spread.xaxis.set_major_locator(LogLocator(numticks=4))
        self.ax_spread.xaxis.set_minor_locator(NullLocator())
        self.ax_spread.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        self._drawn_spread = False
        self.dynamic_artists = [self.full_epoch, self.epoch, self.full_step, self.step,
                                self.current]

    def update(self, r: BatchResult) -> None:
        low, top = self.limits

        def clip(a: np.ndarray, low: float = low) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.clip(np.nan_to_num(a, nan=top, posinf=top), low, top)

        self.full_epoch.set_data(np.arange(1, len(r.full_epoch_cost) + 1), clip(r.full_epoch_cost))
        self.epoch.set_data(np.arange(1, len(r.epoch_cost) + 1), clip(r.epoch_cost))
        self.full_step.set_data(r.n * np.arange(1, len(r.full_step_cost) + 1),
                                clip(r.full_step_cost, self.step_limits[0]))
        self.step.set_data(r.examples_seen, clip(r.step_cost, self.step_limits[0]))
        if not self._drawn_spread:
            self.predicted.set_data(r.sizes, r.spread_predicted)
            self.measured.set_data(np.array(SPREAD_SIZES)[:-1], r.spread_measured[:-1])
            top_spread = float(r.spread_predicted[0]) * 2
            self.ax_spread.set(xlim=(0.8, r.n * 1.25), ylim=(top_spread * 1e-3, top_spread))
            self._drawn_spread = True
        s = max(float(r.spread_predicted[r.batch_size - 1]), self.ax_spread.get_ylim()[0] * 1.5)
        self.current.set_data([r.batch_size], [s])


BATCH_FIGSIZE = (10.0, 3.6)


def batch_explorer(batch_size: int = 8, lr: float = 0.02, epochs: int = 20) -> Explorer:
    """Mini-batch gradient descent from one example per step (stochastic) to the whole set
    (batch): the cost curves and the noise of the gradient estimate. ``explorer.cache`` holds
    the runs (``cache.n_fits`` counts the trainings)."""
    cache = BatchCache()
    controls = {
        "batch_size": widgets.IntSlider(value=batch_size, min=1, max=BATCH_N,
                                        description="batch size", continuous_update=False),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-3, max=-0.5, step=0.05,
                                     description="learning rate η", readout_format=".3f",
                                     continuous_update=False),
        "epochs": widgets.IntSlider(value=epochs, min=1, max=MAX_EPOCHS, description="epochs",
                                    continuous_update=False),
    }
    return Explorer("Batch-size explorer", controls, partial(compute_batch, cache=cache),
                    BatchView, cache=cache, figsize=BATCH_FIGSIZE)


def batch_twin(sweep: str = "batch_size", values: Sequence[Any] | None = None,
               **fixed: Any) -> HTML:
    """Static twin of :func:`batch_explorer`: the batch size swept from 1 to the whole set."""
    settings: dict[str, Any] = {"batch_size": 8, "lr": 0.02, "epochs": 20}
    settings.update(fixed)
    if values is None:
        values = list(TWIN_BATCH_SIZES) if sweep == "batch_size" else [0.002, 0.01, 0.02, 0.05]
    settings.pop(sweep, None)
    shows = ("the cost per epoch of mini-batch gradient descent against batch gradient descent "
             "(left), the cost of every mini-batch against the number of examples processed "
             "(middle), and how far mini-batch gradients fall from the full gradient for every "
             "batch size, with the current one ringed (right).")
    return static_twin(partial(compute_batch, cache=BatchCache()), BatchView, sweep,
                       list(values), figsize=BATCH_FIGSIZE, interval_ms=1200, shows=shows,
                       **settings)


#: The website's twin: the batch size (33 and 63 give two mini-batches per epoch, the second
#: one short), the learning rate (batch gradient descent still converges at 0.1, not at 0.112)
#: and the number of epochs.
TWIN_GRID = TwinGrid(
    {"batch_size": (1, 2, 4, 8, 16, 32, 33, 63, 64), "lr": (0.005, 0.02, 0.05, 0.1, 0.112),
     "epochs": (5, 20, 30)},
    figsize=BATCH_FIGSIZE,
    alt="Left: the cost per epoch of mini-batch gradient descent (vermillion) and of batch "
        "gradient descent (grey, dashed), log scale. Middle: the cost of every mini-batch "
        "against the number of examples processed. Right: how far a mini-batch gradient falls "
        "from the full gradient for every batch size, the current one ringed.")

SPEC = ExplorerSpec("batch size", 5, batch_explorer, compute_batch, BatchView, batch_twin,
                    sweep="batch_size", values=TWIN_BATCH_SIZES, grid=TWIN_GRID)
