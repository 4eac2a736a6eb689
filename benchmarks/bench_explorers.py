"""How fast does every explorer of the course respond? The latency of one update, per explorer.

An *update* is what a learner waits for after moving a control: ``Explorer.set(...)``, which
runs the explorer's ``compute`` and redraws its figure to a PNG at the notebook's resolution
(``Explorer.update``). Each explorer is built headless and every control is swept across its
range (sliders at evenly spaced values, every menu entry), one control at a time from the
explorer's starting values, plus any extra settings its entry lists. The update an explorer
makes while it is built is a warm-up and is not timed.

Every registered explorer (``dlbasics.widgets.EXPLORERS``) is timed against the budgets its
``ExplorerSpec`` declares, at the 95th percentile of the wall time: updates that train a
network (an explorer exposing ``cache.n_fits`` reports when it trained) are "training chunks"
(250 ms by default); every other update has a budget of 100 ms by default. Each round builds
a fresh explorer, so caches start cold every round. The CPU-time columns (this process only)
show how much of the wall time was the explorer's own work: on a busy machine the wall time
grows, the CPU time much less.

Run: ``python benchmarks/bench_explorers.py [--rounds 3] [--points 9] [--explorer NAME]``.

A new explorer is timed as soon as its module declares its ``ExplorerSpec``.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib
import numpy as np
from machine import cpu_name  # benchmarks/machine.py

from dlbasics.widgets import EXPLORERS, Explorer, ExplorerSpec
from dlbasics.widgets.activations import ELEMENTWISE, TARGETS
from dlbasics.widgets.playground import playground
from dlbasics.widgets.playground_core import FEATURES


def control_sweep(explorer: Explorer, points: int) -> list[dict[str, Any]]:
    """Every control across its range, one at a time, each then put back to its start value.

    Sliders take ``points`` evenly spaced values from ``min`` to ``max`` (integers for integer
    sliders); menus take every option; a toggle is switched over.
    """
    start = explorer.values()
    settings: list[dict[str, Any]] = []
    for name, control in explorer.controls.items():
        if isinstance(control, widgets.FloatLogSlider):  # evenly spaced exponents
            values = [float(control.base ** e)
                      for e in np.linspace(control.min, control.max, points)]
        elif isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
            values = np.linspace(control.min, control.max, points)
            values = (sorted({round(v) for v in values}) if isinstance(control, widgets.IntSlider)
                      else [float(v) for v in values])
        elif isinstance(control, (widgets.ToggleButton, widgets.Checkbox)):  # on or off
            values = [not control.value]
        elif hasattr(control, "options"):
            values = [opt[1] if isinstance(opt, tuple) else opt for opt in control.options]
        else:
            raise TypeError(f"{explorer.title}: do not know how to sweep control {name!r}")
        settings += [{name: v} for v in values] + [{name: start[name]}]
    return settings


def _activation_grid(_explorer: Explorer) -> list[dict[str, Any]]:
    """Every trainable activation on every target at two widths: each one trains once."""
    return [{"activation": a, "target": t, "hidden": h}
            for h in (4, 16) for t in TARGETS for a in ELEMENTWISE]


#: More settings timed after the control sweep, by explorer name (e.g. more settings that
#: train, so the training chunks get enough samples).
EXTRA: dict[str, Callable[[Explorer], list[dict[str, Any]]]] = {
    "activation": _activation_grid,
}


def _n_fits(explorer: Explorer) -> int:
    cache = getattr(explorer, "cache", None)
    return getattr(cache, "n_fits", 0)


def time_explorer(spec: ExplorerSpec, rounds: int,
                  points: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) milliseconds per update, by kind ("update" or "training chunk")."""
    times: dict[str, list[tuple[float, float]]] = {"update": [], "training chunk": []}
    extra = EXTRA.get(spec.name, lambda _explorer: [])
    for _ in range(rounds):
        explorer = spec.factory()  # its first update, while building, is the warm-up
        for setting in control_sweep(explorer, points) + extra(explorer):
            fits = _n_fits(explorer)
            wall, cpu = time.perf_counter(), time.process_time()
            explorer.set(**setting)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            kind = "training chunk" if _n_fits(explorer) > fits else "update"
            times[kind].append((wall * 1000.0, cpu * 1000.0))
    return times


