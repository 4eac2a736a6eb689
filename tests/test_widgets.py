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
