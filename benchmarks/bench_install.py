"""Install size and time: a fresh virtual environment from the learner's requirements, and one
from the full development set.

Usage::

    python benchmarks/bench_install.py                 # both sets
    python benchmarks/bench_install.py --set learner

For each set: wall time of ``pip install -r <file>`` into a new venv (pip's download cache is
disabled, so every run fetches and unpacks the same way), the venv's size on disk, and the ten
largest installed distributions, to show what dominates. Learner target: at most 450 MB (it was
600 MB while scikit-learn and scipy were in the learner set, for the 8×8 digits alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from machine import describe  # benchmarks/machine.py

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETS = {"learner": "requirements.txt", "development": "requirements-dev.txt"}
LEARNER_TARGET_MB = 450


def folder_mb(path: pathlib.Path) -> float:
    files = (f for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return sum(f.stat().st_size for f in files) / 1e6


def largest(venv_python: pathlib.Path, n: int = 10) -> list[tuple[str, float]]:
    """The ``n`` largest distributions in the venv, by the size of the files their RECORD lists."""
    script = (
        "import importlib.metadata as m, json, pathlib\n"
        "out = {}\n"
        "for d in m.distributions():\n"
        "    size = 0\n"
        "    for f in d.files or []:\n"
        "        p = pathlib.Path(d.locate_file(f))\n"
        "        if p.is_file(): size += p.stat().st_size\n"
        "    out[d.metadata['Name']] = size\n"
        "print(json.dumps(out))\n"
    )
    sizes = json.loads(subprocess.check_output([str(venv_python), "-c", script], text=True))
    top = sorted(sizes.items(), key=lambda kv: kv[1], reverse=True)[:n]
    return [(name, size / 1e6) for name, size in top]


def measure(name: str, requirements: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        venv = pathlib.Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        empty = folder_mb(venv)
        start = time.perf_counter()
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir",
             "--disable-pip-version-check", "-r", requirements],
            check=True, cwd=ROOT,
        )
        seconds = time.perf_counter() - start
        size = folder_mb(venv)
        return {"set": name, "file": requirements, "seconds": seconds, "mb": size,
                "mb_added": size - empty, "largest": largest(python)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    args = parser.parse_args(argv)
    names = list(SETS) if args.set == "all" else [args.set]
    print(f"# install benchmark; {describe()}; {dt.date.today()}")
    results = [measure(n, SETS[n]) for n in names]
    print(f"| {'set':<12} | {'file':<21} | {'install (s)':>11} | {'venv size (MB)':>14} |")
    print(f"|{'-' * 14}|{'-' * 23}|{'-' * 13}|{'-' * 16}|")
    for r in results:
        print(f"| {r['set']:<12} | {r['file']:<21} | {r['seconds']:>11.0f} | {r['mb']:>14.0f} |")
    for r in results:
        print(f"\nlargest distributions in the {r['set']} set (MB):")
        for dist, mb in r["largest"]:
            print(f"  {dist:<28} {mb:7.1f}")
    learner = next((r for r in results if r["set"] == "learner"), None)
    if learner is not None:
        verdict = "within" if learner["mb"] <= LEARNER_TARGET_MB else "OVER"
        print(f"\nlearner venv: {learner['mb']:.0f} MB, {verdict} the "
              f"{LEARNER_TARGET_MB} MB target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