# The playground trains when Play or Step runs a chunk, not when a control moves: its chunks
# are timed here, on every data set, with the largest network its controls allow (every input
# switched on: 7 inputs, 4 hidden layers of 16 units, so 71 small pictures).
PLAYGROUND_HEAVY = {"layers": 4, "units": 16, "batch_norm": True, "dropout": 0.1,
                    "n_points": 400, "batch_size": 64, "features": list(FEATURES)}
PLAYGROUND_DATA = {"xor": {"dataset": "xor"}, "circles": {"dataset": "circles"},
                   "moons": {"dataset": "moons"}, "spirals": {"dataset": "spirals", "classes": 2},
                   **{f"blobs {k}": {"dataset": "blobs", "classes": k} for k in (2, 3, 4, 5)},
                   "custom": {}}


def time_playground(rounds: int, chunks: int = 15) -> list[tuple[str, list[tuple[float, float]]]]:
    """(row name, [(wall, CPU) ms]) per data set: one Play chunk each (``Playground.step()``:
    the chunk's training steps, the costs, the health readout and the redraw to PNG)."""
    from dlbasics.datasets import moons

    rows = []
    for name, data in PLAYGROUND_DATA.items():
        pairs = []
        for r in range(rounds):
            custom = {} if data else dict(zip("Xy", moons(400, noise=0.15, rng=r), strict=True))
            pg = playground({**PLAYGROUND_HEAVY, **data, "seed": r}, **custom)
            for _ in range(chunks):
                wall, cpu = time.perf_counter(), time.process_time()
                pg.step()
                pairs.append(((time.perf_counter() - wall) * 1000.0,
                              (time.process_time() - cpu) * 1000.0))
        rows.append((f"playground {name} (ch. 8)", pairs))
    return rows


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank, as a budget is read: q % of updates are faster)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


def machine() -> str:
    cpu = cpu_name()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{datetime.date.today().isoformat()}  CPU: {cpu}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, numpy {np.__version__}, matplotlib "
            f"{matplotlib.__version__} (Agg)\nload average at start: {load:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh explorers per entry")
    parser.add_argument("--points", type=int, default=9, help="values per slider")
    parser.add_argument("--explorer", action="append", default=None,
                        help="time only entries whose name contains this (repeatable)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    specs = [spec for spec in EXPLORERS.values()
             if not args.explorer or any(s in spec.label for s in args.explorer)]
    print(machine())
    print(f"\nwall time of one update (compute + PNG), {args.rounds} rounds, "
          f"{args.points} values per slider")
    header = (f"{'explorer':<29}{'kind':<16}{'updates':>8}{'median ms':>11}{'p95 ms':>9}"
              f"{'budget':>8}  within{'CPU median':>12}{'CPU p95':>9}")
    print(header)
    print("-" * len(header))
    failed = False
    for spec in specs:
        budget = {"update": spec.budget_ms, "training chunk": spec.chunk_budget_ms}
        for kind, pairs in time_explorer(spec, args.rounds, args.points).items():
            if not pairs:
                continue
            wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
            p95 = percentile(wall, 95)
            ok = p95 <= budget[kind]
            failed |= not ok
            print(f"{spec.label:<29}{kind:<16}{len(wall):>8}{statistics.median(wall):>11.0f}"
                  f"{p95:>9.0f}{budget[kind]:>8.0f}  {'yes' if ok else 'NO ':<6}"
                  f"{statistics.median(cpu):>12.0f}{percentile(cpu, 95):>9.0f}")
    if not args.explorer or any(s in "playground (ch. 8) chunks" for s in args.explorer):
        for name, pairs in time_playground(args.rounds):
            wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
            p95, kind = percentile(wall, 95), "training chunk"
            budget = EXPLORERS["playground"].chunk_budget_ms
            ok = p95 <= budget
            failed |= not ok
            print(f"{name:<29}{kind:<16}{len(wall):>8}{statistics.median(wall):>11.0f}"
                  f"{p95:>9.0f}{budget:>8.0f}  {'yes' if ok else 'NO ':<6}"
                  f"{statistics.median(cpu):>12.0f}{percentile(cpu, 95):>9.0f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average at end: {load:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
