"""The playground's pictures (chapter 8): decision regions, cost curves and layer health.

:func:`make_frame` turns a training run into plain, finite arrays (a :class:`Frame`);
:class:`PlaygroundView` draws frames on a reused figure (blitting its ``dynamic_artists``);
:func:`health_html` writes the health readout as an HTML table for the live panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..plotting import CLASS_COLORS, PALETTE
from .playground_core import Health, Run

GRID = 40  # boundary grid points per side: coarse and fast, smoothed when drawn
COST_LIMITS = (1e-4, 10.0)
#: The lengths of the step axis: it takes the first that holds the run. Growing it redraws the
#: axes (about 150 ms), so it starts long enough for most runs and grows rarely.
COST_STEPS = (500, 1000, 2000, 5000, 10_000, 20_000)
TRAIN_MARKER, TEST_MARKER = "o", "^"


# --- what is drawn -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """Everything the view draws for one moment of a run (plain arrays, always finite)."""

    image: np.ndarray  # (GRID, GRID, 3) RGB of the shaded decision regions
    extent: tuple[float, float, float, float]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_cost: np.ndarray
    test_cost: np.ndarray
    health: tuple[Health, ...]
    step: int
    diverged: bool
    title: str
    shape: str  # the layer widths, e.g. "2 → 8 → 8 → 3"
    ticks: bool  # number the data's axes (your own data, in its own units)
    health_step: int = 0  # the step the health readout was measured at (0: untrained)


def plot_limits(X: np.ndarray) -> tuple[float, float, float, float]:
    """Square-ish limits around the points with a 10 % margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.maximum(high - low, 1e-9)
    # rounded outward to a "nice" step, so small changes of the data keep the same axes
    unit = 10.0 ** np.floor(np.log10(np.maximum(high - low, 1e-9))) / 4
    low, high = np.floor((low - pad) / unit) * unit, np.ceil((high + pad) / unit) * unit
    return (float(low[0]), float(high[0]), float(low[1]), float(high[1]))


