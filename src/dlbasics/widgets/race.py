"""Optimizer race (chapter 5): SGD, momentum, RMSProp and Adam from the same start on one
2-D landscape, side by side, with their costs per step. The explorer keeps its own
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
)
from ..plotting import OPTIMIZER_COLORS
from . import descent
from ._base import Explorer, static_twin
from ._spec import ExplorerSpec
from .descent import OPTIMIZER_NAMES, RACE_MAX_STEPS, DescentCache
from .twin_grid import TwinGrid

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
    ``dlbasics.widgets.race``)."""
    cache = cache or DescentCache(RACE_MAX_STEPS)
    land = cache.landscape(landscape)
    default_sgd, default_adaptive = RACE_DEFAULTS[landscape]
    lr_sgd = default_sgd if lr_sgd is None else float(lr_sgd)
    lr_adaptive = default_adaptive if lr_adaptive is None else float(lr_adaptive)
    paths, gaps, lines = {}, {}, []
    for name in OPTIMIZER_NAMES:
        lr = lr_sgd if name in ("sgd", "momentum") else lr_adaptive
        settings = descent.optimizer_kwargs(name, beta1, beta2)
        path = cache.path(landscape, name, lr, steps, **settings)
        paths[name], gaps[name] = path, descent.cost_gap(land, path.costs)
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
        self.contour = descent.ContourPanel(self.ax_path, self.cache)
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
        descent.light_log_axis(self.ax_cost)
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
        low, high = descent.gap_limits(gap0)
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
    learning rates of ``RACE_DEFAULTS`` (in ``dlbasics.widgets.race``)."""
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


#: The website's twin: the landscape, the learning rate of SGD and momentum (finely around
#: the Rosenbrock ravine's limits: momentum diverges from 0.0035, SGD from 0.0063) and μ = β₁,
#: with η = 0.05 for RMSProp and Adam, β₂ = α = 0.999 and 200 steps.
TWIN_GRID = TwinGrid(
    {"landscape": LANDSCAPES,
     "lr_sgd": (0.001, 0.002, 0.003, 0.0035, 0.0056, 0.0063, 0.01, 0.03, 0.05),
     "beta1": (0.0, 0.9, 0.99)},
    fixed={"lr_adaptive": 0.05, "beta2": 0.999, "steps": 200}, figsize=RACE_FIGSIZE,
    alt="Left: the paths of SGD (blue), momentum (orange), RMSProp (green) and Adam (purple) "
        "from one black start dot on the contour plot of a cost, each ending in a dot. Right: "
        "their costs above the minimum per step, on a log scale.")

SPEC = ExplorerSpec("optimizer race", 5, race_explorer, compute_race, RaceView, race_twin,
                    sweep="landscape", values=LANDSCAPES, grid=TWIN_GRID)
