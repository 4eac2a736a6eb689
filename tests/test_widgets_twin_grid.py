"""The website's twins with several controls (dlbasics.widgets.twin_grid): every registered
explorer declares one whose controls are its own, with values its live controls accept, and
the pictures, their manifest and their cache agree."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dlbasics.widgets.registry import EXPLORERS
from dlbasics.widgets.twin_grid import (
    MAX_CONTROLS,
    MAX_FRAMES,
    TwinGrid,
    _position,
    build_grid,
    cache_key,
    describe,
    frame_index,
    slug,
)

pytestmark = pytest.mark.widgets

GRIDS = [spec for spec in EXPLORERS.values() if spec.grid is not None]


def test_every_explorer_declares_a_twin_grid():
    """A new explorer gets its website twin from its spec: each one declares a grid."""
    missing = [spec.label for spec in EXPLORERS.values() if spec.grid is None]
    assert not missing, f"explorers without a twin grid (ExplorerSpec(grid=...)): {missing}"


@pytest.mark.parametrize("spec", GRIDS, ids=[s.name for s in GRIDS])
def test_a_grid_offers_values_its_live_controls_accept(spec):
    """Each twin control is one of the live explorer's, and each value offered is one the
    live control can take (inside a slider's range, or one of a menu's options)."""
    live = spec.factory()
    problems = []
    for name, values in spec.grid.controls.items():
        control = live.controls[name]
        options = getattr(control, "options", None)
        if options is not None and type(control).__name__ != "ToggleButton":
            allowed = [o[1] if isinstance(o, tuple) else o for o in options]
            problems += [f"{name} = {v!r} is not one of its options {allowed}"
                         for v in values if v not in allowed]
        elif hasattr(control, "min"):
            low, high = control.min, control.max
            if type(control).__name__ == "FloatLogSlider":
                low, high = control.base ** low, control.base ** high
            problems += [f"{name} = {v!r} is outside its range [{low:g}, {high:g}]"
                         for v in values if not low - 1e-12 <= v <= high + 1e-12]
        if len(set(map(repr, values))) != len(values):
            problems.append(f"{name} offers a value twice")
    described = describe(spec)
    assert len(described["settings"]) == spec.grid.frames <= MAX_FRAMES
    assert not problems, f"{spec.label}: " + "; ".join(problems)


def test_a_grid_refuses_what_the_website_cannot_play():
    with pytest.raises(ValueError, match="one to 3 controls"):
        TwinGrid({f"c{i}": (1, 2) for i in range(MAX_CONTROLS + 1)})
    with pytest.raises(ValueError, match="have no values"):
        TwinGrid({"b": ()})
    with pytest.raises(ValueError, match="too heavy"):
        TwinGrid({"a": tuple(range(30)), "b": tuple(range(30))})
    with pytest.raises(ValueError, match="both twin controls and fixed"):
        TwinGrid({"b": (0.0, 1.0)}, fixed={"b": 0.5})
    spec = dataclasses.replace(EXPLORERS["neuron"], grid=TwinGrid({"nonsense": (1, 2)}))
    with pytest.raises(ValueError, match="not controls of the live explorer"):
        describe(spec)


def test_pictures_are_row_major_with_the_last_control_fastest():
    grid = TwinGrid({"a": (1, 2), "b": ("x", "y", "z")})
    combos = grid.combinations()
    assert combos[:4] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"},
                          {"a": 2, "b": "x"}]
    assert [_position(grid, i) for i in range(6)] == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1],
                                                      [1, 2]]
    assert [frame_index([2, 3], _position(grid, i)) for i in range(6)] == list(range(6))
    assert slug("learning rate") == "learning-rate"
    assert slug("Gradient flow (ch. 6)") == "gradient-flow-ch-6"


def test_a_twin_is_built_once_and_its_manifest_names_every_picture(tmp_path):
    """A small grid of the neuron explorer: one picture per combination, each with a text
    that names its settings; a second build reuses the pictures; the key follows the grid."""
    grid = TwinGrid({"gate": ("and", "xor"), "b": (-1.5, 0.5)}, fixed={"w1": 1.0, "w2": 1.0},
                    figsize=(5.6, 4.6), alt="The neuron.")
    spec = dataclasses.replace(EXPLORERS["neuron"], grid=grid)
    folder = tmp_path / "neuron"
    manifest = build_grid(spec, folder, workers=1)
    assert manifest["format"] == "dlb-twin/1" and manifest["key"] == cache_key(spec)
    assert [c["name"] for c in manifest["controls"]] == ["gate", "b"]
    assert manifest["controls"][0]["kind"] == "select"
    assert manifest["controls"][1]["values"] == ["-1.5", "0.5"]
    assert manifest["start"] == [0, 0]
    assert len(manifest["frames"]) == len(manifest["alts"]) == 4
    assert json.loads((folder / "manifest.json").read_text()) == manifest
    pictures = [(folder / name).read_bytes() for name in manifest["frames"]]
    assert all(p.startswith(b"\x89PNG") for p in pictures)
    assert len(set(pictures)) == 4, "two combinations drew the same picture"
    assert "gate = xor" in manifest["alts"][3] and "bias b = 0.5" in manifest["alts"][3]
    assert manifest["alts"][0].startswith("The neuron.")
    assert manifest["smallest_font_pt"] * manifest["dpi"] / 72 >= 9
    stamps = [(folder / name).stat().st_mtime_ns for name in manifest["frames"]]
    assert build_grid(spec, folder, workers=1) == manifest
    assert [(folder / name).stat().st_mtime_ns for name in manifest["frames"]] == stamps
    other = dataclasses.replace(spec, grid=dataclasses.replace(grid, fixed={"w1": 2.0}))
    assert cache_key(other) != cache_key(spec)


def test_the_cache_key_follows_the_code_not_its_docs(tmp_path):
    """A docstring or a comment does not change a module's code for the cache; a statement
    does."""
    from dlbasics.widgets.twin_grid import _code

    def code(text: str) -> str:
        path = tmp_path / "m.py"
        path.write_text(text)
        return _code(path)

    base = code('"""Doc."""\n\ndef f(x):\n    """Twice."""\n    return 2 * x  # double\n')
    assert code('"""Other."""\n\ndef f(x):\n    """Say."""\n    return 2 * x\n') == base
    assert code('"""Doc."""\n\ndef f(x):\n    """Twice."""\n    return 3 * x\n') != base
