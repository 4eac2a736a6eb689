"""Outlier explorer (chapter 3): how regression losses react to an outlier.

Twelve points around the line :math:`y = 2x + 1`; the learner moves one
point's target (the *outlier*) and sets how much it counts (a multiplier :math:`c` of its
loss). Three lines :math:`\\hat y = wx + b` are fitted, each minimizing its own cost

.. math:: J = \\frac1n \\sum_i c_i\\, L(\\hat y_i, y_i),

where :math:`c_i = 1` for every point except the outlier. The three losses are the squared
error (closed form: weighted least squares), the absolute error (exact: an
optimal line passes through two of the points, so every pair is tried) and the Huber loss
(iteratively reweighted least squares, which converges for this convex cost). All three are a
few vectorized numpy operations: an update takes well under a millisecond of computing.
Nothing is trained and nothing is cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure

from ..datasets import noisy_line
from ..losses import (
    absolute_error,
    cost,
    huber,
    squared_error,
)
from ..plotting import PALETTE
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .twin_grid import TwinGrid

# --- the fits --------------------------------------------------------------------------------

N_POINTS = 12
DATA_SEED = 3
OUTLIER_RANGE = (-10.0, 30.0)  # the outlier-target slider
WEIGHT_RANGE = (0.0, 10.0)  # how much the outlier counts
DELTA_RANGE = (0.25, 20.0)  # Huber's δ: from nearly absolute error to squared error
HUBER_STEPS = 200
LOSS_NAMES = ("squared", "absolute", "huber")
LOSS_LABELS = {"squared": "squared error", "absolute": "absolute error", "huber": "Huber"}
LOSS_COLORS = {"squared": PALETTE["blue"], "absolute": PALETTE["orange"],
               "huber": PALETTE["green"]}


@cache
def outlier_data() -> tuple[np.ndarray, np.ndarray, int]:
    """The explorer's data: ``x`` and ``y`` (shape ``(12,)``, sorted by ``x``) from
    ``noisy_line`` (slope 2, intercept 1, noise 0.5) and the index of the outlier (the point
    with the largest ``x``, where a point pulls hardest on a line's slope). Read-only arrays."""
    X, Y = noisy_line(N_POINTS, slope=2.0, intercept=1.0, noise=0.5, rng=DATA_SEED)
    order = np.argsort(X.ravel())
    x, y = X.ravel()[order], Y.ravel()[order]
    x.flags.writeable = y.flags.writeable = False
    return x, y, N_POINTS - 1


def _weighted_lstsq(x: np.ndarray, y: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """The line minimizing :math:`\\sum_i c_i (y_i - w x_i - b)^2` (the normal equations)."""
    sc, sx, sxx = c.sum(), (c * x).sum(), (c * x * x).sum()
    sy, sxy = (c * y).sum(), (c * x * y).sum()
    det = sc * sxx - sx * sx
    w = (sc * sxy - sx * sy) / det
    return float(w), float((sy - w * sx) / sc)


def fit_line(x: np.ndarray, y: np.ndarray, counts: np.ndarray, loss: str,
             delta: float = 1.0) -> tuple[float, float]:
    """Fit :math:`\\hat y = wx + b` minimizing :math:`\\sum_i c_i L(\\hat y_i, y_i)`.

    ``loss`` is ``"squared"`` (weighted least squares), ``"absolute"`` (the best of the lines
    through two points: a weighted absolute-error cost is minimized by such a line) or
    ``"huber"`` (iteratively reweighted least squares from the squared-error fit: each point
    gets weight :math:`c_i \\min(1, \\delta/|r_i|)`). Returns ``(w, b)``. Needs at least two
    distinct ``x`` with positive count.
    """
    x, y, c = (np.asarray(a, dtype=float) for a in (x, y, counts))
    if loss == "squared":
        return _weighted_lstsq(x, y, c)
    if loss == "absolute":
        i, j = np.triu_indices(x.size, 1)
        keep = x[i] != x[j]
        i, j = i[keep], j[keep]
        w = (y[j] - y[i]) / (x[j] - x[i])
        b = y[i] - w * x[i]
        costs = (c * np.abs(y - w[:, None] * x - b[:, None])).sum(axis=1)
        best = int(np.argmin(costs))
        return float(w[best]), float(b[best])
    if loss == "huber":
        w, b = _weighted_lstsq(x, y, c)
        for _ in range(HUBER_STEPS):
            r = np.abs(y - w * x - b)
            w_new, b_new = _weighted_lstsq(x, y, c * delta / np.maximum(r, delta))
            done = abs(w_new - w) + abs(b_new - b) < 1e-13
            w, b = w_new, b_new
            if done:
                break
        return w, b
    raise ValueError(f"unknown loss {loss!r}; choose one of {list(LOSS_NAMES)}")


def weighted_losses(x: np.ndarray, y: np.ndarray, w: float, b: float, loss: str,
                    delta: float = 1.0) -> np.ndarray:
    """Per-example losses of the line ``(w, b)``, from ``dlbasics.losses``, shape ``(n,)``."""
    pred = w * np.asarray(x) + b
    if loss == "squared":
        return squared_error(pred, y)
    if loss == "absolute":
        return absolute_error(pred, y)
    return huber(pred, y, delta=delta)


@dataclass(frozen=True)
class LineFit:
    """One loss's fitted line, its per-example losses and its cost."""

    loss: str
    w: float
    b: float
    losses: np.ndarray  # L_i of each example (not multiplied by its count)
    cost: float  # (1/n) Σ c_i L_i
    shares: np.ndarray  # c_i L_i / Σ c_j L_j: each example's share of the cost


@dataclass(frozen=True)
class OutlierResult:
    """What the outlier explorer shows for one setting of its controls."""

    outlier_y: float
    outlier_weight: float
    delta: float
    x: np.ndarray
    y: np.ndarray  # the targets, the outlier's replaced by outlier_y
    outlier: int  # its index
    counts: np.ndarray  # c_i
    fits: dict[str, LineFit]
    headline: str
    message: str


def compute_outlier(outlier_y: float = 25.0, outlier_weight: float = 1.0,
                    delta: float = 1.0) -> OutlierResult:
    """Fit a line to the data with the outlier's target set to ``outlier_y`` and its loss
    multiplied by ``outlier_weight``, under each of the three losses (Huber with ``delta``)."""
    x, y0, k = outlier_data()
    y = y0.copy()
    y[k] = float(outlier_y)
    counts = np.ones_like(x)
    counts[k] = float(outlier_weight)
    fits = {}
    for name in LOSS_NAMES:
        w, b = fit_line(x, y, counts, name, delta)
        losses = weighted_losses(x, y, w, b, name, delta)
        weighted = counts * losses
        total = float(weighted.sum())
        shares = weighted / total if total > 0 else np.zeros_like(weighted)
        fits[name] = LineFit(name, w, b, losses, cost(weighted), shares)
    fits_text = "; ".join(
        f"{LOSS_LABELS[n]}: ŷ = {f.w:.2f}x {'+' if f.b >= 0 else '−'} {abs(f.b):.2f}, "
        f"cost J = {f.cost:.3g}, outlier's share {100 * f.shares[k]:.0f} %"
        for n, f in fits.items())
    clean = y0[k]
    headline = f"outlier at y = {outlier_y:g}, counts ×{outlier_weight:g}, Huber δ = {delta:g}"
    if outlier_weight == 0:
        note = ("The outlier counts ×0: it adds nothing to any cost, so all three lines fit "
                "the other 11 points and ignore it.")
    else:
        moved = {n: abs(f.w - 2.0) for n, f in fits.items()}
        note = (f"The outlier sits {outlier_y - clean:+.1f} from its original target. "
                f"Slope change from the true 2: squared {moved['squared']:.2f}, absolute "
                f"{moved['absolute']:.2f}, Huber {moved['huber']:.2f}.")
    return OutlierResult(float(outlier_y), float(outlier_weight), float(delta), x, y, k, counts,
                         fits, headline, f"{note} {fits_text}.")


class OutlierView:
    """Left: the data and the three fitted lines. Right: each example's share of each cost."""

    def __init__(self, fig: Figure) -> None:
        fig.set_layout_engine(None)
        grid = fig.add_gridspec(1, 2, left=0.07, right=0.985, bottom=0.13, top=0.8,
                                wspace=0.2, width_ratios=[1, 1.15])
        ax, bars = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        self.ax, self.ax_bars = ax, bars
        x, y, k = outlier_data()
        others = np.arange(x.size) != k
        ax.scatter(x[others], y[others], s=22, color=PALETTE["black"], zorder=3, label="data")
        ax.plot([x[k]], [y[k]], marker="o", mfc="none", mec="0.55", ms=7, ls="none",
                label="outlier's original place")
        (self.outlier,) = ax.plot([], [], marker="D", ms=8, color=PALETTE["vermillion"],
                                  ls="none", zorder=4, label="outlier")
        xs = np.array([-0.2, 5.2])
        self.xs = xs
        self.lines = {}
        for name, style in zip(LOSS_NAMES, ("-", "--", ":"), strict=True):
            (self.lines[name],) = ax.plot([], [], color=LOSS_COLORS[name], lw=2.2, ls=style,
                                          label=LOSS_LABELS[name])
        ax.set(xlim=(-0.2, 5.2), ylim=(OUTLIER_RANGE[0] - 2, OUTLIER_RANGE[1] + 2))
        ax.set_xlabel("x", labelpad=1)
        ax.set_ylabel("y")
        ax.legend(loc="upper left", fontsize=7.5, frameon=False)
        self.costs = {name: fig.text(0.17 + 0.33 * i, 0.9, "", ha="center", va="top",
                                     fontsize=8.5, color=LOSS_COLORS[name])
                      for i, name in enumerate(LOSS_NAMES)}
        positions = np.arange(x.size)
        width = 0.28
        self.bars = {}
        for i, name in enumerate(LOSS_NAMES):
            container = bars.bar(positions + (i - 1) * width, np.zeros(x.size), width,
                                 color=LOSS_COLORS[name], label=LOSS_LABELS[name])
            self.bars[name] = list(container.patches)
        bars.set_xticks(positions, [str(i + 1) if i != k else "outlier"
                                    for i in range(x.size)], fontsize=7.5)
        bars.set(ylim=(0, 1), xlim=(-0.6, x.size - 0.4))
        bars.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25 %", "50 %", "75 %", "100 %"])
        bars.set_xlabel("example (in order of x)", labelpad=1)
        bars.legend(loc="upper left", fontsize=7.5, frameon=False)
        share = "$c_i L_i \\,/\\, \\Sigma_j\\, c_j L_j$"
        bars.text(0.0, 1.02, f"each example's share of its fit's cost, {share}",
                  transform=bars.transAxes, fontsize=9)
        ax.text(0.0, 1.02, "fits $\\hat y = wx + b$ minimizing each cost", transform=ax.transAxes,
                fontsize=9)
        self.headline = fig.text(0.5, 0.975, "", ha="center", va="top", fontsize=9.5)
        self.dynamic_artists = [self.outlier, *self.lines.values(), *self.costs.values(),
                                self.headline, *[p for ps in self.bars.values() for p in ps]]

    def update(self, r: OutlierResult) -> None:
        k = r.outlier
        self.outlier.set_data([r.x[k]], [r.y[k]])
        self.outlier.set_markersize(4 + 1.6 * np.sqrt(r.outlier_weight) * 2)
        for name, f in r.fits.items():
            self.lines[name].set_data(self.xs, f.w * self.xs + f.b)
            self.costs[name].set_text(f"{LOSS_LABELS[name].split()[0]}: w = {f.w:.2f}, "
                                      f"b = {f.b:.2f}, J = {f.cost:.3g}")
            for patch, share in zip(self.bars[name], f.shares, strict=True):
                patch.set_height(share)
        self.headline.set_text(r.headline)


OUTLIER_FIGSIZE = (9.0, 4.0)


def outlier_explorer(outlier_y: float = 25.0, outlier_weight: float = 1.0,
                     delta: float = 1.0) -> Explorer:
    """Move one point's target and how much it counts; watch the squared-error, absolute-error
    and Huber fits and each example's share of each cost."""
    controls = {
        "outlier_y": widgets.FloatSlider(value=outlier_y, min=OUTLIER_RANGE[0],
                                         max=OUTLIER_RANGE[1], step=0.5,
                                         description="outlier y"),
        "outlier_weight": widgets.FloatSlider(value=outlier_weight, min=WEIGHT_RANGE[0],
                                              max=WEIGHT_RANGE[1], step=0.5,
                                              description="counts ×"),
        "delta": widgets.FloatSlider(value=delta, min=DELTA_RANGE[0], max=DELTA_RANGE[1],
                                     step=0.25, description="Huber δ"),
    }
    return Explorer("Outlier explorer", controls, compute_outlier, OutlierView,
                    figsize=OUTLIER_FIGSIZE)


#: The outlier targets of the chapter's twin.
OUTLIER_TWIN_VALUES = tuple(np.arange(-10.0, 30.1, 5.0))


def outlier_twin(values: Sequence[float] | None = None, **fixed: Any) -> HTML:
    """Static twin of :func:`outlier_explorer`: the outlier's target swept from −10 to 30."""
    values = list(OUTLIER_TWIN_VALUES if values is None else values)
    settings = {"outlier_weight": 1.0, "delta": 1.0, **fixed}
    alt = (f"Animation, {len(values)} frames: one point's target moves from {values[0]:g} to "
           f"{values[-1]:g}. Left, twelve points and three fitted lines: the squared-error "
           "line tilts towards the outlier, the absolute-error and Huber lines barely move. "
           "Right, bars show each example's share of each cost; under squared error the "
           "outlier's share grows to most of the cost.")
    return static_twin(compute_outlier, OutlierView, "outlier_y", values,
                       figsize=OUTLIER_FIGSIZE, interval_ms=500, alt=alt, **settings)


#: The website's twins are 7.9 inches wide, not 9: shown in the 688 px text column, their
#: 7.5-point labels stay at least 9 CSS pixels tall.
TWIN_FIGSIZE = (7.9, OUTLIER_FIGSIZE[1])

#: The website's outlier twin: the outlier's target (8.5 is its original place), how much it
#: counts (the absolute-error line jumps between 3.80 and 3.81 with the outlier at 25) and
#: Huber's δ.
OUTLIER_TWIN_GRID = TwinGrid(
    {"outlier_y": (-10.0, 8.5, 15.0, 25.0, 30.0),
     "outlier_weight": (0.0, 1.0, 2.0, 3.0, 3.8, 3.85, 4.0, 10.0),
     "delta": (0.25, 1.0, 5.0, 20.0)},
    figsize=TWIN_FIGSIZE,
    alt="Left, twelve points near the line y = 2x + 1, one of them (the outlier, a diamond "
        "that grows with how much it counts) moved, and the lines fitted by squared error, "
        "absolute error and Huber, whose slopes, intercepts and costs are written above. Right, "
        "bars with each example's share of each fit's cost.")

OUTLIER_SPEC = ExplorerSpec("outlier", 3, outlier_explorer, compute_outlier, OutlierView,
                            outlier_twin, sweep="outlier_y", values=OUTLIER_TWIN_VALUES,
                            grid=OUTLIER_TWIN_GRID)
