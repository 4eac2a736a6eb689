"""The install files keep their promises: bounded dependencies, the package last, one version."""

from __future__ import annotations

import pathlib
import re

import pytest

import dlbasics

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOUNDED = re.compile(r"^[A-Za-z0-9_.\-\[\]]+\s*>=\s*[\w.]+\s*,\s*<\s*[\w.]+$")


def requirement_lines(name: str) -> list[str]:
    lines = []
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def test_every_requirement_has_lower_and_upper_bounds():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in requirement_lines(name):
            if line.startswith(("-r ", "-c ")) or line in {".", "-e ."}:
                continue
            assert BOUNDED.match(line), f"{name}: {line!r} needs a lower and an upper bound"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        assert BOUNDED.match(dep), f"pyproject.toml: {dep!r} needs a lower and an upper bound"


def test_learner_requirements_end_with_the_package():
    assert requirement_lines("requirements.txt")[-1] == "-e ."


def test_package_dependencies_are_in_the_learner_requirements():
    learner = {re.split(r"[<>=]", line)[0] for line in requirement_lines("requirements.txt")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        assert re.split(r"[<>=]", dep)[0] in learner, f"{dep} is missing from requirements.txt"


def test_learner_jupyterlab_renders_the_chapters_myst():
    """Without jupyterlab-myst, JupyterLab (and Binder) shows exercises, solutions and roles as
    raw text; jupyterlab-myst 2.7 is switched off as incompatible under JupyterLab 4.5 or later."""
    lines = requirement_lines("requirements.txt")
    assert any(line.startswith("jupyterlab-myst>=2.7") for line in lines)
    assert "jupyterlab>=4.4,<4.5" in lines, "a JupyterLab that jupyterlab-myst supports"
    pinned = dict(
        line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pinned["jupyterlab"].startswith("4.4.") and "jupyterlab_myst" in pinned


def test_binder_python_is_pinned():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"


def test_version_is_exposed():
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlbasics.__version__)
    assert (ROOT / "src" / "dlbasics" / "py.typed").is_file()


def test_digits_are_package_data():
    """A non-editable install (pip install .) must carry the digits that load_digits reads."""
    from fnmatch import fnmatch

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["dlbasics"]
    for name in ("data/digits.npz", "data/README.md"):
        assert (ROOT / "src" / "dlbasics" / name).is_file(), name
        assert any(fnmatch(name, pattern) for pattern in package_data), (
            f"{name} is missing from [tool.setuptools.package-data] in pyproject.toml"
        )



def test_learner_set_leaves_out_scikit_learn():
    """scikit-learn (with scipy, about 190 MB) is only for the benchmark and a test."""
    learner = requirement_lines("requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in [*learner, *project["dependencies"]]:
        assert not dep.startswith(("scikit-learn", "sklearn", "scipy")), dep
    development = requirement_lines("requirements-dev.txt")
    assert any(line.startswith("scikit-learn") for line in development)


def test_maintainers_set_installs_the_versions_that_made_the_saved_outputs():
    """requirements-dev.txt applies constraints.txt, which pins every requirement within bounds."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    assert "-c constraints.txt" in requirement_lines("requirements-dev.txt")
    pins = {}
    for line in requirement_lines("constraints.txt"):
        name, _, version = line.partition("==")
        assert version, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[canonicalize_name(name)] = version
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in requirement_lines(name):
            if line.startswith(("-r ", "-c ")) or line in {".", "-e ."}:
                continue
            req = Requirement(line)
            pin = pins.get(canonicalize_name(req.name))
            assert pin, f"constraints.txt has no pin for {req.name} ({name})"
            assert req.specifier.contains(pin, prereleases=True), (
                f"constraints.txt pins {req.name}=={pin}, outside {name}'s {req.specifier}")
