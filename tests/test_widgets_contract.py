"""The contract every registered explorer keeps (``dlbasics.widgets.EXPLORERS``).

Each explorer is built once, and every control it has, found on the widget itself, is moved
across its values: a slider to both ends and its middle, a menu or a row of toggle buttons to
every option, a toggle on and off. No value may warn, every number in the result must be finite
(a run that diverged says so in its result instead), and the picture must change (a control
that is greyed out for the starting settings is exempt: it does nothing there). The twin must
build with no network. Nothing here names an explorer or a control: a new explorer is tested
by being registered.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import pathlib
import warnings
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import numpy as np
import pytest

from dlbasics.widgets import EXPLORERS, ExplorerSpec

ROOT = pathlib.Path(__file__).parents[1]


def sweep_values(control: widgets.Widget) -> list[Any]:
    """The values a control is moved to: a slider's ends and middle, every option of a menu or
    a row of buttons, both states of a toggle."""
    if isinstance(control, (widgets.ToggleButton, widgets.Checkbox)):
        return [not control.value, control.value]
    if isinstance(control, widgets.SelectionSlider):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return [options[0], options[len(options) // 2], options[-1]]
    if hasattr(control, "options"):  # menus, toggle buttons
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, widgets.FloatLogSlider):
        exponents = (control.min, (control.min + control.max) / 2, control.max)
        return [float(control.base ** e) for e in exponents]
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
        middle = control.min + round((control.max - control.min) / 2 / control.step) * control.step
        return [control.min, middle, control.max]
    raise TypeError(f"no sweep for a {type(control).__name__}: teach sweep_values this kind of "
                    "control")


def numbers(value: Any, seen: set[int] | None = None) -> Iterator[tuple[str, float]]:
    """Every float in a result (dataclass fields, arrays, sequences, dicts), with its path."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return
    if isinstance(value, (float, np.floating)):
        yield "", float(value)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            bad = ~np.isfinite(value)
            yield "", float(value[bad][0]) if bad.any() else 0.0
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            for path, x in numbers(getattr(value, field.name), seen):
                yield f".{field.name}{path}", x
    elif isinstance(value, dict):
        for k, v in value.items():
            for path, x in numbers(v, seen):
                yield f"[{k!r}]{path}", x
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            for path, x in numbers(v, seen):
                yield f"[{i}]{path}", x


def diverged(result: Any) -> bool:
    return bool(getattr(result, "diverged", False)
                or getattr(result, "regime", "") == "diverged")


def shown(explorer: Any) -> tuple[bytes, tuple[str, ...]]:
    """What the learner sees: the picture and every line of text under the controls."""
    texts = []
    stack = [explorer.widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.HTML):
            texts.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return bytes(explorer.image.value), tuple(texts)


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """One explorer per registered spec, built on first use and shared by the tests."""
    return {}


def explorer_of(spec: ExplorerSpec, built: dict[str, Any]) -> Any:
    if spec.name not in built:
        built[spec.name] = spec.factory()
    return built[spec.name]


SPECS = list(EXPLORERS.values())


def test_every_chapter_with_an_explore_section_registers_an_explorer():
    assert len(EXPLORERS) >= 11
    assert {spec.chapter for spec in SPECS} == set(range(1, 9))


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_control_moves_without_warning_to_finite_results_and_a_new_picture(spec, built):
    explorer = explorer_of(spec, built)
    start = explorer.values()
    assert set(start) == set(explorer.controls), spec.name
    for name, control in explorer.controls.items():
        greyed_out = bool(getattr(control, "disabled", False))
        pictures = {shown(explorer)}
        for value in sweep_values(control):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                control.value = value  # as a learner moves it
            result = explorer.result
            if not diverged(result):
                bad = [(path, x) for path, x in numbers(result) if not math.isfinite(x)]
                assert not bad, f"{spec.label}: {name}={value!r} gives {bad[:3]}"
            pictures.add(shown(explorer))
        control.value = start[name]
        assert greyed_out or len(pictures) > 1, (
            f"{spec.label}: moving {name!r} across {sweep_values(control)} changes nothing "
            "on the screen; grey it out where it does nothing")
    assert explorer.values() == start


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_tick_labels_do_not_run_together(spec, built):
    """Neighbouring tick labels keep at least half a letter's height apart ("−0.50−0.25" ran
    together in chapter 1's square plots before they ticked every 0.5)."""
    fig = explorer_of(spec, built).figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    crowded = []
    for ax in fig.axes:
        for axis, across in ((ax.xaxis, 0), (ax.yaxis, 1)):
            labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            boxes = sorted(((t.get_window_extent(renderer), t) for t in labels),
                           key=lambda box: box[0].min[across])
            for (a, ta), (b, tb) in itertools.pairwise(boxes):
                gap = b.min[across] - a.max[across]
                if gap < 0.5 * ta.get_fontsize() * fig.dpi / 72:
                    crowded.append(f"{ta.get_text()!r} and {tb.get_text()!r} ({gap:.1f} px)")
    assert not crowded, f"{spec.label}: tick labels run together: {crowded}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_the_twin_plays_offline(spec, built):
    """Two frames of the twin: self-contained (nothing fetched), one picture per frame."""
    if spec.values is not None:
        values = [spec.values[0], spec.values[1]]
    else:  # a twin that works its values out: two values of its sweep from the explorer
        control = explorer_of(spec, built).controls.get(spec.sweep)
        values = sweep_values(control)[:2] if control is not None else [0, 20]
    html = spec.build_twin(values).data
    assert html.count('] = "data:image/png;base64') == 2, spec.name
    assert 'type="range"' in html
    assert "http://" not in html and "https://" not in html, spec.name


def test_the_declared_twin_sweep_is_a_setting_of_the_explorer(built):
    for spec in SPECS:
        if spec.sweep != "step":  # a run in time: the twin's frames are training steps
            assert spec.sweep in explorer_of(spec, built).controls, spec.name


@pytest.mark.parametrize("page", ["book/api.md"])
def test_the_api_page_names_every_registered_explorer(page):
    text = (ROOT / page).read_text()
    missing = [s.factory.__name__ for s in SPECS if s.factory.__name__ not in text]
    assert not missing, f"{page} does not name {missing}"


def test_every_registered_explorer_is_shown_in_its_chapter():
    notebooks = {int(p.name[:2]): p.read_text() for p in (ROOT / "notebooks").glob("0*.ipynb")}
    for spec in SPECS:
        text = notebooks.get(spec.chapter, "")
        assert f"{spec.factory.__name__}(" in text, (
            f"chapter {spec.chapter} never calls {spec.factory.__name__}()")
