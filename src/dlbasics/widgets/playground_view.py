"""The playground's pictures (chapter 8): decision regions, cost curves, what each input and
hidden unit computes, and layer health.

:func:`make_frame` turns a training run into plain, finite arrays (a :class:`Frame`);
:class:`PlaygroundView` draws frames on a reused figure (blitting its ``dynamic_artists``);
:func:`neuron_mosaic` lays the pictures of the inputs and hidden units out as one image, one
column per layer, as TensorFlow Playground does; :func:`health_html` writes the health
readout as an HTML table for the live panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..plotting import CLASS_COLORS, PALETTE
from .playground_core import FEATURE_LABELS, MAX_LAYERS, MAX_UNITS, Health, Run

GRID = 40  # boundary grid points per side: coarse and fast, smoothed when drawn
COST_LIMITS = (1e-4, 10.0)
#: The lengths of the step axis: it takes the first that holds the run. Growing it redraws the
#: axes (about 150 ms), so it starts long enough for most runs and grows rarely.
COST_STEPS = (500, 1000, 2000, 5000, 10_000, 20_000)
TRAIN_MARKER, TEST_MARKER = "o", "^"
#: The pictures of the inputs and hidden units: one column of tiles per layer (two when a
#: layer has more than ``TILE_ROWS`` units), each tile the boundary grid's ``GRID`` × ``GRID``
#: values; gaps and margins in the same pixels. The block is scaled to fill its panel, but
#: never larger than ``MIN_ROWS`` rows of tiles would be.
TILE_ROWS, MIN_ROWS = MAX_UNITS // 2, 5
TILE_GAP, GROUP_GAP, LABEL_MARGIN, HEAD_MARGIN = 4, 14, 60, 24
#: Diverging colours of a unit's output: blue low, white in the middle, red high.
UNIT_CMAP = colormaps["RdBu_r"]
_UNIT_LUT = UNIT_CMAP(np.linspace(0.1, 0.9, 256))[:, :3]  # without the darkest ends
#: The middle and half-width of each activation's colour scale: −1 to 1, the sigmoid's 0 to 1
#: (a ReLU's outputs above 1 are as dark as 1).
UNIT_SCALE = {"tanh": (0.0, 1.0), "sigmoid": (0.5, 0.5), "relu": (0.0, 1.0),
              "leaky_relu": (0.0, 1.0)}


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
    #: the network's inputs over the grid, standardized as the network sees them:
    #: (n_inputs, GRID, GRID), rows from the bottom of the picture up
    inputs: np.ndarray = field(default_factory=lambda: np.zeros((0, GRID, GRID)))
    input_names: tuple[str, ...] = ()  # as written on the pictures, e.g. "x₁²"
    #: each hidden layer's outputs over the grid (after its activation): (units, GRID, GRID)
    hidden: tuple[np.ndarray, ...] = ()
    activation: str = "tanh"


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
    """Snapshot a run for drawing; costs are clipped to ``COST_LIMITS`` (never NaN). One
    forward pass over the grid gives the decision regions and every unit's picture."""
    if grid is None:
        grid = boundary_grid(run)
    points, extent = grid
    inputs, hidden, probs = run.evaluate(points)
    image = region_image(probs, run.n_classes)
    low, high = COST_LIMITS

    def clip(values: list[float]) -> np.ndarray:
        a = np.asarray(values, dtype=float)
        return np.clip(np.nan_to_num(a, nan=high, posinf=high, neginf=low), low, high)

    acc = run.accuracy()
    title = f"step {run.step}: validation accuracy {acc:.0%}"
    if run.diverged:
        title = f"diverged at step {run.diverged_at}"
    side = round(math.sqrt(len(points)))
    return Frame(image, extent, run.X_train, run.y_train, run.X_test, run.y_test,
                 clip(run.history["train"]), clip(run.history["test"]), tuple(run.health),
                 run.step, run.diverged, title,
                 " → ".join(str(n) for n in [len(run.features), *(d.n_out for d in run.dense)]),
                 run.config["dataset"] == "custom", run.health_step,
                 inputs=inputs.T.reshape(-1, side, side),
                 input_names=tuple(FEATURE_LABELS[f] for f in run.features),
                 hidden=tuple(h.T.reshape(-1, side, side) for h in hidden),
                 activation=run.config["activation"])


