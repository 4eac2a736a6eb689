"""Autograding time per submission, with and without the grading sandbox.

Usage::

    python benchmarks/bench_sandbox.py                          # chapters 01 and 08, 5 runs
    python benchmarks/bench_sandbox.py --chapters 05 --students 2 --runs 1

Builds a course folder with ``scripts/make_course.py`` in a temporary folder, hands in the
reference solutions for ``--students`` students, then times ``nbgrader autograde <assignment>
--force`` with the sandbox and without it (``c.SandboxedKernelManager.enabled = False``),
alternating (so that other work on the machine affects both alike), and prints the median
time per submission. It also times starting and stopping an empty kernel both ways, which is the
sandbox's own cost. Needs bubblewrap (``bwrap``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from machine import describe  # benchmarks/machine.py
from nbclient import NotebookClient
from traitlets.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import grading_sandbox  # noqa: E402


def nbgrader(root: pathlib.Path, *args: str) -> None:
    env = dict(os.environ, PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def hand_in(root: pathlib.Path, chapter: str, students: int) -> tuple[str, str]:
    """The reference solutions, for ``students`` students; returns (assignment, notebook)."""
    folder = next((root / "source").glob(f"ch{chapter}_*"))
    notebook = next(folder.glob("*.ipynb"))
    source = nbformat.read(notebook, as_version=4)
    for i in range(students):
        target = root / "submitted" / f"student{i}" / folder.name
        target.mkdir(parents=True)
        nbformat.write(source, target / notebook.name)
    return folder.name, notebook.name


def grade_seconds(root: pathlib.Path, assignment: str, sandbox: bool) -> float:
    (root / "nbgrader_config_local.py").write_text(
        f"c = get_config()  # noqa: F821\nc.SandboxedKernelManager.enabled = {sandbox}\n")
    start = time.perf_counter()
    nbgrader(root, "autograde", assignment, "--force")
    return time.perf_counter() - start


def kernel_seconds(sandbox: bool, folder: str) -> float:
    """Start an empty kernel, run one cell, stop it."""
    config = Config()
    config.SandboxedKernelManager.enabled = sandbox
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    client = NotebookClient(nb, kernel_name="python3", config=config,
                            kernel_manager_class=grading_sandbox.SandboxedKernelManager,
                            resources={"metadata": {"path": folder}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="+", default=["01", "08"])
    parser.add_argument("--students", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    problem = grading_sandbox.bwrap_problem()
    if problem:
        raise SystemExit(problem)
    print(f"# grading time per submission, median of {args.runs} runs of {args.students} "
          f"submissions; {describe().removeprefix('CPU: ')}; {dt.date.today()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        kernel = {mode: statistics.median(kernel_seconds(mode, tmp) for _ in range(5))
                  for mode in (False, True)}
        print(f"empty kernel, start to stop: {kernel[False]:.2f} s without the sandbox, "
              f"{kernel[True]:.2f} s with it")
        root = pathlib.Path(tmp) / "course"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_course.py"), "--out",
                        str(root), "--chapters", *args.chapters], check=True,
                       capture_output=True)
        print("| assignment | without sandbox (s) | with sandbox (s) | difference (s) |")
        print("|---|---|---|---|")
        for chapter in args.chapters:
            assignment, _ = hand_in(root, chapter, args.students)
            times = {False: [], True: []}
            for _ in range(args.runs):
                for mode in (False, True):
                    times[mode].append(grade_seconds(root, assignment, mode) / args.students)
            off, on = (statistics.median(times[m]) for m in (False, True))
            print(f"| {assignment} | {off:.1f} | {on:.1f} | {on - off:+.1f} |", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
