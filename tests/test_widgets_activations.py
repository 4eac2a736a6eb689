"""The activation explorer (chapter 2): every control swept, the drawn curves checked against
the package, the fits checked for what each activation can represent, and the cache."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.activations import get_activation, sigmoid, sigmoid_grad
from dlbasics.widgets import Explorer, activation_explorer, activation_twin, compute_activation
from dlbasics.widgets.activations import (
    ELEMENTWISE,
    EXPLORER_ACTIVATIONS,
    TARGETS,
    FitCache,
    activation_curve,
    fit_curve,
)


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    """One explorer shared by the sweeps (its cache makes repeated settings cheap)."""
    return activation_explorer()


def assert_drawn_curves_match_package(ex: Explorer) -> None:
    """The lines on the left panel are the package's activation and derivative."""
    r = ex.result
    z_g, g = ex.view.g_line.get_xdata(), ex.view.g_line.get_ydata()
    z, dg = ex.view.dg_line.get_xdata(), ex.view.dg_line.get_ydata()
    np.testing.assert_array_equal(z_g, z)
    assert z[0] == pytest.approx(-r.curve.z[-1]) and z[-1] == pytest.approx(ex.values()["z_max"])
    name = r.curve.activation
    if name == "softmax":  # softmax([z, 0])₁ is σ(z)
        expected_g, expected_dg = sigmoid(z), sigmoid_grad(z)
    else:
        params = {"slope": ex.values()["slope"]} if name == "leaky_relu" else {}
        act = get_activation(name, **params)
        expected_g, expected_dg = act.fn(z), act.grad(z)
    np.testing.assert_allclose(g, expected_g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dg, expected_dg, rtol=1e-12, atol=1e-15)


def test_every_activation_and_target_is_drawn_from_the_package(explorer):
    targets = list(TARGETS)
    for i, activation in enumerate(EXPLORER_ACTIVATIONS):  # every menu entry, targets in turn
        target = targets[i % len(targets)]
        r = explorer.set(activation=activation, target=target)
        assert (r.curve.activation, r.fit.target) == (activation, target)
        assert_drawn_curves_match_package(explorer)
        assert bytes(explorer.image.value).startswith(b"\x89PNG")
        assert explorer.message.value.count("Right:") == 1
        if activation != "softmax":
            np.testing.assert_array_equal(explorer.view.after.get_ydata(), r.fit.y_after)


@pytest.mark.parametrize("target", list(TARGETS))
def test_every_activation_fits_every_target_without_warnings(target):
    for activation in ELEMENTWISE:  # warnings are errors in the test suite
        f = fit_curve(activation, 0.1, target, 8)
        assert np.isfinite(f.y_after).all() and np.isfinite(f.cost_after)
        assert f.cost_after <= f.cost_before


@pytest.mark.parametrize("control", ["slope", "z_max", "hidden"])
def test_every_slider_across_its_whole_range(explorer, control):
    slider = explorer.controls[control]
    values = np.linspace(slider.min, slider.max, 5)
    if control == "hidden":
        values = np.unique(np.round(values).astype(int))
    explorer.set(activation="leaky_relu", target="abs", z_max=6.0, hidden=8, slope=0.1)
    for value in values:
        value = int(value) if control == "hidden" else float(value)
        r = explorer.set(**{control: value})
        assert_drawn_curves_match_package(explorer)
        assert np.isfinite(r.curve.g).all() and np.isfinite(r.fit.y_after).all()
        if control == "hidden":
            assert r.fit.hidden == value
            assert explorer.view.switch.get_xdata().size <= value


def test_the_derivative_maximum_is_reported():
    assert activation_curve("sigmoid", z_max=5).max_grad == pytest.approx(0.25)
    assert activation_curve("tanh", z_max=5).max_grad == pytest.approx(1.0)
    assert activation_curve("softmax", z_max=5).max_grad == pytest.approx(0.25)
    assert activation_curve("step").max_grad == 0.0


def test_shading_marks_where_the_derivative_is_below_one_hundredth():
    ex = activation_explorer(activation="sigmoid", z_max=10.0, hidden=2)
    paths = ex.view.shade.get_paths()
    assert len(paths) == 2  # both tails of the sigmoid
    starts_ends = sorted((p.vertices[:, 0].min(), p.vertices[:, 0].max()) for p in paths)
    assert starts_ends[0][0] == -10.0 and starts_ends[1][1] == 10.0
    assert starts_ends[0][1] == pytest.approx(-4.6, abs=0.05)  # σ'(z) < 0.01 for |z| > 4.6
    assert starts_ends[1][0] == pytest.approx(4.6, abs=0.05)
    ex.set(activation="identity")
    assert len(ex.view.shade.get_paths()) == 0  # g' = 1 everywhere
    ex.set(activation="step")
    (path,) = ex.view.shade.get_paths()
    assert (path.vertices[:, 0].min(), path.vertices[:, 0].max()) == (-10.0, 10.0)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_training_improves_on_the_untrained_network(activation):
    f = fit_curve(activation, 0.1, "sine", 8)
    assert f.cost_after < 0.05 < f.cost_before
    assert f.cost_after < f.cost_before / 20
    assert f.hidden_change > 0


