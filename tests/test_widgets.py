"""Explorers: built headless, every control swept across its range, the drawn data checked."""

from __future__ import annotations

import itertools
import pathlib
import re
import warnings

import numpy as np
import pytest

from dlbasics.activations import get_activation
from dlbasics.widgets import (
    LIVE_NOTE,
    RUN_NOTE,
    Explorer,
    compute_neuron,
    neuron_explorer,
    neuron_twin,
)
from dlbasics.widgets.neuron import GATES, NEURON_ACTIVATIONS


@pytest.fixture(scope="module")
def neuron() -> Explorer:
    """One neuron explorer for the tests that only need one to exist or to set it once."""
    return neuron_explorer()


def slider_values(slider, n=7):
    return np.linspace(slider.min, slider.max, n)


def test_neuron_explorer_every_control_across_its_range():
    ex = neuron_explorer()
    assert isinstance(ex, Explorer)
    pngs = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("w1", "w2", "b"):
            for value in slider_values(ex.controls[name]):
                r = ex.set(**{name: float(value)})
                assert np.all(np.isfinite(r.surface))
                pngs.add(bytes(ex.image.value))
        for activation, gate in itertools.product(NEURON_ACTIVATIONS, GATES):
            r = ex.set(activation=activation, gate=gate)
            assert r.activation == activation and r.gate == gate
            assert bytes(ex.image.value).startswith(b"\x89PNG")
    assert len(pngs) > 10, "moving the sliders should change the picture"


def test_neuron_explorer_draws_the_package_activation(neuron):
    ex = neuron
    r = ex.set(w1=0.7, w2=-1.2, b=0.3, activation="tanh")
    grid = np.linspace(-0.5, 1.5, r.surface.shape[0])
    x1, x2 = np.meshgrid(grid, grid)
    expected = get_activation("tanh")(0.7 * x1 - 1.2 * x2 + 0.3)
    np.testing.assert_allclose(r.surface, expected, atol=1e-12)
    np.testing.assert_allclose(ex.view.image.get_array(), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("gate", "w1", "w2", "b"),
    [("and", 1, 1, -1.5), ("or", 1, 1, -0.5), ("nand", -1, -1, 1.5)],
)
def test_separable_gates_have_a_perfect_neuron(gate, w1, w2, b):
    r = compute_neuron(w1, w2, b, "step", gate)
    assert not r.wrong.any()
    assert "right side" in r.message


def test_xor_is_never_solved_by_one_neuron():
    grid = np.linspace(-3, 3, 7)
    for w1, w2, b in itertools.product(grid, grid, grid):
        assert compute_neuron(w1, w2, b, "step", "xor").wrong.any()
    assert "No single line" in compute_neuron(1, 1, -0.5, "step", "xor").message


def test_zero_weights_have_no_line_and_no_crash():
    r = compute_neuron(0.0, 0.0, 0.5, "sigmoid", "and")
    assert r.line is None
    assert r.fires.all()  # z = b = 0.5 >= 0 at every point
    assert r.wrong.sum() == 3  # AND is 1 only at (1, 1)


def test_explorer_rejects_unknown_control(neuron):
    with pytest.raises(ValueError, match="no control named"):
        neuron.set(weight=1.0)


def test_two_explorers_do_not_interfere():
    a, b = neuron_explorer(), neuron_explorer()
    a.set(b=0.9)
    assert b.result.b == -1.5


def test_live_explorer_says_where_it_runs(neuron):
    bundle = neuron._repr_mimebundle_()
    assert "JupyterLab" in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_before_its_cell_runs_an_explorer_asks_to_run_it_and_the_website_points_at_its_twin(
        neuron):
    html = neuron._repr_mimebundle_()["text/html"]
    run = re.search(r'<p class="dlb-live-note-run">(.*?)</p>', html)
    web = re.search(r'<p class="dlb-live-note-web" hidden="hidden">(.*?)</p>', html)
    assert run and RUN_NOTE in run[1] and "Shift+Enter" in run[1]
    assert web and LIVE_NOTE in web[1] and "twin above" in web[1]
    css = (pathlib.Path(__file__).parents[1] / "book" / "_static" / "book.css").read_text()
    assert ".dlb-live-note-run" in css and ".dlb-live-note-web[hidden]" in css


