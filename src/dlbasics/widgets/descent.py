"""Gradient-descent explorers (chapter 5): the learning rate, an optimizer race, the batch size.

* :func:`learning_rate_explorer`: one optimizer on a 2-D landscape; the learning rate on a log
  scale from far too small to past divergence, with the regime named on the plot. The regime
  is measured on the run, by how close it ends to the minimum and whether its steps turn back
  (:func:`dlbasics.landscapes.classify_run` states the rule).
* :func:`race_explorer`: SGD, momentum, RMSProp and Adam from the same start.
* :func:`batch_explorer`: mini-batch gradient descent on a line fit, from one example per step
  to the whole set, with the spread of the mini-batch gradients.

Each has a pure ``compute_*`` function (tested directly), a view that redraws a reused figure
and a static twin for the book. Every explorer keeps its own :class:`DescentCache`: contour
grids are computed once per landscape, and paths are computed once for the longest run and
then cut to the number of steps asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..landscapes import (
    LANDSCAPES,
    DescentPath,
    Landscape,
    classify_run,
    descend,
    get_landscape,
    run_measures,
)
from ..minibatch import BATCH_N, BATCH_START, batch_data, gradient_spread, run_batch_gd
from ..plotting import OPTIMIZER_COLORS, PALETTE
from ..training import History
from ._base import Explorer, static_twin
from ._cache import LRU

OPTIMIZER_NAMES = ("sgd", "momentum", "rmsprop", "adam")
#: Regimes drawn in the warning colour: the run blew up, or it bounces without getting close.
WARNING_REGIMES = ("slow zig-zag", "diverged")
MAX_STEPS = 300
RACE_MAX_STEPS = 300
CACHE_SIZE = 64
FLOOR = 1e-16  # cost gaps are drawn on a log axis: exact zeros are shown at this level


# --- the cache ------------------------------------------------------------------------------
class DescentCache:
    """Landscapes, contour grids and paths, kept by one explorer.

    ``paths`` are computed for the longest run (``max_steps``) and cut to the steps asked for,
    so moving the steps slider costs nothing. ``n_paths`` counts the paths actually computed.
    """

    def __init__(self, max_steps: int = MAX_STEPS, maxsize: int = CACHE_SIZE) -> None:
        self.max_steps = max_steps
        self._landscapes: dict[str, Landscape] = {}
        self._grids: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._paths: LRU[DescentPath] = LRU(maxsize)

    @property
    def n_paths(self) -> int:
        return self._paths.computed

    def landscape(self, name: str) -> Landscape:
        if name not in self._landscapes:
            self._landscapes[name] = get_landscape(name)
        return self._landscapes[name]

    def grid(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The contour grid of a landscape, computed once."""
        if name not in self._grids:
            self._grids[name] = self.landscape(name).grid()
        return self._grids[name]

    def path(self, name: str, optimizer: str, lr: float, steps: int,
             **kwargs: Any) -> DescentPath:
        """The first ``steps`` steps of the cached ``max_steps`` run."""
        key = (name, optimizer, round(float(lr), 12),
               tuple(sorted((k, round(float(v), 9) if isinstance(v, (int, float)) else tuple(v))
                            for k, v in kwargs.items())))
        full = self._paths.get_or_compute(key, lambda: descend(
            self.landscape(name), optimizer, lr, self.max_steps, **kwargs))
        k = min(int(steps), full.steps_taken)
        diverged = full.diverged and full.steps_taken <= steps
        return DescentPath(full.points[: k + 1], full.costs[: k + 1], diverged, int(steps))


def optimizer_kwargs(optimizer: str, momentum: float = 0.9, beta2: float = 0.999) -> dict:
    """The settings an explorer passes to :func:`dlbasics.optim.get_optimizer`.

    ``momentum`` is the momentum μ of SGD with momentum and Adam's β₁; ``beta2`` is Adam's β₂
    and RMSProp's decay α (both average squared gradients).
    """
    if optimizer == "momentum":
        return {"momentum": float(momentum)}
    if optimizer == "rmsprop":
        return {"alpha": float(beta2)}
    if optimizer == "adam":
        return {"betas": (float(momentum), float(beta2))}
    return {}


def cost_gap(landscape: Landscape, costs: np.ndarray) -> np.ndarray:
    """``J − J_min`` along a path, floored at :data:`FLOOR` for a log axis."""
    return np.maximum(np.asarray(costs) - landscape.minimum, FLOOR)


