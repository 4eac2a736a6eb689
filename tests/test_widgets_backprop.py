"""The backprop stepper (chapter 4): its gradients against central differences and against the
package's own backward pass, every stage and every control, and the static twin."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

from dlbasics.gradcheck import numerical_gradient, relative_error
from dlbasics.layers import ActivationLayer, Dense
from dlbasics.losses import squared_error, squared_error_grad
from dlbasics.network import Network
from dlbasics.widgets import Explorer, backprop_explorer, backprop_twin, compute_backprop
from dlbasics.widgets.backprop import BACKWARD, FORWARD, N_STAGES, STAGES, neuron_graph

SETTINGS = [
    dict(x1=1.0, x2=-2.0, w1=0.5, w2=-0.3, b=0.1, y=1.0),
    dict(x1=-3.0, x2=3.0, w1=3.0, w2=-3.0, b=3.0, y=0.0),
    dict(x1=0.0, x2=0.0, w1=0.0, w2=0.0, b=0.0, y=0.5),
    dict(x1=2.5, x2=-0.7, w1=-1.2, w2=0.4, b=-0.9, y=0.25),
]


def loss_of(theta: np.ndarray, s: dict) -> float:
    w1, w2, b = theta
    return neuron_graph(s["x1"], s["x2"], w1, w2, b, s["y"])[0]["L"]


@pytest.mark.parametrize("s", SETTINGS)
def test_gradients_match_central_differences(s):
    r = compute_backprop(**s)
    analytic = np.array([r.grads["w1"], r.grads["w2"], r.grads["b"]])
    numeric = numerical_gradient(lambda t: loss_of(t, s), np.array([s["w1"], s["w2"], s["b"]]))
    assert relative_error(analytic, numeric, eps=1e-10) < 1e-6
    # the inner nodes too: dL/dz from a perturbation of z
    h = 1e-6
    a = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    z = r.values["z"]
    dz = ((a(z + h) - s["y"]) ** 2 - (a(z - h) - s["y"]) ** 2) / (2 * h)
    assert r.grads["z"] == pytest.approx(dz, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("s", SETTINGS)
def test_gradients_match_the_package_backward(s):
    dense = Dense(2, 1, rng=0, name="neuron")
    dense.W.value[:] = [[s["w1"]], [s["w2"]]]
    dense.b.value[:] = [s["b"]]
    net = Network([dense, ActivationLayer("sigmoid")])
    X, y = np.array([[s["x1"], s["x2"]]]), np.array([[s["y"]]])
    out = net.forward(X, training=True)
    net.backward(squared_error_grad(out, y))
    r = compute_backprop(**s)
    assert r.values["L"] == pytest.approx(squared_error(out, y)[0])
    np.testing.assert_allclose(dense.W.grad.ravel(), [r.grads["w1"], r.grads["w2"]], rtol=1e-12,
                               atol=1e-15)
    assert dense.b.grad[0] == pytest.approx(r.grads["b"], rel=1e-12, abs=1e-15)


def test_the_table_multiplies_upstream_by_local():
    r = compute_backprop()
    assert r.rows[0].name == "L" and r.rows[0].grad == 1.0
    for row in r.rows[1:]:
        assert row.grad == pytest.approx(row.upstream * row.local)
    assert [row.name for row in r.rows[1:]] == list(BACKWARD)


def test_stages_reveal_forward_values_then_gradients():
    assert len(STAGES) == N_STAGES == 1 + len(FORWARD) + 1 + len(BACKWARD) + 1
    seen_values, seen_grads = set(), set()
    for stage in range(N_STAGES):
        r = compute_backprop(stage=stage)
        assert seen_values <= r.shown_values and seen_grads <= r.shown_grads  # only grows
        seen_values, seen_grads = set(r.shown_values), set(r.shown_grads)
        if r.stage_name.startswith("forward"):
            assert r.current in r.shown_values and not r.shown_grads
        if r.stage_name.startswith("backward"):
            assert r.current in r.shown_grads
    assert compute_backprop(stage=0).current is None
    assert compute_backprop(stage=0).shown_grads == frozenset()
    last = compute_backprop(stage=N_STAGES - 1)
    assert last.stage_name == "update" and set(BACKWARD) <= last.shown_grads
    assert "update" in last.table
    assert compute_backprop(stage=-5).stage == 0 and compute_backprop(stage=99).stage == 13


def test_update_is_one_gradient_descent_step():
    r = compute_backprop(lr=0.5)
    for p in ("w1", "w2", "b"):
        assert r.updated[p] == pytest.approx(r.values[p] - 0.5 * r.grads[p])
    assert r.loss_after < r.values["L"]
    assert "lowers the loss" in r.message


def test_messages_for_a_large_learning_rate_and_saturation():
    big = compute_backprop(x1=1.0, x2=1.0, w1=0.0, w2=0.0, b=0.0, y=1.0, lr=5.0)
    assert big.loss_after < big.values["L"]
    overshoot = compute_backprop(x1=3.0, x2=3.0, w1=0.0, w2=0.0, b=0.0, y=0.6, lr=5.0)
    assert overshoot.loss_after > overshoot.values["L"]
    assert "too large" in overshoot.message
    saturated = compute_backprop(x1=3.0, x2=3.0, w1=3.0, w2=3.0, b=3.0, y=0.0)
    assert "saturated" in saturated.message


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return backprop_explorer()


def test_every_stage_draws(explorer):
    for stage in range(N_STAGES):
        r = explorer.set(stage=stage)
        assert bytes(explorer.image.value).startswith(b"\x89PNG")
        assert explorer.view.title.get_text().startswith(f"stage {stage} ")
        shown = [n for n, t in explorer.view.edge_text.items() if t.get_text()]
        assert set(shown) == set(r.shown_grads) - {"L"}
        assert explorer.view.highlight.get_visible() == (r.current is not None)
        if r.current is not None:  # the highlight sits on the current node's box
            box = explorer.view.boxes[r.current]
            assert explorer.view.highlight.get_x() == pytest.approx(box.get_x())
        assert "<pre" in explorer.message.value and "dL/dnode" in explorer.message.value


@pytest.mark.parametrize("control", ["x1", "x2", "w1", "w2", "b", "y", "lr"])
def test_every_slider_across_its_whole_range(explorer, control):
    slider = explorer.controls[control]
    start = slider.value
    explorer.set(stage=N_STAGES - 1)
    if isinstance(slider, widgets.FloatLogSlider):  # min and max are exponents
        values = slider.base ** np.linspace(slider.min, slider.max, 7)
    else:
        values = np.linspace(slider.min, slider.max, 7)
    for value in values:
        r = explorer.set(**{control: float(value)})
        assert all(np.isfinite(v) for v in r.values.values())
        assert all(np.isfinite(v) for v in r.grads.values())
        assert np.isfinite(r.loss_after) and r.message
    explorer.set(**{control: start})


def test_extreme_corner_has_no_warnings():
    # pytest turns warnings into errors: the sigmoid must not overflow at |z| = 21
    r = compute_backprop(x1=-3, x2=-3, w1=3, w2=3, b=-3, y=1.0, lr=5.0, stage=13)
    assert np.isfinite(r.loss_after)


def test_static_twin_is_offline_and_has_every_stage():
    html = backprop_twin().data
    assert "http" not in html.replace("http://www.w3.org", "")
    assert html.count('] = "data:image/png;base64') == N_STAGES
    assert "computational graph" in html


def test_a_step_that_hardly_moves_says_so():
    r = compute_backprop(x1=3.0, x2=3.0, w1=3.0, w2=3.0, b=3.0, y=0.0)
    assert "barely changes the loss" in r.message
