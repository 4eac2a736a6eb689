"""Gradient descent on the 2-D landscapes, shared by two explorers of chapter 5: the
learning-rate explorer (:mod:`dlbasics.widgets.learning_rate`) and the optimizer race
(:mod:`dlbasics.widgets.race`). The batch-size explorer is :mod:`dlbasics.widgets.batch_size`.

Each explorer keeps its own :class:`DescentCache`: contour grids are computed once per
landscape, and paths are computed once for the longest run and then cut to the number of
steps asked for. :class:`ContourPanel` draws a landscape's contours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..landscapes import (
    DescentPath,
    Landscape,
    descend,
    get_landscape,
)
from ..plotting import PALETTE
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




def _contour_levels(land: Landscape, J: np.ndarray) -> np.ndarray:
    top = float(np.nanmax(J)) - land.minimum
    return land.minimum + np.geomspace(top * 1e-4, top, 16)


class ContourPanel:
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


def light_log_axis(ax: Axes) -> None:
    """A log y-axis with a few plain tick labels: text is most of a figure's drawing time."""
    ax.yaxis.set_major_locator(LogLocator(numticks=5))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(math.log10(v)):d}"))
    ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))


def gap_limits(gap0: float) -> tuple[float, float]:
    return (max(gap0 * 1e-12, FLOOR * 10), gap0 * 1e4)