# --- the learning-rate explorer -----------------------------------------------------------------
@dataclass(frozen=True)
class LearningRateResult:
    """One run of the learning-rate explorer."""

    landscape: str
    optimizer: str
    lr: float
    momentum: float
    steps: int
    path: DescentPath
    gap: np.ndarray  # J − J_min at each point (floored)
    regime: str  # one of dlbasics.landscapes.REGIMES
    progress: float  # (J − J_min) at the end over (J − J_min) at the start: 0 is the minimum
    turn_backs: int  # steps that reverse the previous one (see run_measures)
    thresholds: tuple[float, float] | None  # (1/λmax, 2/λmax) for plain GD on a quadratic
    message: str


_REGIME_TEXT = {
    "too small": "Too small: after {steps} steps J − J_min = {gap:.3g} is still {q:.1e} of "
                 "its start ({gap0:.3g}); the run is on its way but not there yet.",
    "good": "Good: J − J_min fell from {gap0:.3g} to {gap:.3g} ({q:.1e} of its start) in "
            "{steps} steps, and no step turned back.",
    "overshoots but converges": "Overshoots but converges: {turns} of the {steps} steps "
                                "turned back (the path overshoots and zig-zags), yet J − J_min "
                                "fell from {gap0:.3g} to {gap:.3g} ({q:.1e} of its start). "
                                "Overshooting is harmless as long as it dies out.",
    "slow zig-zag": "Slow zig-zag: {turns} of the {steps} steps turned back and J − J_min is "
                    "still {q:.1e} of its start ({gap0:.3g} to {gap:.3g}): the steps bounce "
                    "across the valley and hardly get closer.",
    "diverged": "Diverged: the cost grew from {gap0:.3g} to {gap:.3g} above its minimum in "
                "{steps} steps.",
}


def compute_learning_rate(lr: float = 0.03, optimizer: str = "sgd", momentum: float = 0.9,
                          steps: int = 200, landscape: str = "line_fit", *,
                          cache: DescentCache | None = None) -> LearningRateResult:
    """Run ``optimizer`` with learning rate ``lr`` for ``steps`` steps on ``landscape`` and name
    the regime (``dlbasics.landscapes.classify_run`` states the rule). ``momentum``
    is μ for ``"momentum"`` and β₁ for ``"adam"``."""
    cache = cache or DescentCache()
    land = cache.landscape(landscape)
    path = cache.path(landscape, optimizer, lr, steps, **optimizer_kwargs(optimizer, momentum))
    regime = classify_run(land, path)
    progress, turns, _ = run_measures(land, path)
    thresholds = None
    lam = land.curvatures()
    parts = []
    if path.diverged:
        parts.append(f"Diverged: stopped after {path.steps_taken} of {steps} steps, when the "
                     "cost or a coordinate became huge.")
    else:
        gap0, gap = path.costs[0] - land.minimum, path.costs[-1] - land.minimum
        parts.append(_REGIME_TEXT[regime].format(steps=steps, gap0=gap0, gap=max(gap, 0.0),
                                                 q=progress, turns=turns))
        if regime == "too small" and turns:
            parts.append(f"{turns} of its steps turned back: it overshoots now and then, "
                         "but most steps keep their direction.")
    if lam is not None:
        thresholds = (1.0 / lam[-1], 2.0 / lam[-1])
        if optimizer == "sgd":
            eta_star = 2.0 / (lam[0] + lam[-1])
            parts.append(f"On this quadratic λmin = {lam[0]:.3g} and λmax = {lam[-1]:.3g} "
                         f"(κ = {lam[-1] / lam[0]:.3g}): plain gradient descent overshoots in "
                         f"the steepest direction for η > 1/λmax = {thresholds[0]:.3g}, is "
                         f"fastest near η* = 2/(λmin + λmax) = {eta_star:.3g} and diverges "
                         f"for η > 2/λmax = {thresholds[1]:.3g}.")
        elif regime != "diverged":
            parts.append(f"For plain gradient descent this quadratic's thresholds are "
                         f"1/λmax = {thresholds[0]:.3g} and 2/λmax = {thresholds[1]:.3g}; "
                         f"{optimizer} moves differently.")
    return LearningRateResult(landscape, optimizer, float(lr), float(momentum), int(steps), path,
                              cost_gap(land, path.costs), regime, progress, turns, thresholds,
                              " ".join(parts))