def test_neuron_twin_is_a_self_contained_scrubbable_animation():
    html = neuron_twin(values=[-1.5, -0.5, 0.5]).data
    assert html.count('] = "data:image/png;base64') == 3
    assert 'type="range"' in html  # the slider
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    assert 'class="fa ' not in html  # icons drawn as characters, not from an icon font
    # where the script does not run (an untrusted notebook), the image shows the first frame
    first = re.search(r'frames\[0\] = "(data:image/png;base64,[^"]*)"', html)[1]
    img = re.search(r'<img id="_anim_img[0-9a-f]+" alt="[^"]+" src="([^"]+)">', html)
    assert img and img[1] == re.sub(r"[\\\s]", "", first)


def test_every_explorer_is_drawn_sharp_at_its_natural_size_with_long_sliders():
    """In JupyterLab: a 2× bitmap shown at its CSS size, labels wide enough, long tracks, and
    a hint that values can be typed or stepped (tests/test_jupyterlab.py checks the page)."""
    import io

    import ipywidgets as widgets
    from PIL import Image

    from dlbasics.widgets import (
        activation_explorer,
        backprop_explorer,
        batch_explorer,
        classification_loss_explorer,
        gradflow_explorer,
        learning_rate_explorer,
        outlier_explorer,
        playground,
        race_explorer,
        regularization_explorer,
    )
    from dlbasics.widgets._base import (
        CONTROLS_HINT,
        PIXEL_RATIO,
        READOUT_PX,
        TRACK_PX,
        is_slider,
        label_width,
    )

    for make in (neuron_explorer, activation_explorer, outlier_explorer,
                 classification_loss_explorer, backprop_explorer, learning_rate_explorer,
                 race_explorer, batch_explorer, gradflow_explorer, regularization_explorer,
                 playground):
        ex = make()
        width, height = Image.open(io.BytesIO(bytes(ex.image.value))).size
        assert ex.image.layout.width == f"{width // PIXEL_RATIO}px", make.__name__
        assert width % PIXEL_RATIO == 0 and height % PIXEL_RATIO == 0
        shown = []
        stack = [ex.widget]
        while stack:
            w = stack.pop()
            shown.append(w)
            stack.extend(getattr(w, "children", ()))
        assert any(CONTROLS_HINT in getattr(w, "value", "") for w in shown
                   if isinstance(w, widgets.HTML)), make.__name__
        for name, control in ex.controls.items():
            if isinstance(control, widgets.ToggleButton):  # its description is on its face
                continue
            label = int(control.style.description_width.removesuffix("px"))
            assert label >= label_width([control]), (make.__name__, name)
        tracks = [int(c.layout.width.removesuffix("px"))
                  - int(c.style.description_width.removesuffix("px")) - READOUT_PX
                  for c in ex.controls.values() if is_slider(c)]
        assert max(tracks) >= TRACK_PX, make.__name__


def test_explorer_pngs_decode_to_the_canvas_pixels():
    import io

    from PIL import Image

    from dlbasics.plotting import png_bytes

    ex = neuron_explorer()
    pixels = np.asarray(ex.figure.canvas.buffer_rgba())
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(pixels))))
    np.testing.assert_array_equal(decoded, pixels)
    odd = np.random.default_rng(0).integers(0, 256, (3, 5, 4), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(odd)))), odd)


# --- the seams every explorer may use: a run that plays, controls on tabs ------------------------
class CountingRun:
    """A toy ChunkedRun: ``chunks`` trained so far, up to ``limit``; a new setting starts over."""

    def __init__(self, limit: int = 1000) -> None:
        self.chunks, self.limit, self.restarts = 0, limit, 0

    def settings(self) -> dict:
        return {"chunks": self.chunks}

    def restart(self, values: dict) -> None:
        self.chunks, self.restarts = 0, self.restarts + 1

    def advance(self, result) -> bool:
        if self.finished:
            return False
        self.chunks += 1
        return True

    @property
    def finished(self) -> bool:
        return self.chunks >= self.limit


class LineView:
    def __init__(self, figure) -> None:
        self.line, = figure.add_subplot().plot([0, 1], [0, 1])

    def update(self, result) -> None:
        self.line.set_ydata([0, result["a"] * (1 + result["chunks"])])


def toy_explorer(limit: int = 1000, **seams):
    import ipywidgets as widgets

    from dlbasics.widgets._base import play_actions

    controls = {"a": widgets.FloatSlider(value=1.0, min=0.0, max=2.0, description="a"),
                "b": widgets.IntSlider(value=1, min=0, max=5, description="b"),
                "c": widgets.Dropdown(options=["x", "y"], description="c"),
                "t1": widgets.ToggleButton(description="t1"),
                "t2": widgets.ToggleButton(description="t2")}
    run = CountingRun(limit)
    return Explorer("Toy", controls, lambda **values: dict(values), LineView,
                    figsize=(2.0, 1.5), actions=play_actions(), run=run, **seams), run