def region_image(probs: np.ndarray, n_classes: int) -> np.ndarray:
    """RGB of class probabilities ``(GRID*GRID, K)``: the classes' colours mixed by
    probability, faded to white where the network is unsure (all classes equally likely)."""
    colors = np.array([[int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
                       for c in CLASS_COLORS[:n_classes]])
    mix = probs @ colors
    confidence = (probs.max(axis=1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    alpha = (0.12 + 0.58 * np.clip(confidence, 0.0, 1.0))[:, None]
    rgb = 1.0 - alpha * (1.0 - mix)
    return np.clip(rgb, 0.0, 1.0).reshape(GRID, GRID, 3)


def make_frame(run: Run, grid: tuple[np.ndarray, tuple] | None = None) -> Frame:
    """Snapshot a run for drawing; costs are clipped to ``COST_LIMITS`` (never NaN)."""
    if grid is None:
        grid = boundary_grid(run)
    points, extent = grid
    image = region_image(run.probabilities(points), run.n_classes)
    low, high = COST_LIMITS

    def clip(values: list[float]) -> np.ndarray:
        a = np.asarray(values, dtype=float)
        return np.clip(np.nan_to_num(a, nan=high, posinf=high, neginf=low), low, high)

    acc = run.accuracy()
    title = f"step {run.step}: validation accuracy {acc:.0%}"
    if run.diverged:
        title = f"diverged at step {run.diverged_at}"
    return Frame(image, extent, run.X_train, run.y_train, run.X_test, run.y_test,
                 clip(run.history["train"]), clip(run.history["test"]), tuple(run.health),
                 run.step, run.diverged, title,
                 " → ".join(str(n) for n in [2, *(d.n_out for d in run.dense)]),
                 run.config["dataset"] == "custom", run.health_step)


def boundary_grid(run: Run) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The coarse grid of points where the boundary is evaluated, and its extent."""
    x0, x1, y0, y1 = plot_limits(run.X_all)
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    return np.column_stack([gx.ravel(), gy.ravel()]), (x0, x1, y0, y1)


def _cost(v: float) -> str:
    """A cost as drawn: clipped values at the top of the axis read "> 10"."""
    return f"> {COST_LIMITS[1]:g}" if v >= COST_LIMITS[1] else f"{v:.3g}"


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "–"
    if not math.isfinite(v):
        return "inf"
    return f"{v:.0%}" if pct else f"{v:.1e}"


class PlaygroundView:
    """The playground's figure: decision regions (left) and cost curves (right); with
    ``health=True`` (the offline twin) also the health of each layer (bottom right). The live
    panel shows the health as an HTML table instead: text is most of a figure's drawing time.
    ``dynamic_artists`` change every chunk; the axes are drawn again only when ``static_key``
    changes (new data limits, or a step axis that has to grow)."""

    def __init__(self, fig: Any, *, health: bool = False, fixed_steps: int | None = None) -> None:
        self.fixed_steps = fixed_steps
        if health:
            gs = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.25], height_ratios=[1.0, 0.8])
            self.ax, self.ax_cost = fig.add_subplot(gs[:, 0]), fig.add_subplot(gs[0, 1])
        else:
            self.ax, self.ax_cost = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        ax = self.ax
        self.regions = ax.imshow(np.ones((GRID, GRID, 3)), origin="lower", extent=(0, 1, 0, 1),
                                 interpolation="bilinear", aspect="auto", zorder=0)
        self.train_pts = ax.scatter([], [], s=26, marker=TRAIN_MARKER, edgecolors="black",
                                    linewidths=0.7, zorder=3)
        self.test_pts = ax.scatter([], [], s=46, marker=TEST_MARKER, edgecolors="black",
                                   linewidths=0.7, zorder=4)
        ax.set(xlabel="x₁", ylabel="x₂")
        ax.set_title(" ", fontsize=11)
        self.banner = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                              fontsize=13, weight="bold", color=PALETTE["vermillion"], zorder=6,
                              bbox=dict(fc="white", ec=PALETTE["vermillion"], alpha=0.9))
        c = self.ax_cost
        # a marker on the last point: the current cost, visible even at step 0
        (self.train_line,) = c.semilogy([], [], "-", color=PALETTE["black"], lw=1.8,
                                        marker=TRAIN_MARKER, ms=5, mfc="0.6", mec="black")
        (self.test_line,) = c.semilogy([], [], "--", color=PALETTE["vermillion"], lw=1.8,
                                       marker=TEST_MARKER, ms=6, mfc="0.6", mec="black")
        for line in (self.train_line, self.test_line):
            line.set_clip_on(False)  # the marker at step 0 sits on the axis: show all of it
        c.set(ylim=COST_LIMITS, xlim=(0, COST_STEPS[0]),
              ylabel="cost (cross-entropy, log scale)")
        c.set_xlabel("step (one mini-batch update)", labelpad=1)
        c.yaxis.set_major_locator(FixedLocator([1e-4, 1e-3, 1e-2, 1e-1, 1, 10]))
        c.yaxis.set_minor_locator(NullLocator())
        c.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        c.grid(alpha=0.3)
        handles = [
            Line2D([], [], color=PALETTE["black"], lw=1.8, marker=TRAIN_MARKER, mfc="0.6",
                   mec="black", label="training set (circles)"),
            Line2D([], [], color=PALETTE["vermillion"], ls="--", lw=1.8, marker=TEST_MARKER,
                   mfc="0.6", mec="black", label="validation set (triangles)"),
        ]
        c.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                 fontsize=9, frameon=False, borderaxespad=0.2, handlelength=3)
        self.cost_title = c.text(0.98, 0.96, "", transform=c.transAxes, fontsize=10,
                                 ha="right", va="top",
                                 bbox=dict(fc="white", ec="none", alpha=0.8))
        self.health_rows: list[Any] = []
        c.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        self.dynamic_artists = [self.regions, self.train_pts, self.test_pts, self.banner,
                                ax.title, self.train_line, self.test_line]
        if not health:  # the live panel's message shows these numbers
            self.cost_title.set_visible(False)
        else:
            self.dynamic_artists.append(self.cost_title)
            h = fig.add_subplot(gs[1, 1])
            h.axis("off")
            self.health_title = h.text(0.0, 1.04, "", transform=h.transAxes, fontsize=10)
            h.text(0.0, 0.93, f"{'layer':<18}{'|grad W|':>9}{'dead/sat.':>12}{'Δw/w':>9}  note",
                   family="monospace", fontsize=9, transform=h.transAxes, va="top",
                   weight="bold")
            self.health_rows = [h.text(0.0, 0.78 - 0.15 * i, "", family="monospace",
                                       fontsize=9, transform=h.transAxes, va="top")
                                for i in range(6)]
            self.dynamic_artists += [self.health_title, *self.health_rows]

    def cost_xmax(self, step: int) -> int:
        """The step axis grows through ``COST_STEPS``, so the axes are redrawn only now and
        then (the twin fixes it with ``fixed_steps``)."""
        if self.fixed_steps:
            return self.fixed_steps
        return next((top for top in COST_STEPS if top >= step), COST_STEPS[-1])

    def static_key(self, frame: Frame) -> tuple:
        """Only a longer step axis, or numbered axes with new limits, redraw the background.
        The generated data sets have no numbers on their axes (their units mean nothing), so
        a new data set or noise level needs no full redraw."""
        return (frame.extent if frame.ticks else None, self.cost_xmax(frame.step))

    def update(self, f: Frame) -> None:
        ax = self.ax
        x0, x1, y0, y1 = f.extent
        self.regions.set_data(f.image)
        self.regions.set_extent(f.extent)
        ax.set(xlim=(x0, x1), ylim=(y0, y1))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(5) if f.ticks else NullLocator())
        for pts, X, y in ((self.train_pts, f.X_train, f.y_train),
                          (self.test_pts, f.X_test, f.y_test)):
            pts.set_offsets(X)
            pts.set_facecolors([CLASS_COLORS[int(k) % len(CLASS_COLORS)] for k in y])
        ax.set_title(f.title, fontsize=11,
                     color=PALETTE["vermillion"] if f.diverged else "black")
        self.banner.set_text(("DIVERGED: the cost blew up" if self.health_rows else
                              "DIVERGED: see the message below") if f.diverged else "")
        self.banner.set_visible(f.diverged)
        steps = np.arange(len(f.train_cost))
        for line, cost in ((self.train_line, f.train_cost), (self.test_line, f.test_cost)):
            line.set_data(steps, cost)
            line.set_markevery([len(cost) - 1])
        self.ax_cost.set_xlim(0, self.cost_xmax(f.step))
        self.cost_title.set_text(f"training {_cost(f.train_cost[-1])}, "
                                 f"validation {_cost(f.test_cost[-1])}")
        if not self.health_rows:
            return
        self.health_title.set_text(f"network {f.shape}: health of each layer"
                                   + (f" after step {f.health_step}" if f.health_step else ""))
        for i, row in enumerate(self.health_rows):
            if i < len(f.health):
                hl = f.health[i]
                dead = hl.dead if hl.dead is not None else hl.saturated
                kind = "" if dead is None else (" dead" if hl.dead is not None else " sat")
                warn = hl.warnings() if f.health_step else []
                name = hl.name.replace("layer ", "").replace("output", "out")
                label = f"{name:<4}{hl.units:>2} {hl.activation}"
                note = ("! " + ", ".join(warn)) if warn else ("ok" if f.health_step else "")
                g, r = ((_fmt(hl.grad_norm), _fmt(hl.update_ratio)) if f.health_step
                        else ("–", "–"))  # no step yet: nothing measured
                row.set_text(f"{label:<18}{g:>9}{_fmt(dead, True) + kind:>12}{r:>9}  {note}")
                row.set_color(PALETTE["vermillion"] if warn else "black")
            else:
                row.set_text("")


def health_html(run: Run) -> str:
    """The health readout as an HTML table: one row per Dense layer, warnings in vermillion."""
    shape = " → ".join(str(n) for n in [2, *(d.n_out for d in run.dense)])
    head = ("<tr><th>layer</th><th>units</th><th>‖∂J/∂W‖</th><th>dead</th><th>saturated</th>"
            "<th>update / weight</th><th></th></tr>")
    rows = []
    for h in run.health:
        warn = h.warnings() if run.health_step else []
        note = ", ".join(warn) if warn else ("ok" if run.health_step else "not trained yet")
        style = f' style="color:{PALETTE["vermillion"]}"' if warn else ""
        rows.append(f"<tr{style}><td>{h.name}</td><td>{h.units} {h.activation}</td>"
                    f"<td>{_fmt(h.grad_norm if run.health_step else None)}</td>"
                    f"<td>{_fmt(h.dead, True)}</td><td>{_fmt(h.saturated, True)}</td>"
                    f"<td>{_fmt(h.update_ratio if run.health_step else None)}</td>"
                    f"<td>{note}</td></tr>")
    when = f"after step {run.health_step}" if run.health_step else "before training"
    return (f"<div><b>Network {shape}: health of each layer {when}</b> "
            "(gradient norm; ReLU units dead on every training point; sigmoid/tanh outputs "
            "saturated; size of the last update relative to the weights, about 1e-3 is "
            "healthy)</div><table style='font-size:90%;border-spacing:10px 0'>"
            f"{head}{''.join(rows)}</table>")