def _contour_levels(land: Landscape, J: np.ndarray) -> np.ndarray:
    top = float(np.nanmax(J)) - land.minimum
    return land.minimum + np.geomspace(top * 1e-4, top, 16)


class _ContourPanel:
    """A landscape's contours (redrawn only when the landscape changes) and its minimum."""

    def __init__(self, ax: Axes, cache: DescentCache) -> None:
        self.ax, self.cache = ax, cache
        self.name: str | None = None
        self.contours: Any = None
        (self.best,) = ax.plot([], [], "*", ms=13, color=PALETTE["yellow"], mec="black",
                               zorder=4, label="minimum")

    def show(self, name: str) -> Landscape:
        land = self.cache.landscape(name)
        if name != self.name:
            if self.contours is not None:
                self.contours.remove()
            P1, P2, J = self.cache.grid(name)
            self.contours = self.ax.contour(P1, P2, J, levels=_contour_levels(land, J),
                                            cmap="cividis", linewidths=0.8, zorder=1)
            self.best.set_data([land.argmin[0]], [land.argmin[1]])
            (x0, x1), (y0, y1) = land.limits
            self.ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel=land.labels[0],
                        ylabel=land.labels[1])
            self.name = name
        return land


def _light_log_axis(ax: Axes) -> None:
    """A log y-axis with a few plain tick labels: text is most of a figure's drawing time."""
    ax.yaxis.set_major_locator(LogLocator(numticks=5))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(math.log10(v)):d}"))
    ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))


def _gap_limits(gap0: float) -> tuple[float, float]:
    return (max(gap0 * 1e-12, FLOOR * 10), gap0 * 1e4)


class LearningRateView:
    """Left: the path on the contours. Right: the cost gap per step, log scale."""

    def __init__(self, fig: Figure, cache: DescentCache | None = None) -> None:
        self.cache = cache or DescentCache()
        self.ax_path, self.ax_cost = fig.subplots(1, 2, width_ratios=[1.1, 1])
        self.contour = _ContourPanel(self.ax_path, self.cache)
        self.ax_path.xaxis.set_major_locator(MaxNLocator(5))
        self.ax_path.yaxis.set_major_locator(MaxNLocator(5))
        (self.line,) = self.ax_path.plot([], [], "-o", ms=2.5, lw=1.2,
                                         color=PALETTE["vermillion"], zorder=3)
        (self.start,) = self.ax_path.plot([], [], "o", ms=8, color="black", zorder=5)
        (self.cost,) = self.ax_cost.semilogy([], [], color=PALETTE["vermillion"], lw=1.8)
        self.ax_cost.set(xlabel="step", ylabel="$J - J_{\\min}$ (log scale)")
        self.ax_cost.grid(alpha=0.3)
        _light_log_axis(self.ax_cost)
        self.banner = self.ax_path.text(0.5, 0.04, "", transform=self.ax_path.transAxes,
                                        ha="center", va="bottom", fontsize=11, weight="bold",
                                        color=PALETTE["vermillion"], zorder=6,
                                        bbox=dict(fc="white", ec="none", alpha=0.85))
        self.ax_path.set_title(" ", fontsize=10)
        self.ax_cost.set_title(" ", fontsize=10)
        self.dynamic_artists = [self.line, self.start, self.cost, self.banner,
                                self.ax_path.title, self.ax_cost.title]

    @staticmethod
    def static_key(r: LearningRateResult) -> str:
        """Only a new landscape redraws the contours and axes (the step axis is fixed)."""
        return r.landscape

    def update(self, r: LearningRateResult) -> None:
        land = self.contour.show(r.landscape)
        pts = r.path.points
        self.line.set_data(pts[:, 0], pts[:, 1])
        self.start.set_data([pts[0, 0]], [pts[0, 1]])
        low, high = _gap_limits(float(r.gap[0]))
        self.cost.set_data(np.arange(len(r.gap)), np.clip(r.gap, low, high))
        self.ax_cost.set(xlim=(0, MAX_STEPS), ylim=(low, high))
        self.ax_path.set_title(f"{land.title}: {r.optimizer}, η = {r.lr:.3g}")
        self.ax_cost.set_title(f"regime: {r.regime}")
        k = r.path.steps_taken
        text = {"diverged": f"DIVERGED after {k} step{'s' * (k != 1)}",
                "slow zig-zag": "SLOW ZIG-ZAG: barely getting closer",
                "overshoots but converges": "OVERSHOOTS BUT CONVERGES",
                "too small": "TOO SMALL: not there yet", "good": "GOOD"}[r.regime]
        self.banner.set_text(text)
        self.banner.set_color(PALETTE["vermillion"] if r.regime in WARNING_REGIMES
                              else "black")


