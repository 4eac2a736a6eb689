"""Notebook run times: every chapter executed top to bottom in a fresh kernel.

Usage::

    python benchmarks/bench_notebooks.py             # every chapter, median of 3 runs
    python benchmarks/bench_notebooks.py --runs 1 notebooks/01_neurons.ipynb

Prints a table and writes ``benchmarks/results/notebook_times.json``, which the book reads to
tell readers how long each chapter takes to run (``book/_ext/runtimes.py``); a run over some
notebooks updates their entries and keeps the others. The notebooks on disk are not modified:
each run executes an in-memory copy.

Budget on a 2-core machine: no chapter over 30 s (chapters 6-8: 45 s), the course under 3 min.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import statistics
import sys
import time

import nbformat
from machine import describe  # benchmarks/machine.py
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "notebook_times.json"
BUDGET_S = {"06": 45.0, "07": 45.0, "08": 60.0}
DEFAULT_BUDGET_S = 30.0
COURSE_BUDGET_S = 180.0


def run_once(path: pathlib.Path) -> float:
    """Execute a copy of ``path`` in a fresh kernel; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()  # includes starting the kernel and the imports, as a learner sees it
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(
        (ROOT / "notebooks").glob("[0-9]*.ipynb")
    )
    machine = describe().removeprefix("CPU: ")
    print(f"# notebook run times, median of {args.runs}; {machine}; {dt.date.today()}")
    rows = {}
    for path in paths:
        times = [run_once(path) for _ in range(args.runs)]
        budget = BUDGET_S.get(path.name[:2], DEFAULT_BUDGET_S)
        rows[path.stem] = {
            "median_s": round(statistics.median(times), 1),
            "runs_s": [round(t, 1) for t in times],
            "budget_s": budget,
        }
    print(f"| {'notebook':<28} | {'median (s)':>10} | {'runs (s)':<20} | {'budget (s)':>10} | ok |")
    print(f"|{'-' * 30}|{'-' * 12}|{'-' * 22}|{'-' * 12}|----|")
    for name, row in rows.items():
        runs = ", ".join(f"{t:.1f}" for t in row["runs_s"])
        ok = "yes" if row["median_s"] <= row["budget_s"] else "NO"
        print(
            f"| {name:<28} | {row['median_s']:>10.1f} | {runs:<20} "
            f"| {row['budget_s']:>10.0f} | {ok:<2} |"
        )
    total = sum(r["median_s"] for r in rows.values())
    print(
        f"| {'whole course':<28} | {total:>10.1f} | {'':<20} | {COURSE_BUDGET_S:>10.0f} |"
        f" {'yes' if total <= COURSE_BUDGET_S else 'NO':<2} |"
    )
    # Record the measured notebooks, keeping the others' earlier results.
    recorded = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"notebooks": {}}
    for row in rows.values():
        row.update(date=str(dt.date.today()), machine=machine, runs=args.runs)
    recorded["notebooks"].update(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    print(f"updated {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