def test_play_without_an_event_loop_trains_a_bounded_number_of_chunks():
    from dlbasics.widgets._base import CHUNKS_WITHOUT_LOOP

    ex, run = toy_explorer()
    assert not ex.buttons["Play"].disabled and ex.buttons["Pause"].disabled
    ex.press("Play")
    assert run.chunks == CHUNKS_WITHOUT_LOOP and ex.result["chunks"] == CHUNKS_WITHOUT_LOOP
    assert not ex.playing and "advance()" in ex.message.value
    short, run = toy_explorer(limit=3)
    short.play()
    assert run.chunks == 3 and short.finished
    short.play()  # a finished run does not start again
    assert run.chunks == 3 and not short.playing


def test_play_advances_on_the_event_loop_until_paused_and_a_new_setting_pauses_it():
    import asyncio

    ex, run = toy_explorer()

    async def session():
        ex.buttons["Play"].click()
        assert ex.playing and ex.buttons["Play"].disabled and not ex.buttons["Pause"].disabled
        await asyncio.sleep(0.2)  # the loop is free between chunks
        played = run.chunks
        ex.buttons["Pause"].click()
        await ex.task
        stopped = run.chunks
        ex.play()
        await asyncio.sleep(0.1)
        ex.controls["a"].value = 0.5  # a new setting: the run starts over, paused
        await ex.task
        return played, stopped

    played, stopped = asyncio.run(session())
    assert played >= 1 and stopped in (played, played + 1)
    assert not ex.playing and not ex.buttons["Play"].disabled and ex.buttons["Pause"].disabled
    assert run.restarts == 1 and run.chunks == 0 and ex.result["chunks"] == 0


def test_play_stops_by_itself_when_the_run_is_finished():
    import asyncio

    ex, run = toy_explorer(limit=4)

    async def session():
        ex.play()
        await asyncio.wait_for(ex.task, timeout=10)

    asyncio.run(session())
    assert run.chunks == 4 and not ex.playing and ex.result["chunks"] == 4


def test_groups_put_the_controls_on_tabs_with_blocks_and_the_buttons_under_them():
    import ipywidgets as widgets

    from dlbasics.widgets._base import Block

    ex, _ = toy_explorer(groups={"First": ("a", "c", "t1", "t2"), "Second": ("b",)},
                         blocks={"toggles": Block((("t1", "t2"),), tooltip="two toggles")},
                         guide="how to read it", foot=(widgets.HTML("under"),))
    tabs = ex.panel
    assert isinstance(tabs, widgets.Tab) and list(tabs.titles) == ["First", "Second"]
    head, panel, buttons, status, image, under = ex.widget.children
    assert panel is tabs and image is ex.image and status is ex.message
    assert "how to read it" in head.value and under.value == "under"
    assert [b.description for b in buttons.children] == ["Play", "Pause"]

    def inside(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from inside(child)

    first, second = (list(inside(child)) for child in tabs.children)
    assert all(any(c is w for w in first) for c in (ex.controls[k] for k in "a c t1 t2".split()))
    assert any(ex.controls["b"] is w for w in second)
    assert any(isinstance(w, widgets.HTML) and "toggles" in w.value and "two toggles" in w.value
               for w in first)
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        toy_explorer(groups={"First": ("a", "c", "t1", "t2")})


def test_an_action_can_sit_in_a_row_under_the_picture():
    import ipywidgets as widgets

    box = widgets.Text()
    ex, run = toy_explorer(foot=((box, "Pause"),))
    row = ex.widget.children[-1]
    assert list(row.children) == [box, ex.buttons["Pause"]]
    assert ex.buttons["Play"] not in row.children
    ex.advance(2)
    assert run.chunks == 2 and ex.result["chunks"] == 2


def test_source_listing_shows_the_code_that_runs():
    from dlbasics.layers import Dense
    from dlbasics.plotting import source_listing

    listing = source_listing(Dense.backward)
    assert repr(listing).startswith("def backward(self")  # dedented: a method reads as a def
    assert "return dout @ self.W.value.T" in repr(listing)
    markdown = listing._repr_markdown_()
    assert markdown.startswith("```python\ndef backward(") and markdown.endswith("\n```")
    with pytest.raises(TypeError, match="written in Python"):
        source_listing(len)
