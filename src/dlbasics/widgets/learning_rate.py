"""Learning-rate explorer (chapter 5): one optimizer on a 2-D landscape, the learning rate on a
log scale from far too small to past divergence, with the regime named on the plot.

The regime is measured on the run, by how close it ends to the minimum and whether its steps
turn back (:func:`dlbasics.landscapes.classify_run` states the rule). The explorer keeps its own
:class:`~dlbasics.widgets.descent.DescentCache`.
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
from matplotlib.ticker import MaxNLocator

from ..landscapes import (
    LANDSCAPES,
    DescentPath,
    classify_run,
    get_landscape,
    run_measures,
)
from ..plotting import PALETTE
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .descent import (
    MAX_STEPS,
    OPTIMIZER_NAMES,
    WARNING_REGIMES,
    ContourPanel,
    DescentCache,
    cost_gap,
    gap_limits,
    light_log_axis,
    optimizer_kwargs,
)
from .twin_grid import TwinGrid


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



class LearningRateView:
    """Left: the path on the contours. Right: the cost gap per step, log scale."""

    def __init__(self, fig: Figure, cache: DescentCache | None = None) -> None:
        self.cache = cache or DescentCache()
        self.ax_path, self.ax_cost = fig.subplots(1, 2, width_ratios=[1.1, 1])
        self.contour = ContourPanel(self.ax_path, self.cache)
        self.ax_path.xaxis.set_major_locator(MaxNLocator(5))
        self.ax_path.yaxis.set_major_locator(MaxNLocator(5))
        (self.line,) = self.ax_path.plot([], [], "-o", ms=2.5, lw=1.2,
                                         color=PALETTE["vermillion"], zorder=3)
        (self.start,) = self.ax_path.plot([], [], "o", ms=8, color="black", zorder=5)
        (self.cost,) = self.ax_cost.semilogy([], [], color=PALETTE["vermillion"], lw=1.8)
        self.ax_cost.set(xlabel="step", ylabel="$J - J_{\\min}$ (log scale)")
        self.ax_cost.grid(alpha=0.3)
        light_log_axis(self.ax_cost)
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
        low, high = gap_limits(float(r.gap[0]))
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
    the cost's contours, the cost per step, and the regime (μ is greyed out for the optimizers
    that have none). ``explorer.cache`` holds the landscapes, contour grids and computed
    paths."""
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
                    partial(LearningRateView, cache=cache), cache=cache, figsize=LR_FIGSIZE,
                    inactive=_inactive)


def _inactive(values: dict[str, Any]) -> set[str]:
    """μ (or β₁) acts on SGD with momentum and Adam only: greyed out for the others."""
    return set() if values["optimizer"] in ("momentum", "adam") else {"momentum"}


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


#: The website's twin: the landscape (all but the saddle), the optimizer and the learning rate,
#: with μ = β₁ = 0.9 and 200 steps. The rates cross every regime of plain gradient descent on
#: the line fit (1/λmax ≈ 0.051, η* ≈ 0.099, 2/λmax ≈ 0.102) and its edge on the Rosenbrock
#: ravine (0.0056 converges, 0.0063 diverges).
TWIN_GRID = TwinGrid(
    {"landscape": ("line_fit", "bowl", "rosenbrock"), "optimizer": OPTIMIZER_NAMES,
     "lr": (0.0056, 0.0063, 0.01, 0.03, 0.05, 0.09, 0.1, 0.101, 0.11, 0.2)},
    fixed={"momentum": 0.9, "steps": 200}, figsize=LR_FIGSIZE,
    alt="Left: the path of one optimizer from a black start dot on the contour plot of a cost, "
        "with a banner naming the run's regime (too small, good, overshoots but converges, slow "
        "zig-zag or diverged). Right: its cost above the minimum per step, on a log scale.")

SPEC = ExplorerSpec("learning rate", 5, learning_rate_explorer, compute_learning_rate,
                    LearningRateView, learning_rate_twin, sweep="lr", grid=TWIN_GRID)