def boundary_grid(run: Run) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The coarse grid of points where the boundary is evaluated, and its extent."""
    x0, x1, y0, y1 = plot_limits(run.X_all)
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    return np.column_stack([gx.ravel(), gy.ravel()]), (x0, x1, y0, y1)


# --- the pictures of the inputs and hidden units ------------------------------------------------
SLOT = GRID + TILE_GAP


@dataclass(frozen=True)
class MosaicLayout:
    """Where each tile of :func:`neuron_mosaic` sits on its canvas of ``shape`` (height,
    width): the top-left pixel of every tile (the inputs first, then each hidden layer's units
    in order) and the centre of each column's heading (``"inputs"``, ``"layer 1"``, …)."""

    shape: tuple[int, int]
    tiles: tuple[tuple[int, int], ...]
    heads: tuple[tuple[float, str], ...]


def mosaic_layout(n_inputs: int, widths: tuple[int, ...] | list[int]) -> MosaicLayout:
    """The tiles of ``n_inputs`` inputs and hidden layers of ``widths`` units: one column per
    layer (two for more than ``TILE_ROWS`` units), each column centred vertically, with room
    on the left for the inputs' names and on top for the headings."""
    groups = [n_inputs, *widths]
    columns = [1 if n <= TILE_ROWS else 2 for n in groups]
    rows = [-(-n // c) for n, c in zip(groups, columns, strict=True)]
    height = HEAD_MARGIN + max(MIN_ROWS, *rows) * SLOT
    x, tiles, heads = LABEL_MARGIN, [], []
    for g, (n, cols, r_used) in enumerate(zip(groups, columns, rows, strict=True)):
        top = HEAD_MARGIN + (height - HEAD_MARGIN - r_used * SLOT) // 2
        for k in range(n):
            c, r = divmod(k, r_used)
            tiles.append((top + r * SLOT + TILE_GAP // 2, x + c * SLOT + TILE_GAP // 2))
        heads.append((x + cols * SLOT / 2, "inputs" if g == 0 else f"layer {g}"))
        x += cols * SLOT + GROUP_GAP
    return MosaicLayout((height, x - GROUP_GAP), tuple(tiles), tuple(heads))


def _colors(values: np.ndarray, middle: float, half: float) -> np.ndarray:
    """RGB of ``values`` on the diverging :data:`UNIT_CMAP`, ``middle`` white, ``middle ±
    half`` the darkest blue and red."""
    t = np.clip(0.5 + 0.5 * (values - middle) / max(half, 1e-12), 0.0, 1.0)
    return _UNIT_LUT[np.rint(t * 255).astype(np.intp)]


def neuron_mosaic(frame: Frame, layout: MosaicLayout | None = None) -> np.ndarray:
    """RGB image, shape ``layout.shape + (3,)``, of what each input and hidden unit
    computes over the plane: a tile per input (each on its own symmetric scale) and per
    hidden unit (on :data:`UNIT_SCALE`: −1 to 1, the sigmoid's 0 to 1), framed in grey,
    laid out by :func:`mosaic_layout`."""
    if layout is None:
        layout = mosaic_layout(len(frame.inputs), [len(h) for h in frame.hidden])
    canvas = np.ones((*layout.shape, 3))
    tiles = [_colors(v, 0.0, float(np.abs(v).max())) for v in frame.inputs]
    middle, half = UNIT_SCALE[frame.activation]
    for h in frame.hidden:
        tiles += list(_colors(h, middle, half))
    frame_grey = 0.6
    for (top, left), tile in zip(layout.tiles, tiles, strict=True):
        canvas[top - 1:top + GRID + 1, left - 1:left + GRID + 1] = frame_grey
        canvas[top:top + GRID, left:left + GRID] = tile[::-1]  # the grid's rows go upwards
    return canvas


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
    """The playground's figure, left to right: what each input and hidden unit computes (one
    column of small pictures per layer), the decision regions, and the cost curves; with
    ``health=True`` (the offline twin) also the health of each layer, underneath. The live
    panel shows the health as an HTML table instead: text is most of a figure's drawing time.
    ``neurons=False`` leaves the small pictures out. ``dynamic_artists`` change every chunk;
    the axes are drawn again only when ``static_key`` changes (new data limits, or a step
    axis that has to grow)."""

    def __init__(self, fig: Any, *, health: bool = False, fixed_steps: int | None = None,
                 neurons: bool = True) -> None:
        self.fixed_steps = fixed_steps
        widths = ([1.3] if neurons else []) + [1.0, 1.0]
        if health:
            gs = fig.add_gridspec(2, len(widths), width_ratios=widths, height_ratios=[1.0, 0.36])
        else:
            gs = fig.add_gridspec(1, len(widths), width_ratios=widths)
        self.ax, self.ax_cost = fig.add_subplot(gs[0, -2]), fig.add_subplot(gs[0, -1])
        self.ax_units = fig.add_subplot(gs[0, 0]) if neurons else None
        ax = self.ax
        self.regions = ax.imshow(np.ones((GRID, GRID, 3)), origin="lower", extent=(0, 1, 0, 1),
                                 interpolation="bilinear", aspect="auto", zorder=0)
        self.train_pts = ax.scatter([], [], s=26, marker=TRAIN_MARKER, edgecolors="black",
                                    linewidths=0.7, zorder=3)
        self.test_pts = ax.scatter([], [], s=46, marker=TEST_MARKER, edgecolors="black",
                                   linewidths=0.7, zorder=4)
        ax.set(xlabel="x₁", ylabel="x₂")
        ax.set_title(" ", fontsize=10)
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
                   mec="black", label="training (circles)"),
            Line2D([], [], color=PALETTE["vermillion"], ls="--", lw=1.8, marker=TEST_MARKER,
                   mfc="0.6", mec="black", label="validation (triangles)"),
        ]
        c.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
                 fontsize=9, frameon=False, borderaxespad=0.2, handlelength=2.5,
                 columnspacing=1.2)
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
            h = fig.add_subplot(gs[1, :])
            h.axis("off")
            self.health_title = h.text(0.0, 1.04, "", transform=h.transAxes, fontsize=10)
            h.text(0.0, 0.93, f"{'layer':<18}{'|grad W|':>9}{'dead/sat.':>12}{'Δw/w':>9}  note",
                   family="monospace", fontsize=9, transform=h.transAxes, va="top",
                   weight="bold")
            self.health_rows = [h.text(0.0, 0.78 - 0.15 * i, "", family="monospace",
                                       fontsize=9, transform=h.transAxes, va="top")
                                for i in range(6)]
            self.dynamic_artists += [self.health_title, *self.health_rows]
        if self.ax_units is not None:
            self._units_panel(self.ax_units)

    def _units_panel(self, u: Axes) -> None:
        """The small pictures: one image for all of them (one artist to draw), and the column
        headings and input names as text."""
        self.units_image = u.imshow(np.ones((2, 2, 3)), origin="upper", extent=(0, 1, 1, 0),
                                    interpolation="nearest", zorder=0)
        u.set_aspect("equal", adjustable="box", anchor="N")  # square tiles, top fixed
        u.axis("off")
        u.set_title("what each input and hidden unit computes\nover the plane (red high, "
                    "blue low)", fontsize=10)
        self.unit_heads = [u.text(0, HEAD_MARGIN / 2, "", ha="center", va="center", fontsize=8)
                           for _ in range(1 + MAX_LAYERS)]
        self.input_labels = [u.text(0, 0, "", ha="right", va="center", fontsize=9)
                             for _ in range(len(FEATURE_LABELS))]
        self.dynamic_artists += [self.units_image, *self.unit_heads, *self.input_labels]

    def _update_units(self, f: Frame) -> None:
        ax = self.ax_units
        if ax is None:  # the figure has no small pictures
            return
        layout = mosaic_layout(len(f.inputs), [len(h) for h in f.hidden])
        height, width = layout.shape
        rgb = neuron_mosaic(f, layout)
        rgba = np.empty((*rgb.shape[:2], 4), np.uint8)  # as bytes it draws twice as fast
        rgba[..., :3] = np.rint(rgb * 255)
        rgba[..., 3] = 255
        self.units_image.set_data(rgba)
        self.units_image.set_extent((0, width, height, 0))
        ax.set(xlim=(0, width), ylim=(height, 0))
        ax.apply_aspect()  # blitting draws no axes: fit the box to the tiles here
        for i, text in enumerate(self.unit_heads):
            if i < len(layout.heads):
                x, label = layout.heads[i]
                text.set_position((x, HEAD_MARGIN / 2))
                text.set_text(label)
            else:
                text.set_text("")
        for i, text in enumerate(self.input_labels):
            if i < len(f.input_names):
                top, left = layout.tiles[i]
                text.set_position((left - 4, top + GRID / 2))
                text.set_text(f.input_names[i])
            else:
                text.set_text("")

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
        ax.set_title(f.title, fontsize=10,
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
        if self.ax_units is not None:
            self._update_units(f)
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
    shape = " → ".join(str(n) for n in [len(run.features), *(d.n_out for d in run.dense)])
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
