"""ruff keeps the package, tests, benchmarks and notebooks clean; mypy checks the package's
types (settings in pyproject.toml)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "ruff"
    )
    assert ruff, "ruff is not installed: pip install -r requirements-dev.txt"
    folders = ("src", "tests", "benchmarks", "scripts", "notebooks", "book/_ext", "conftest.py")
    targets = [d for d in folders if (ROOT / d).exists()]
    result = subprocess.run(
        [ruff, "check", "--no-cache", *targets], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebook_code_fits_the_book_column():
    """At 1280 px the book's text column is about 680 px: 80 characters of code. The chapters' code
    cells keep to 80 (``notebooks/ruff.toml``, which the ruff test above applies), and so do
    the reference answers in their ``{solution}`` blocks, which ruff does not see. A chapter
    still exempt from E501 there is listed by that file's per-file-ignores."""
    config = (ROOT / "notebooks" / "ruff.toml").read_text(encoding="utf-8")
    assert re.search(r"^line-length = 80$", config, re.MULTILINE), "notebooks/ruff.toml: 80"
    exempt = [pattern for pattern, codes in re.findall(r'^"([^"]+)" = \[(.*)\]$', config,
                                                       re.MULTILINE) if '"E501"' in codes]
    chapters = [path for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
                if not any(fnmatch.fnmatch(path.name, pattern) for pattern in exempt)]
    assert chapters, "every chapter is exempt from the 80-character limit"
    ruff = shutil.which("ruff", path=str(pathlib.Path(sys.executable).parent)) or "ruff"
    result = subprocess.run([ruff, "check", "--no-cache", "--select", "E501",
                             *map(str, chapters)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    too_long = []
    for path in chapters:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            blocks = re.findall(r"^```python\n(.*?)^```", "".join(cell["source"]),
                                re.MULTILINE | re.DOTALL)
            too_long += [f"{path.name}: {line}" for block in blocks
                         for line in block.splitlines() if len(line) > 80]
    assert not too_long, "reference answers over 80 characters:\n" + "\n".join(too_long)


def test_mypy_finds_no_type_error_in_the_package():
    """Every function of ``src/`` is annotated and mypy agrees with the annotations: a wrong
    argument type fails here, not in a learner's notebook."""
    mypy = shutil.which("mypy", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "mypy"
    )
    assert mypy, "mypy is not installed: pip install -r requirements-dev.txt"
    result = subprocess.run([mypy], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def suite_organisation():
    """The root conftest.py (the suite's parts and how its files share the workers)."""
    spec = importlib.util.spec_from_file_location("suite", ROOT / "conftest.py")
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    return suite


def test_every_test_file_belongs_to_one_part_of_the_suite():
    """`pytest -m engine` (CONTRIBUTING's quick loop, about 15 s) runs the files conftest.py
    names: a new test file must join a part, or the engine's tests would silently miss it."""
    suite = suite_organisation()
    ENGINE_TESTS, INTEGRATION_TESTS, suite_part = (
        suite.ENGINE_TESTS, suite.INTEGRATION_TESTS, suite.suite_part)

    files = sorted((ROOT / "tests").glob("test_*.py"))
    unnamed = [f.name for f in files if suite_part(f) is None]
    assert not unnamed, (f"{unnamed} belong to no part of the suite: add them to ENGINE_TESTS "
                         "or INTEGRATION_TESTS in conftest.py")
    named = {f.name for f in files}
    assert not (ENGINE_TESTS | INTEGRATION_TESTS) - named, "conftest.py names a missing file"
    assert not ENGINE_TESTS & INTEGRATION_TESTS


def test_the_book_is_built_once_and_the_longest_files_start_first():
    """Every file that reads the built book runs on the worker that built it (else a second
    worker builds it again); the files named to start first exist."""
    suite = suite_organisation()
    asks = re.compile(r"def \w+\([^)]*\bbuilt_book\b")  # a test or fixture that takes it
    readers = {f.name for f in (ROOT / "tests").glob("test_*.py")
               if asks.search(f.read_text(encoding="utf-8"))}
    assert readers == set(suite.BOOK_FILES), (
        f"files reading built_book: {sorted(readers)}; conftest.py BOOK_FILES: "
        f"{sorted(suite.BOOK_FILES)}")
    assert len({suite.work_unit(ROOT / "tests" / name) for name in readers}) == 1
    files = [*(ROOT / "tests").glob("test_*.py"), *(ROOT / "notebooks").glob("*.ipynb")]
    names = [f.name for f in files]
    assert len(set(names)) == len(names), "units are named by file: two files share a name"
    named = set(names) | {"book"}
    assert set(suite.LONGEST_FIRST) <= named, set(suite.LONGEST_FIRST) - named
