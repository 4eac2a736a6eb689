"""How the test suite is organised, for every test file and notebook: its parts (markers) and
how the files share the CPUs. The fixtures live in tests/conftest.py.

This file sits at the repository's root so that it applies to `pytest notebooks/X.ipynb` as
much as to `pytest tests/...`: nbval's cells of one notebook must run in order on one worker.
"""

from __future__ import annotations

import os
import pathlib

import pytest

# The suite's parts, for running one alone: `pytest -m engine` is the numpy package without its
# explorers (about 15 s), `-m widgets` the explorers, `-m notebooks` nbval over the chapters,
# `-m integration` the book, the site, the instructor flow, JupyterLab and the install files.
# Every test file belongs to exactly one part (tests/test_lint.py checks it).
ENGINE_TESTS = frozenset({
    "test_activations.py", "test_checks.py", "test_datasets.py", "test_diagnostics.py",
    "test_gradcheck.py", "test_init.py", "test_layers.py", "test_learning.py", "test_losses.py",
    "test_metrics.py", "test_minibatch.py", "test_network.py", "test_neuron.py",
    "test_optim.py", "test_regularization.py", "test_training.py",
})
INTEGRATION_TESTS = frozenset({
    "test_book.py", "test_downloads.py", "test_exchange.py", "test_exercises.py",
    "test_instructor.py", "test_jupyterlab.py", "test_lint.py", "test_notebooks.py",
    "test_packaging.py", "test_sandbox.py", "test_site.py",
})


def suite_part(path: pathlib.Path) -> str | None:
    """The part a test file or notebook belongs to (None: a test file no part names)."""
    if path.suffix == ".ipynb":
        return "notebooks"
    if path.name.startswith("test_widgets"):
        return "widgets"
    if path.name in ENGINE_TESTS:
        return "engine"
    return "integration" if path.name in INTEGRATION_TESTS else None


# The suite runs its files side by side, one worker per CPU (pyproject.toml: `-n auto`). Each
# file is one unit of work on one worker, so its fixtures are made once and a notebook's cells run
# in order in one kernel; the three files that read the built book share one unit, so the book is
# built once. The units in LONGEST_FIRST start first, longest first (benchmarks/README.md, "The
# test suite by part"), so no long one is left to run alone at the end; the rest follow in file
# order.
BOOK_FILES = frozenset({"test_book.py", "test_site.py", "test_downloads.py"})
LONGEST_FIRST = ("book", "test_instructor.py", "test_jupyterlab.py", "test_exchange.py",
                 "test_widgets_playground.py", "test_sandbox.py")


def work_unit(path: pathlib.PurePath) -> str:
    """The unit of work a test file or notebook belongs to: all of it runs on one worker. Named
    by the file (test files and chapters have names of their own)."""
    return "book" if path.name in BOOK_FILES else path.name


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker per CPU this process may use (xdist's own count asks for physical
    cores, which undercounts a virtual machine's CPUs)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def pytest_xdist_make_scheduler(config, log):
    """xdist's scheduling by scope, with :func:`work_unit` as the scope."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(pathlib.PurePosixPath(nodeid.split("::", 1)[0]))

    return ByWorkUnit(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:
        part = suite_part(item.path)
        if part is not None:
            item.add_marker(getattr(pytest.mark, part))
    rank = {unit: i for i, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(work_unit(item.path), len(rank)))  # stable: in order