LR_FIGSIZE = (9.0, 4.0)


def learning_rate_explorer(lr: float = 0.03, optimizer: str = "sgd", momentum: float = 0.9,
                           steps: int = 200, landscape: str = "line_fit") -> Explorer:
    """The learning rate on a log scale, from far too small to past divergence: the path on
    the cost's contours, the cost per step, and the regime. ``explorer.cache`` holds the
    landscapes, contour grids and computed paths."""
    cache = DescentCache(MAX_STEPS)
    controls = {
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05,
                                     description="learning rate η", readout_format=".2e"),
        "optimizer": widgets.Dropdown(options=OPTIMIZER_NAMES, value=optimizer,
                                      description="optimizer"),
        "momentum": widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                        description="μ (or β₁)", readout_format=".2f"),
        "steps": widgets.IntSlider(value=steps, min=10, max=MAX_STEPS, step=10,
                                   description="steps"),
        "landscape": widgets.Dropdown(options=LANDSCAPES, value=landscape,
                                      description="landscape"),
    }
    return Explorer("Learning-rate explorer", controls,
                    partial(compute_learning_rate, cache=cache),
                    partial(LearningRateView, cache=cache), cache=cache, figsize=LR_FIGSIZE)


def regime_learning_rates(landscape: str = "line_fit") -> list[float]:
    """Learning rates that cross every regime of plain gradient descent in 200 steps on a
    quadratic landscape: from 1/100 of 1/λmax up to just past 2/λmax (on the line fit: too
    small, too small, good, overshoots but converges twice, slow zig-zag, diverged twice)."""
    lam = get_landscape(landscape).curvatures()
    if lam is None:
        raise ValueError(f"landscape {landscape!r} is not quadratic; pass the values yourself")
    factors = [0.01, 0.1, 0.9, 1.3, 1.9, 1.99, 2.05, 2.5]
    return [float(f"{f / lam[-1]:.3g}") for f in factors]


def learning_rate_twin(sweep: str = "lr", values: Sequence[Any] | None = None,
                       **fixed: Any) -> HTML:
    """Static twin of :func:`learning_rate_explorer`: by default plain gradient descent on the
    line fit, its learning rate swept from far too small to past divergence."""
    settings: dict[str, Any] = {"lr": 0.03, "optimizer": "sgd", "momentum": 0.9, "steps": 200,
                                "landscape": "line_fit"}
    settings.update(fixed)
    if values is None:
        values = (regime_learning_rates(settings["landscape"]) if sweep == "lr"
                  else OPTIMIZER_NAMES if sweep == "optimizer" else LANDSCAPES)
    settings.pop(sweep, None)
    cache = DescentCache(MAX_STEPS)
    alt = (f"Animation, {len(values)} frames: gradient descent on the contour plot of a cost "
           f"(left) and its cost per step on a log scale (right), as {sweep} goes from "
           f"{values[0]} to {values[-1]}; each frame names its regime: too small, good, "
           "overshoots but converges, slow zig-zag or diverged.")
    return static_twin(partial(compute_learning_rate, cache=cache),
                       partial(LearningRateView, cache=cache), sweep, list(values),
                       figsize=LR_FIGSIZE, interval_ms=1200, alt=alt, **settings)


# --- the optimizer race ----------------------------------------------------------------------
#: Learning rates that suit each landscape: (plain and momentum SGD, RMSProp and Adam).
RACE_DEFAULTS = {"line_fit": (0.03, 0.05), "bowl": (0.04, 0.05), "rosenbrock": (0.001, 0.02),
                 "saddle": (0.05, 0.02)}


@dataclass(frozen=True)
class RaceResult:
    """Four optimizers from the same start on one landscape."""

    landscape: str
    lr_sgd: float
    lr_adaptive: float
    beta1: float
    beta2: float
    steps: int
    paths: dict[str, DescentPath]
    gaps: dict[str, np.ndarray]
    message: str


