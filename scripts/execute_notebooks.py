"""Re-execute chapter notebooks in a fresh kernel and save them with their outputs.

Usage::

    python scripts/execute_notebooks.py                       # every notebook in notebooks/
    python scripts/execute_notebooks.py notebooks/01_neurons.ipynb

Run it after changing the package or a notebook, then commit the notebook: the book shows the
saved outputs and nbval checks that a fresh run reproduces them. Widget state is not saved
(live explorers need a kernel; the website shows their static twins instead).

**Outputs are computed on other kernels than the tests use.** The kernel runs with numpy's
SIMD dispatch limited to its baseline (``NPY_DISABLE_CPU_FEATURES`` names every dispatched
feature this CPU has), while nbval in the test suite runs with the full dispatch of whatever
machine it is on. ``exp``, ``tanh``, ``log`` and friends then differ in their last bits between
the saved run and the tested run, as they do between two learners' laptops. A cell whose printed
digits depend on those bits (rounding noise printed as a result, a chaotic training run) fails
nbval on *every* machine with a modern CPU, not only on an unlucky one, and the fix belongs in
the notebook: print the digits that survive, make the setup stable, or tag the cell
``nbval-ignore-output`` and assert the claim with a tolerance in a following hidden cell.
The notebook's metadata records this (``dlbasics.executed_with``); a test checks it.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
# What the saved outputs were computed with; tests/test_notebooks.py checks every chapter has it.
EXECUTED_WITH = "numpy-baseline-dispatch"


def dispatched_features() -> list[str]:
    """The SIMD features numpy dispatches to at run time on this CPU (beyond its baseline).

    Only features the CPU has can be named in ``NPY_DISABLE_CPU_FEATURES``: naming another one
    makes numpy print a warning into the first cell's output.
    """
    try:
        from numpy._core import _multiarray_umath as umath  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import _multiarray_umath as umath
    available = umath.__cpu_features__
    return [name for name in umath.__cpu_dispatch__ if available.get(name)]


def kernel_env(restrict: bool = True) -> dict[str, str]:
    """The environment of the executing kernel: this one, with numpy's dispatch restricted."""
    env = dict(os.environ)
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    features = dispatched_features() if restrict else []
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    return env


def execute(path: pathlib.Path, timeout: int = 600, restrict: bool = True) -> float:
    """Execute ``path`` in place; return the wall time in seconds.

    ``restrict=False`` runs with the machine's full dispatch (only for comparisons: notebooks
    committed that way would hide cells whose digits depend on the CPU).
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute(env=kernel_env(restrict))
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    if restrict:
        nb.metadata.setdefault("dlbasics", {})["executed_with"] = EXECUTED_WITH
    else:
        nb.metadata.get("dlbasics", {}).pop("executed_with", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--native", action="store_true",
                        help="full SIMD dispatch (for comparisons only; never commit the result)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if not args.native and not dispatched_features():
        print("note: this CPU has no SIMD features beyond numpy's baseline, so the saved outputs "
              "are not checked against other kernels here.", file=sys.stderr)
    for path in paths:
        elapsed = execute(path.resolve(), restrict=not args.native)
        print(f"{path}: executed in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