def second_differences(y: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(y, 2))


def test_relu_fits_are_piecewise_linear_and_tanh_fits_are_smooth():
    relu = fit_curve("relu", 0.1, "sine", 6)
    kinks = np.count_nonzero(second_differences(relu.y_after) > 1e-9)
    assert 0 < kinks <= 2 * 6  # straight between the kinks: at most two grid points per kink
    tanh = fit_curve("tanh", 0.1, "sine", 6)
    assert np.count_nonzero(second_differences(tanh.y_after) > 1e-9) > 200  # curved everywhere


def test_identity_network_can_only_fit_a_straight_line():
    f = fit_curve("identity", 0.1, "sine", 8)
    np.testing.assert_allclose(second_differences(f.y_after), 0.0, atol=1e-9)
    assert f.switch_points.size == 0
    assert "straight line" in f.message


def test_step_units_get_no_gradient_and_the_message_says_so(explorer):
    r = explorer.set(activation="step", target="step", hidden=8)
    assert r.fit.hidden_change == 0.0
    np.testing.assert_array_equal(r.fit.switch_points, np.zeros_like(r.fit.switch_points))
    assert "cannot be trained by gradients" in r.message
    assert "cannot be trained by gradients" in explorer.message.value
    assert "cannot be trained" in explorer.view.headline.get_text()  # on the figure itself


def test_softmax_is_shown_for_two_logits_and_not_trained(explorer):
    r = explorer.set(activation="softmax")
    np.testing.assert_allclose(r.curve.g, sigmoid(r.curve.z), atol=1e-15)
    assert r.fit.y_after is None and "output activation" in r.fit.message
    assert len(explorer.view.after.get_xdata()) == 0
    assert "output activation" in explorer.view.headline.get_text()  # drawn: the twin shows it


def test_dead_relu_units_are_counted():
    f = fit_curve("relu", 0.1, "sine", 8)
    assert f.dead_units >= 1  # with seed 0, training pushes a unit below 0 on every point
    assert f"{f.dead_units} of 8 units are dead" in f.message
    assert fit_curve("tanh", 0.1, "sine", 8).dead_units == 0  # only ReLU units are counted


def test_the_cache_trains_each_setting_once():
    ex = activation_explorer(activation="tanh", hidden=4)
    first = ex.result.fit
    assert ex.cache.n_fits == 1
    ex.set(z_max=12.0)  # only the left panel changes
    ex.set(slope=0.3)  # the slope does not matter for tanh
    assert ex.cache.n_fits == 1 and ex.result.fit is first
    ex.set(hidden=5)
    assert ex.cache.n_fits == 2
    ex.set(hidden=4)  # back to a setting already trained
    assert ex.cache.n_fits == 2 and ex.result.fit is first
    ex.set(activation="leaky_relu", slope=0.2)
    ex.set(slope=0.25)
    assert ex.cache.n_fits == 4  # the slope matters for leaky ReLU


def test_the_cache_is_bounded_and_gives_what_a_fresh_fit_gives():
    cache = FitCache(maxsize=2)
    for hidden in (1, 2, 3):
        cached = cache.get("relu", 0.1, "abs", hidden)
    assert len(cache) == 2 and cache.n_fits == 3
    fresh = compute_activation("relu", 0.1, 6.0, "abs", 3).fit
    np.testing.assert_array_equal(cached.y_after, fresh.y_after)


def test_slope_control_is_enabled_only_for_leaky_relu():
    ex = activation_explorer(activation="sigmoid", hidden=2)
    assert ex.controls["slope"].disabled
    ex.set(activation="leaky_relu")
    assert not ex.controls["slope"].disabled


def test_two_explorers_do_not_interfere():
    a, b = activation_explorer(hidden=3), activation_explorer(hidden=3)
    assert a.cache is not b.cache
    a.set(activation="sigmoid", z_max=2.0)
    assert b.result.curve.activation == "relu" and b.values()["z_max"] == 6.0
    assert b.cache.n_fits == 1


def test_unknown_settings_are_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="choose one of"):
        compute_activation("swish")
    with pytest.raises(ValueError, match="choose one of"):
        fit_curve("relu", 0.1, "cubic", 4)


def test_live_explorer_says_where_it_runs():
    bundle = activation_explorer(hidden=2)._repr_mimebundle_()
    assert "JupyterLab" in bundle["text/plain"]


def test_twin_is_a_self_contained_animation():
    html = activation_twin(values=["step", "relu"], hidden=3).data
    assert html.count('] = "data:image/png;base64') == 2
    assert 'type="range"' in html
    assert "http://" not in html and "https://" not in html