def compute_race(landscape: str = "rosenbrock", lr_sgd: float | None = None,
                 lr_adaptive: float | None = None, beta1: float = 0.9, beta2: float = 0.999,
                 steps: int = 200, *, cache: DescentCache | None = None) -> RaceResult:
    """SGD and SGD with momentum (learning rate ``lr_sgd``), RMSProp and Adam (``lr_adaptive``)
    from the landscape's start. ``beta1`` is the momentum μ and Adam's β₁; ``beta2`` is Adam's
    β₂ and RMSProp's α. ``None`` learning rates take ``RACE_DEFAULTS`` (in
    ``dlbasics.widgets.descent``)."""
    cache = cache or DescentCache(RACE_MAX_STEPS)
    land = cache.landscape(landscape)
    default_sgd, default_adaptive = RACE_DEFAULTS[landscape]
    lr_sgd = default_sgd if lr_sgd is None else float(lr_sgd)
    lr_adaptive = default_adaptive if lr_adaptive is None else float(lr_adaptive)
    paths, gaps, lines = {}, {}, []
    for name in OPTIMIZER_NAMES:
        lr = lr_sgd if name in ("sgd", "momentum") else lr_adaptive
        path = cache.path(landscape, name, lr, steps, **optimizer_kwargs(name, beta1, beta2))
        paths[name], gaps[name] = path, cost_gap(land, path.costs)
        if path.diverged:
            lines.append(f"{name}: diverged at step {path.steps_taken + 1}")
        else:
            lines.append(f"{name}: J − J_min = {max(path.costs[-1] - land.minimum, 0.0):.2g}")
    message = (f"After {steps} steps on the {land.title} — " + "; ".join(lines) + ".")
    return RaceResult(landscape, lr_sgd, lr_adaptive, float(beta1), float(beta2), int(steps),
                      paths, gaps, message)


class RaceView:
    """Left: four paths on the contours. Right: their cost gaps per step."""

    def __init__(self, fig: Figure, cache: DescentCache | None = None) -> None:
        self.cache = cache or DescentCache(RACE_MAX_STEPS)
        self.ax_path, self.ax_cost = fig.subplots(1, 2, width_ratios=[1.1, 1])
        self.contour = _ContourPanel(self.ax_path, self.cache)
        self.ax_path.xaxis.set_major_locator(MaxNLocator(5))
        self.ax_path.yaxis.set_major_locator(MaxNLocator(5))
        self.lines, self.costs, self.ends = {}, {}, {}
        for name in OPTIMIZER_NAMES:
            color = OPTIMIZER_COLORS[name]
            (self.lines[name],) = self.ax_path.plot([], [], "-", lw=1.6, color=color, zorder=3)
            (self.ends[name],) = self.ax_path.plot([], [], "o", ms=6, color=color, mec="black",
                                                   zorder=5)
            (self.costs[name],) = self.ax_cost.semilogy([], [], lw=1.8, color=color, label=name)
        (self.start,) = self.ax_path.plot([], [], "o", ms=8, color="black", zorder=5)
        self.ax_cost.set(xlabel="step", ylabel="$J - J_{\\min}$ (log scale)")
        self.ax_cost.grid(alpha=0.3)
        _light_log_axis(self.ax_cost)
        self.ax_cost.legend(loc="lower left", fontsize=8, framealpha=0.9)
        self.ax_path.set_title(" ", fontsize=10)
        self.dynamic_artists = [*self.lines.values(), *self.ends.values(), *self.costs.values(),
                                self.start, self.ax_path.title]

    @staticmethod
    def static_key(r: RaceResult) -> str:
        """Only a new landscape redraws the contours and axes (the step axis is fixed)."""
        return r.landscape

    def update(self, r: RaceResult) -> None:
        land = self.contour.show(r.landscape)
        gap0 = float(next(iter(r.gaps.values()))[0])
        low, high = _gap_limits(gap0)
        for name in OPTIMIZER_NAMES:
            pts = r.paths[name].points
            self.lines[name].set_data(pts[:, 0], pts[:, 1])
            self.ends[name].set_data([pts[-1, 0]], [pts[-1, 1]])
            self.costs[name].set_data(np.arange(len(pts)), np.clip(r.gaps[name], low, high))
        first = next(iter(r.paths.values())).points[0]
        self.start.set_data([first[0]], [first[1]])
        self.ax_cost.set(xlim=(0, RACE_MAX_STEPS), ylim=(low, high))
        self.ax_path.set_title(f"{land.title}: η = {r.lr_sgd:.2g} (SGD), "
                               f"{r.lr_adaptive:.2g} (adaptive)")


RACE_FIGSIZE = (9.0, 4.0)


def race_explorer(landscape: str = "rosenbrock", lr_sgd: float = 0.001,
                  lr_adaptive: float = 0.02, beta1: float = 0.9, beta2: float = 0.999,
                  steps: int = 200) -> Explorer:
    """SGD, momentum, RMSProp and Adam from the same start on a chosen landscape, side by
    side. ``explorer.cache`` holds the landscapes, contour grids and paths."""
    cache = DescentCache(RACE_MAX_STEPS)
    log = dict(base=10, step=0.05, readout_format=".1e")
    controls = {
        "landscape": widgets.Dropdown(options=LANDSCAPES, value=landscape,
                                      description="landscape"),
        "lr_sgd": widgets.FloatLogSlider(value=lr_sgd, min=-4, max=0, description="η SGD",
                                         **log),
        "lr_adaptive": widgets.FloatLogSlider(value=lr_adaptive, min=-3, max=0,
                                              description="η adaptive", **log),
        "beta1": widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01,
                                     description="μ = β₁", readout_format=".2f"),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001,
                                     description="β₂ = α", readout_format=".3f"),
        "steps": widgets.IntSlider(value=steps, min=10, max=RACE_MAX_STEPS, step=10,
                                   description="steps"),
    }
    return Explorer("Optimizer race", controls, partial(compute_race, cache=cache),
                    partial(RaceView, cache=cache), cache=cache, figsize=RACE_FIGSIZE)


def race_twin(sweep: str = "landscape", values: Sequence[Any] | None = None,
              **fixed: Any) -> HTML:
    """Static twin of :func:`race_explorer`: by default every landscape, each with the
    learning rates of ``RACE_DEFAULTS`` (in ``dlbasics.widgets.descent``)."""
    settings: dict[str, Any] = {"landscape": "rosenbrock", "lr_sgd": None, "lr_adaptive": None,
                                "beta1": 0.9, "beta2": 0.999, "steps": 200}
    settings.update(fixed)
    if values is None:
        values = LANDSCAPES if sweep == "landscape" else [0.0, 0.5, 0.8, 0.9, 0.95, 0.99]
    settings.pop(sweep, None)
    cache = DescentCache(RACE_MAX_STEPS)
    alt = (f"Animation, {len(values)} frames: the paths of SGD (blue), momentum (orange), "
           "RMSProp (green) and Adam (purple) from one start on a contour plot (left) and their "
           f"cost per step on a log scale (right), as {sweep} goes from {values[0]} to "
           f"{values[-1]}.")
    return static_twin(partial(compute_race, cache=cache), partial(RaceView, cache=cache),
                       sweep, list(values), figsize=RACE_FIGSIZE, interval_ms=1500, alt=alt,
                       **settings)


# --- the batch-size explorer -----------------------------------------------------------------
SPREAD_SIZES = (1, 2, 4, 8, 16, 32, 64)
MAX_EPOCHS = 30


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
                f"{per_epoch * epochs} updates in {epochs} epochs; final epoch cost "
                f"{h.cost[-1]:.3g} (batch gradient descent: "
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
            _light_log_axis(ax)
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
        values = [1, 2, 4, 8, 16, 32, 64] if sweep == "batch_size" else [0.002, 0.01, 0.02, 0.05]
    settings.pop(sweep, None)
    cache = BatchCache()
    alt = (f"Animation, {len(values)} frames, as {sweep} goes from {values[0]} to {values[-1]}: "
           "the cost per epoch of mini-batch gradient descent against batch gradient descent "
           "(left), the cost of every mini-batch against the number of examples processed "
           "(middle), and how far mini-batch gradients fall from the full gradient for every "
           "batch size, with the current one ringed (right).")
    compute: Callable[..., BatchResult] = partial(compute_batch, cache=cache)
    return static_twin(compute, BatchView, sweep, list(values), figsize=BATCH_FIGSIZE,
                       interval_ms=1200, alt=alt, **settings)
